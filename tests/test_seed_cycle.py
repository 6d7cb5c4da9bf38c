"""The demo county's monthly cycle: the last two months played and closed, last month's
bulletin, ranking and inspection report, this month's sheets open, the previous quarter's
meeting, and the links that lead staff and leaders to them.

Loading the demo takes several seconds, so the county is loaded once for this module, inside a
transaction rolled back when the module is done; each test runs in a savepoint of it (the
``db`` fixture), so what a test changes is undone before the next.
"""

import datetime
import io
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from docx import Document

from cycle import demo as cycle_demo
from cycle import meetings, ranking, snapshots
from cycle.models import (
    Bulletin,
    Dispatch,
    Finding,
    Inspection,
    InspectionReport,
    JobRun,
    LeadershipMeeting,
    ProjectSnapshot,
    Ranking,
)
from cycle.periods import Month
from projects.models import Project, TaskItem
from residents.roles import Role

from .conftest import make_user

Status = Project.Status


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """The demo county, loaded once for the module and rolled back after it; what
    ``seed_demo`` printed."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_output, db):
    return demo_output


@pytest.fixture
def current():
    return Month.current()


@pytest.fixture
def last(current):
    return current.previous()


def done(job: str, period: str) -> bool:
    return JobRun.objects.filter(job=job, period=period, state=JobRun.State.DONE).exists()


def test_the_last_two_months_are_closed_once(demo, last):
    for month in (last.previous(), last):
        assert done(JobRun.Job.OPEN_MONTH, month.key)
        assert done(JobRun.Job.REMIND, month.key)
        assert done(JobRun.Job.CLOSE_MONTH, month.key)
    assert JobRun.objects.filter(job=JobRun.Job.CLOSE_MONTH).count() == 2


def test_last_months_bulletin_has_its_docx_and_xlsx_with_the_months_figures(demo, last):
    bulletin = Bulletin.objects.get(month=last.first)
    assert bulletin.content["month"] == last.key
    assert bulletin.content["missing"] == []
    assert bulletin.content["ranking"] and bulletin.content["inspection"]["findings"]

    document = Document(io.BytesIO(bulletin.docx.open("rb").read()))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(cell.text for t in document.tables for row in t.rows for cell in row.cells)
    first = bulletin.content["ranking"][0]
    assert first["name"] in text

    workbook = openpyxl.load_workbook(io.BytesIO(bulletin.xlsx.open("rb").read()))
    cells = {str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row}
    assert first["name"] in cells


def test_last_month_ranks_the_projects_under_way_at_its_end(demo, last):
    under_way = set(ranking.ranked_projects(snapshots.AsOf.of(last)).values_list("pk", flat=True))
    ranked = Ranking.objects.filter(month=last.first)
    assert under_way
    assert set(ranked.values_list("project_id", flat=True)) == under_way
    assert sorted(ranked.values_list("rank", flat=True))[0] == 1
    # The reporting criterion tells the projects apart: on time, late, not reported.
    reporting = {row.scores.get("reporting") for row in ranked}
    assert {"100.0", "0.0"} <= reporting


def test_last_months_inspection_report_lists_its_findings_and_the_overdue(demo, last):
    report = InspectionReport.objects.get(month=last.first).content
    assert len(report["inspections"]) == 2
    assert report["findings"]["total"] == 4
    assert report["overdue"]["count"] >= 1
    assert report["rectified"]["count"] >= 1


def test_the_inspector_found_every_category_and_severity_over_the_two_months(demo, last):
    months = Finding.objects.filter(inspection__date__gte=last.previous().first)
    assert set(months.values_list("category", flat=True)) == set(Finding.Category.values)
    assert set(months.values_list("severity", flat=True)) == set(Finding.Severity.values)
    assert set(Inspection.objects.values_list("inspector__username", flat=True).distinct()) == {
        "inspector"
    }
    # One finding has its photo, stored through the safe image path (re-encoded).
    photographed = months.exclude(photo="").get()
    assert photographed.photo.name.startswith("findings/")


def test_a_finding_rectified_late_was_overdue_when_its_month_closed(demo, last):
    before = InspectionReport.objects.get(month=last.previous().first).content
    late = before["overdue"]["items"][0]
    finding = Finding.objects.get(pk=late["id"])
    assert finding.rectified_at is not None
    assert timezone.localdate(finding.rectified_at) > finding.deadline
    assert finding.rectification


def test_the_dispatches_were_reported_inside_their_month_mostly_by_the_25th(demo, last):
    for month in (last.previous(), last):
        dispatches = Dispatch.objects.filter(month=month.first)
        reported = [d for d in dispatches if d.submitted_at is not None]
        assert dispatches.filter(submitted_at__isnull=True).count() == 1
        assert len(reported) >= dispatches.count() - 1
        days = sorted(timezone.localdate(d.submitted_at) for d in reported)
        assert all(month.first <= day <= month.last for day in days)
        assert sum(day.day > 25 for day in days) == (1 if len(reported) > 1 else 0)
        assert all(d.problems and d.next_month_plan for d in reported)
        opened = {timezone.localtime(d.opened_at) for d in dispatches}
        assert {moment.date() for moment in opened} == {month.first}


def test_each_dispatch_line_shows_what_was_done_in_its_month(demo, last):
    reported = Dispatch.objects.filter(
        month=last.first, submitted_at__isnull=False, project__status=Status.UNDER_CONSTRUCTION
    )
    for dispatch in reported:
        lines = list(dispatch.lines.all())
        assert all(line.done_this_month >= 0 for line in lines)
        assert any(line.done_this_month > 0 for line in lines)


def test_the_snapshots_show_the_current_batch_at_their_stage_at_each_months_end(demo, last):
    previous = last.previous()
    for month in (previous, last):
        as_of = snapshots.AsOf.of(month)
        for snapshot in ProjectSnapshot.objects.filter(month=month.first).select_related("project"):
            then = (
                Project.objects.filter(pk=snapshot.project_id)
                .annotate(status_at=snapshots.status_then(as_of.moment))
                .values_list("status_at", flat=True)
                .get()
            )
            assert snapshot.figures["status"] == then
    # Work under way grows from one month to the next.
    building = ProjectSnapshot.objects.filter(
        month=last.first, figures__status=Status.UNDER_CONSTRUCTION
    )
    assert building.exists()
    for snapshot in building:
        before = ProjectSnapshot.objects.get(month=previous.first, project=snapshot.project_id)
        if before.figures["status"] == Status.UNDER_CONSTRUCTION:
            assert float(before.figures["percent_complete"]) <= float(
                snapshot.figures["percent_complete"]
            )


def test_the_projects_work_ends_where_the_projects_demo_left_it(demo):
    for project in Project.objects.filter(status=Status.COMPLETED):
        items = TaskItem.objects.filter(project=project)
        assert all(item.completed_quantity == item.planned_quantity for item in items)
    building = Project.objects.get(status=Status.UNDER_CONSTRUCTION)
    assert TaskItem.objects.filter(project=building).completion() is not None


def test_this_months_dispatches_are_open_for_every_project_under_way(demo, current):
    assert done(JobRun.Job.OPEN_MONTH, current.key)
    sheets = Dispatch.objects.filter(month=current.first)
    assert set(sheets.values_list("project_id", flat=True)) == set(
        Project.objects.active().values_list("pk", flat=True)
    )
    assert sheets.filter(submitted_at__isnull=True).exists()  # left for staff to fill


def test_the_previous_quarters_meeting_has_decisions_followed_up_in_the_next_pack(demo, current):
    quarter = current.quarter.previous()
    assert done(JobRun.Job.QUARTER, quarter.key)
    meeting = LeadershipMeeting.objects.get(quarter=quarter.key)
    assert meeting.docx and meeting.held_on and meeting.minutes
    decisions = list(meeting.decisions.all())
    assert len(decisions) == 3
    assert all(d.owner and d.deadline for d in decisions)
    assert sum(d.done_on is not None for d in decisions) == 1

    pack = meetings.pack_content(quarter.next())
    followed = {row["id"] for row in pack["decisions"]}
    assert followed == {d.pk for d in decisions if d.done_on is None}


def test_seeding_again_creates_nothing(demo):
    models = [
        model
        for model in apps.get_app_config("cycle").get_models()
        if model.__name__ != "HistoricalRankingCriterion"
    ] + [apps.get_model("projects", "HistoricalTaskItem")]

    def counts():
        return {model.__name__: model.objects.count() for model in models}

    before = counts()
    files = set(Bulletin.objects.values_list("docx", "xlsx"))
    seed()
    assert counts() == before
    assert set(Bulletin.objects.values_list("docx", "xlsx")) == files


def test_load_cycle_again_closes_nothing(demo, last):
    result = cycle_demo.load_cycle()
    assert result.closed == []
    assert result.last_month == last
    assert result.bulletin_ready


def test_seed_demo_says_where_to_read_last_months_bulletin_and_ranking(demo, last):
    lines = [line for line in demo.splitlines() if line.startswith("Monthly cycle")]
    assert len(lines) == 1
    assert f"/cycle/bulletins/{last.key}/" in lines[0]
    assert f"/admin/cycle/ranking/?month={last.key}" in lines[0]


@pytest.mark.parametrize("username", ["leader", "office", "community"])
def test_the_home_page_leads_staff_and_leaders_to_the_bulletins_and_meetings(
    client, demo, last, username
):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=username))
    body = client.get(reverse("home")).content.decode()
    assert reverse("cycle:bulletin_list") in body
    assert reverse("cycle:meeting_list") in body
    listing = client.get(reverse("cycle:bulletin_list")).content.decode()
    assert reverse("cycle:bulletin_detail", args=[last]) in listing
    page = client.get(reverse("cycle:bulletin_detail", args=[last]))
    assert page.status_code == 200
    assert client.get(reverse("cycle:meeting_list")).status_code == 200


@pytest.mark.django_db
def test_no_cycle_link_without_the_permission(client):
    client.force_login(make_user(Role.VISITOR))
    body = client.get(reverse("home")).content.decode()
    assert reverse("cycle:bulletin_list") not in body
    assert reverse("cycle:meeting_list") not in body


def test_paths_never_go_back_and_end_at_the_present_quantities(demo):
    """The quantities a project on a path reports rise month by month to what it has now."""
    month = Month.current()
    timeline = cycle_demo.Timeline(
        Project.objects.first(),
        [
            (timezone.make_aware(datetime.datetime(2026, 7, 3, 10)), Status.UNDER_CONSTRUCTION),
            (timezone.make_aware(datetime.datetime(2026, 11, 13, 10)), Status.COMPLETED),
        ],
    )
    path = cycle_demo.Path(timeline, {1: Decimal(100)}, month.previous())
    quantities = [
        path.at_end(Month.parse(key))[1] for key in ("2026-06", "2026-08", "2026-09", "2026-10")
    ]
    assert quantities == [0, 55, 70, 85]
    assert path.at_end(Month.parse("2026-11"))[1] == 100
