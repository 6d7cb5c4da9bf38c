"""Authentication: Django's model backend, refusing the published demo password outside demo
mode, so a database seeded for a demonstration cannot be entered with it in production."""

from django.conf import settings
from django.contrib.auth import backends, get_user_model


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
