"""Authentication: Django's model backend, refusing the published demo password outside demo
mode, so a database seeded for a demonstration cannot be entered with it in production."""

import datetime

from django.conf import settings
from django.contrib.auth import backends, get_user_model
from django.utils import timezone


class ModelBackend(backends.ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == settings.DEMO_PASSWORD and not settings.ANJU_DEMO:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def holders_of(permission: str):
    """The active accounts holding ``permission``, superusers aside, as a queryset.

    Asked of this backend by name: django-axes' backend, first in the list, holds no
    permissions, and Django wants to be told which backend answers when there are several.
    """
    return get_user_model().objects.with_perm(
        permission,
        is_active=True,
        include_superusers=False,
        backend=f"{ModelBackend.__module__}.{ModelBackend.__qualname__}",
    )


def forget_old_logins(now=None) -> int:
    """Delete the records of staff logins (django-axes' access log: account, address, browser)
    older than ``ANJU_LOGIN_RECORDS_DAYS``; returns how many were deleted. Run daily."""
    from axes.models import AccessLog

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.ANJU_LOGIN_RECORDS_DAYS)
    deleted, _by_model = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
    return deleted
