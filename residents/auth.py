"""Authentication: Django's model backend, refusing the published demo password outside demo
mode, so a database seeded for a demonstration cannot be entered with it in production."""

from django.conf import settings
from django.contrib.auth import backends


class ModelBackend(backends.ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == settings.DEMO_PASSWORD and not settings.ANJU_DEMO:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


#: The backend that holds the permissions. django-axes, listed before it, only refuses locked-out
#: logins; ``User.objects.with_perm`` needs the backend named whenever several are configured.
PERMISSIONS_BACKEND = "residents.auth.ModelBackend"
