"""Tests that need a real service: they run against it, and fail in CI when it is missing."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

from residents.models import Household

from .factories import BuildingFactory

ROOT = Path(__file__).resolve().parent.parent


def _run_pytest(test_id, env):
    clean = {k: v for k, v in os.environ.items() if k not in {"CI", "REDIS_URL", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_id],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_redis_test_fails_in_ci_when_redis_is_not_configured():
    test_id = "tests/test_celery.py::test_a_task_round_trips_through_redis_and_a_worker"
    in_ci = _run_pytest(test_id, {"CI": "true"})
    assert in_ci.returncode == 1, in_ci.stdout
    assert "CI needs Redis" in in_ci.stdout
    on_a_laptop = _run_pytest(test_id, {})
    assert on_a_laptop.returncode == 0, on_a_laptop.stdout
    assert "1 skipped" in on_a_laptop.stdout


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_registering_the_same_address_at_once_leave_one_household():
    """Two connections insert the same address at the same moment; the constraint keeps one."""
    building = BuildingFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def register(head_name):
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)
                Household.objects.create(
                    building=building, unit=1, floor=3, room="301", head_name=head_name
                )
            outcomes.append("saved")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(name,)) for name in ("王秀英", "李建国")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["refused", "saved"]
    assert Household.objects.filter(building=building, unit=1, room="301").count() == 1
