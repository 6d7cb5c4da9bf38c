"""Each monthly job runs once per period (rule 4 of DESIGN.md): twice, concurrently, late or
after a crash, it leaves one result. ``cycle.jobs.run_once`` is tried here with work that
counts its runs; the real jobs on a real worker are in test_cycle_worker.py.
"""

import datetime
import threading

import pytest
from django.db import connection

from cycle import jobs
from cycle.models import JobRun
from cycle.periods import Month, Quarter, months_between

pytestmark = pytest.mark.django_db


def counting_work(calls, result=None):
    def work():
        calls.append(1)
        return result or {"calls": len(calls)}

    return work


def test_a_job_runs_once_per_period():
    calls = []

    first = jobs.run_once(JobRun.Job.OPEN_MONTH, "2026-11", counting_work(calls))
    second = jobs.run_once(JobRun.Job.OPEN_MONTH, "2026-11", counting_work(calls))

    assert len(calls) == 1
    assert first.pk == second.pk
    assert (second.state, second.attempts, second.summary) == ("done", 1, {"calls": 1})
    assert JobRun.objects.count() == 1


def test_another_period_or_job_runs_again():
    calls = []
    jobs.run_once(JobRun.Job.OPEN_MONTH, "2026-11", counting_work(calls))
    jobs.run_once(JobRun.Job.OPEN_MONTH, "2026-12", counting_work(calls))
    jobs.run_once(JobRun.Job.REMIND, "2026-11", counting_work(calls))

    assert len(calls) == 3


def test_a_failed_run_keeps_nothing_and_completes_when_run_again():
    from cycle.models import RankingCriterion

    def failing():
        RankingCriterion.objects.create(code="half", name="写了一半", weight=1, method="-")
        raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        jobs.run_once(JobRun.Job.CLOSE_MONTH, "2026-10", failing)

    run = JobRun.objects.get()
    assert (run.state, run.attempts) == ("failed", 1)
    assert "worker lost" in run.error
    assert not RankingCriterion.objects.filter(code="half").exists()  # rolled back

    calls = []
    run = jobs.run_once(JobRun.Job.CLOSE_MONTH, "2026-10", counting_work(calls))
    assert (run.state, run.attempts, run.error, len(calls)) == ("done", 2, "", 1)


def test_force_produces_a_period_again():
    calls = []
    jobs.run_once(JobRun.Job.CLOSE_MONTH, "2026-10", counting_work(calls))

    run = jobs.run_once(JobRun.Job.CLOSE_MONTH, "2026-10", counting_work(calls), force=True)

    assert len(calls) == 2
    assert run.attempts == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_one_job_leave_one_result():
    calls = []
    barrier = threading.Barrier(3)

    def slow_work():
        calls.append(1)
        threading.Event().wait(0.3)  # hold the lock while the others arrive
        return {}

    def run():
        try:
            barrier.wait(timeout=10)
            jobs.run_once(JobRun.Job.OPEN_MONTH, "2026-11", slow_work)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(calls) == 1
    assert JobRun.objects.get().state == "done"


# --- Periods ------------------------------------------------------------------------------


def test_months_and_quarters_have_keys_and_neighbours():
    november = Month.parse("2026-11")

    assert (november.key, november.last) == ("2026-11", datetime.date(2026, 11, 30))
    assert november.next().key == "2026-12" and november.next().next().key == "2027-01"
    assert Month.parse("2026-01").previous().key == "2025-12"
    assert Month.parse("2024-02").last == datetime.date(2024, 2, 29)
    assert november.quarter == Quarter.parse("2026-Q4")
    assert Quarter.parse("2026-Q1").previous().key == "2025-Q4"
    assert [m.key for m in Quarter.parse("2026-Q2").months] == ["2026-04", "2026-05", "2026-06"]
    assert [m.key for m in months_between(Month.parse("2026-11"), Month.parse("2027-01"))] == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]


@pytest.mark.parametrize("key", ["2026-13", "2026-1", "26-11", "", "2026-Q4"])
def test_a_malformed_month_is_refused(key):
    with pytest.raises(ValueError):
        Month.parse(key)


# --- Catch-up -------------------------------------------------------------------------------


@pytest.fixture
def recorded(monkeypatch):
    """The jobs the catch-up runs, with their work replaced by a record of the period."""
    ran = []

    def job(name, key_of):
        def run(period, *, force=False):
            return jobs.run_once(name, key_of(period), lambda: ran.append((name, key_of(period))))

        return run

    monkeypatch.setattr(jobs, "open_month", job(JobRun.Job.OPEN_MONTH, lambda m: m.key))
    monkeypatch.setattr(jobs, "close_month", job(JobRun.Job.CLOSE_MONTH, lambda m: m.key))
    monkeypatch.setattr(jobs, "remind", job(JobRun.Job.REMIND, lambda m: m.key))
    monkeypatch.setattr(jobs, "prepare_quarter", job(JobRun.Job.QUARTER, lambda q: q.key))
    return ran


def test_a_first_catch_up_only_opens_the_current_month(recorded):
    jobs.catch_up(datetime.date(2026, 11, 3))

    assert recorded == [("open_month", "2026-11")]


def test_beat_down_over_a_month_boundary_is_caught_up_once(recorded):
    jobs.catch_up(datetime.date(2026, 8, 10))  # the cycle started in August
    recorded.clear()

    # Beat was down from late August to 2 October: nothing ran on 1 September or 1 October.
    jobs.catch_up(datetime.date(2026, 10, 2))
    jobs.catch_up(datetime.date(2026, 10, 3))  # the next day finds it all done

    assert recorded == [
        ("close_month", "2026-08"),
        ("open_month", "2026-09"),
        ("close_month", "2026-09"),
        ("open_month", "2026-10"),
        ("quarter", "2026-Q3"),
    ]


def test_the_reminder_is_caught_up_from_the_25th(recorded):
    jobs.catch_up(datetime.date(2026, 11, 24))
    assert ("remind", "2026-11") not in recorded

    jobs.catch_up(datetime.date(2026, 11, 26))
    assert recorded.count(("remind", "2026-11")) == 1


def test_a_quarter_not_over_is_not_prepared_by_its_job():
    with pytest.raises(ValueError):
        jobs.prepare_quarter(Quarter.current())

    assert not JobRun.objects.filter(job=JobRun.Job.QUARTER).exists()


def test_a_bulletin_produced_again_prints_the_weights_its_ranking_used():
    from cycle import bulletin
    from cycle.models import Bulletin, RankingCriterion

    month = Month.current().previous()
    jobs.close_month(month)
    RankingCriterion.objects.filter(code="reporting").update(weight=25)

    bulletin.produce_bulletin(month)

    weights = {c["code"]: c["weight"] for c in Bulletin.objects.get().content["criteria"]}
    assert weights["reporting"] == "15.00"
