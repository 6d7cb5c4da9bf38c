"""The household's pages (``/h/<token>/``), phone-first."""

from django.http import Http404, HttpResponse


def household_home(request, token):
    raise Http404


def rate_limited(request, exception):
    return HttpResponse(status=429)
