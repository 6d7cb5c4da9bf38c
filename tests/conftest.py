"""Shared fixtures, and the rule for tests that need a real service.

A test marked ``postgres`` or ``redis`` runs when ``DATABASE_URL`` points at PostgreSQL or
``REDIS_URL`` is set. Otherwise it is skipped on a developer's machine, and it fails in CI
(``CI=true``), where the services must be there.
"""

import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from residents.roles import Role

from .factories import (
    RegionFactory,
    StaffProfileFactory,
    UserFactory,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres"):
        if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            return "PostgreSQL (set DATABASE_URL=postgres://…)"
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        return "Redis (set REDIS_URL=redis://…)"
    return None


def pytest_runtest_setup(item):
    missing = _missing_service(item)
    if missing:
        if IN_CI:
            pytest.fail(f"CI needs {missing} for this test, and it is not configured.")
        pytest.skip(f"needs {missing}")


def make_user(role: Role | None = None, *, communities=(), **kwargs):
    """A user in ``role``, a staff account when the role works in the admin."""
    from residents.roles import ADMIN_ROLES

    user = UserFactory(is_staff=role in ADMIN_ROLES, **kwargs)
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    if communities:
        StaffProfileFactory(user=user, communities=communities)
    return user


@pytest.fixture
def county(db):
    return RegionFactory(level="county", name="石泉县", code="610922", parent=None)


@pytest.fixture
def office_user(db):
    return make_user(Role.OFFICE, username="office")
