"""The site, plus the floor of ``bench.submissions``: a minimal Django view doing one INSERT."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as site


@csrf_exempt
@require_POST
def one_insert(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_floor (at) VALUES (now())")
    return HttpResponse(status=204)


urlpatterns = [path("bench/insert/", one_insert), *site]
