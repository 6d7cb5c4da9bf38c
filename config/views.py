"""Pages that belong to the portal as a whole: the home page and the health check."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from config.cache import ResilientRedisCache
from residents.models import Neighbourhood
from residents.scoping import sees_every_neighbourhood

logger = logging.getLogger(__name__)


@login_required
def home(request):
    """The county at a glance, within what the user may see: the register by community."""
    neighbourhoods = (
        Neighbourhood.objects.visible_to(request.user)
        .select_related("community__parent")
        .with_register_counts()
        .order_by("community__parent__name", "community__name", "name")
    )
    totals = Neighbourhood.objects.visible_to(request.user).aggregate(
        neighbourhoods=Count("pk"), households=Sum("household_count"), people=Sum("population")
    )
    page = Paginator(neighbourhoods, 50).get_page(request.GET.get("page"))
    scoped = not sees_every_neighbourhood(request.user)
    return render(request, "home.html", {"page": page, "totals": totals, "scoped": scoped})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: the database is unreachable")
        return False


def _broker_ok() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        return bool(client.ping())
    except Exception:
        logger.exception("Health check: the broker is unreachable")
        return False


@never_cache
@transaction.non_atomic_requests
def healthz(request):
    """The state of the services Anju needs: 200 when all are up, 503 when one is down.

    The broker is checked when one is configured (``REDIS_URL``); without it tasks run
    in-process and there is nothing to check. So is the cache when it is Redis.
    """
    checks = {"database": "ok" if _database_ok() else "down"}
    if settings.REDIS_URL:
        checks["broker"] = "ok" if _broker_ok() else "down"
    else:
        checks["broker"] = "not configured (tasks run in-process)"
    cache = caches["default"]
    if isinstance(cache, ResilientRedisCache):  # down, the residents' pages are not limited
        checks["cache"] = "ok" if cache.reachable() else "down"
    healthy = "down" not in checks.values()
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
