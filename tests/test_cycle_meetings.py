"""季度领导小组例会: the quarter's meeting pack, its .docx, its pages and its admin."""

import datetime
import io
from decimal import Decimal

import docx
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from cycle.meetings import pack_content, prepare_pack
from cycle.models import (
    CountySnapshot,
    Dispatch,
    Finding,
    Inspection,
    LeadershipMeeting,
    MeetingDecision,
    Ranking,
)
from cycle.periods import Month, Quarter
from residents.roles import Role

from .conftest import make_user
from .factories import MilestoneFactory, ProjectFactory, RegionFactory
from .test_cycle_bulletin import county_figures, docx_text

Q3 = Quarter.parse("2026-Q3")
Q4 = Quarter.parse("2026-Q4")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TODAY = datetime.date(2027, 1, 5)


@pytest.fixture(autouse=True)
def empty_storage(settings):
    """A storage of its own for each test, so a test sees exactly the files it made."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def shiquan(db):
    return RegionFactory(level="county", name="石泉县", code="610922", parent=None)


@pytest.fixture
def today(monkeypatch):
    """The pack is prepared on 5 January 2027, after the fourth quarter of 2026."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def meeting(quarter, **fields):
    return LeadershipMeeting.objects.create(
        quarter=quarter.key, prepared_at=timezone.now(), **fields
    )


def decision(of, text, *, done_on=None, deadline=None, owner="县住建局"):
    return MeetingDecision.objects.create(
        meeting=of, text=text, owner=owner, deadline=deadline, done_on=done_on
    )


def prepare(quarter=Q4, *, capture):
    with capture(execute=True):
        prepare_pack(quarter)
    return LeadershipMeeting.objects.get(quarter=quarter.key)


def rank(month, projects_in_order):
    for index, project in enumerate(projects_in_order, start=1):
        Ranking.objects.create(
            month=month.first,
            project=project,
            scores={},
            total=Decimal(100 - index),
            rank=index,
        )


# --- The pack -------------------------------------------------------------------------------


def test_the_pack_follows_up_the_decisions_of_earlier_meetings_not_done(shiquan, today):
    q2, q3 = meeting(Quarter.parse("2026-Q2")), meeting(Q3)
    old_open = decision(q2, "完成老冰棍厂小区雨污分流", deadline=datetime.date(2026, 9, 30))
    decision(q2, "已办结的事项", done_on=datetime.date(2026, 8, 1))
    open_q3 = decision(q3, "加快老物局小区进度", deadline=datetime.date(2027, 3, 31))
    decision(q3, "已办结的第三季度事项", done_on=datetime.date(2026, 12, 1))
    this_quarter = meeting(Q4)
    decision(this_quarter, "本次会议的议定事项")  # its own, not a follow-up
    decision(meeting(Quarter.parse("2027-Q1")), "以后会议的议定事项")

    decisions = pack_content(Q4)["decisions"]

    assert [row["id"] for row in decisions] == [old_open.pk, open_q3.pk]
    assert decisions[0] == {
        "id": old_open.pk,
        "quarter": "2026-Q2",
        "text": "完成老冰棍厂小区雨污分流",
        "owner": "县住建局",
        "deadline": "2026-09-30",
        "follow_up": "",
        "overdue": True,
    }
    assert decisions[1]["overdue"] is False


def test_a_decision_done_since_leaves_the_next_pack(
    shiquan, today, django_capture_on_commit_callbacks
):
    open_q3 = decision(meeting(Q3), "加快老物局小区进度")
    assert len(prepare(capture=django_capture_on_commit_callbacks).pack["decisions"]) == 1

    open_q3.done_on = datetime.date(2027, 1, 4)
    open_q3.save(update_fields=["done_on"])

    assert prepare(capture=django_capture_on_commit_callbacks).pack["decisions"] == []


def test_the_pack_has_the_three_months_figures_and_names_a_month_not_frozen(shiquan, today):
    CountySnapshot.objects.create(
        month=datetime.date(2026, 10, 1), figures=county_figures(households_benefited=3000)
    )
    CountySnapshot.objects.create(
        month=datetime.date(2026, 12, 1), figures=county_figures(households_benefited=3107)
    )

    pack = pack_content(Q4)

    assert [row["month"] for row in pack["months"]] == ["2026-10", "2026-11", "2026-12"]
    assert [row["available"] for row in pack["months"]] == [True, False, True]
    assert pack["months"][2]["households_benefited"] == 3107
    assert pack["months"][2]["funds"]["arrived"] == "12345678.90"
    assert pack["missing"] == ["2026-11"]
    assert pack["title"] == "石泉县城镇老旧小区改造工作领导小组季度例会材料"


def test_the_pack_names_each_months_top_and_bottom_of_the_ranking(shiquan, today):
    projects = [ProjectFactory(name=f"项目{n}") for n in range(8)]
    rank(Month.parse("2026-10"), projects)
    rank(Month.parse("2026-11"), projects[:4])

    rankings = pack_content(Q4)["rankings"]

    october, november, december = rankings
    assert [row["name"] for row in october["top"]] == ["项目0", "项目1", "项目2"]
    assert [row["name"] for row in october["bottom"]] == ["项目5", "项目6", "项目7"]
    assert october["top"][0]["total"] == "99.0"
    # Four ranked: the bottom leaves out whoever is already at the top.
    assert [row["name"] for row in november["bottom"]] == ["项目3"]
    assert december == {"month": "2026-12", "ranked": False, "top": [], "bottom": []}


def test_the_pack_lists_the_open_problems(shiquan, today):
    late = ProjectFactory(name="滞后项目")
    MilestoneFactory(project=late, planned_date=datetime.date(2026, 12, 1))
    on_time = ProjectFactory(name="正常项目")
    MilestoneFactory(project=on_time, planned_date=datetime.date(2027, 3, 1))
    inspection = Inspection.objects.create(
        project=late, inspector=make_user(Role.INSPECTOR), date=datetime.date(2026, 12, 1)
    )
    overdue = Finding.objects.create(
        inspection=inspection,
        category="quality",
        description="外墙保温层脱落",
        deadline=datetime.date(2026, 12, 31),
    )
    Finding.objects.create(  # due later: not a problem yet
        inspection=inspection,
        category="site",
        description="材料堆放杂乱",
        deadline=datetime.date(2027, 2, 1),
    )
    Finding.objects.create(  # rectified: not a problem
        inspection=inspection,
        category="safety",
        description="已整改的问题",
        deadline=datetime.date(2026, 12, 10),
        rectified_at=timezone.now(),
    )
    Dispatch.objects.create(project=late, month=datetime.date(2026, 11, 1))
    Dispatch.objects.create(
        project=on_time, month=datetime.date(2026, 11, 1), submitted_at=timezone.now()
    )
    Dispatch.objects.create(project=on_time, month=datetime.date(2026, 9, 1))  # Q3

    problems = pack_content(Q4)["problems"]

    assert [(row["id"], row["days_overdue"]) for row in problems["overdue_findings"]] == [
        (overdue.pk, 5)
    ]
    assert [(row["name"], row["late_milestones"]) for row in problems["behind_schedule"]] == [
        ("滞后项目", 1)
    ]
    assert [(row["month"], row["project"]) for row in problems["unreported_dispatches"]] == [
        ("2026-11", "滞后项目")
    ]


# --- Preparing, and preparing again -----------------------------------------------------


def test_preparing_again_keeps_the_meeting_its_minutes_and_decisions_and_replaces_the_docx(
    shiquan, today, django_capture_on_commit_callbacks
):
    first = prepare(capture=django_capture_on_commit_callbacks)
    first.held_on = datetime.date(2027, 1, 10)
    first.minutes = "会议听取了第四季度工作汇报。"
    first.save(update_fields=["held_on", "minutes"])
    decision(first, "本次会议议定：加快进度")
    old_docx = first.docx.name

    again = prepare(capture=django_capture_on_commit_callbacks)

    assert LeadershipMeeting.objects.count() == 1
    assert again.pk == first.pk
    assert again.held_on == datetime.date(2027, 1, 10)
    assert again.minutes == "会议听取了第四季度工作汇报。"
    assert again.decisions.count() == 1
    assert not default_storage.exists(old_docx)
    assert default_storage.exists(again.docx.name)
    assert default_storage.listdir("meetings")[1] == [again.docx.name.removeprefix("meetings/")]


def test_prepare_pack_returns_the_quarter(shiquan, today):
    decision(meeting(Q3), "加快老物局小区进度")

    assert prepare_pack(Q4) == {"meeting": "2026-Q4", "open_decisions": 1}


def test_the_pack_docx_opens_and_lists_the_decisions_to_follow_up(
    shiquan, today, django_capture_on_commit_callbacks
):
    decision(meeting(Q3), "加快老物局小区雨污分流改造进度", deadline=datetime.date(2026, 11, 30))
    CountySnapshot.objects.create(
        month=datetime.date(2026, 12, 1), figures=county_figures(households_benefited=3107)
    )

    document = docx.Document(
        io.BytesIO(prepare(capture=django_capture_on_commit_callbacks).docx.read())
    )

    text = docx_text(document)
    assert document.paragraphs[0].text == "石泉县城镇老旧小区改造工作领导小组季度例会材料"
    assert "2026年第四季度" in text
    assert "加快老物局小区雨污分流改造进度" in text
    assert "（已逾期）" in text
    assert "3107" in text


@pytest.mark.parametrize("size", [2, 20])
def test_preparing_a_pack_runs_a_fixed_number_of_queries(
    shiquan, today, django_assert_num_queries, size
):
    projects = [ProjectFactory() for _ in range(size)]
    inspector = make_user(Role.INSPECTOR)
    for project in projects:
        MilestoneFactory(project=project, planned_date=datetime.date(2026, 12, 1))
        inspection = Inspection.objects.create(
            project=project, inspector=inspector, date=datetime.date(2026, 12, 1)
        )
        Finding.objects.create(
            inspection=inspection,
            category="quality",
            description="问题",
            deadline=TODAY - datetime.timedelta(days=2),
        )
        Dispatch.objects.create(project=project, month=datetime.date(2026, 12, 1))
    for month in Q4.months:
        rank(month, projects)
        CountySnapshot.objects.create(month=month.first, figures=county_figures())
    earlier = meeting(Q3)
    for n in range(size):
        decision(earlier, f"事项{n}")

    # Reads (12): the county snapshots, each month's top and bottom (6), the overdue
    # findings, the projects behind schedule, the unreported dispatches, the open decisions,
    # the county's name. Writes (9): the transaction's savepoint and release; the meeting's
    # update_or_create (savepoint, select for update, savepoint, insert, two releases); its
    # history row; the file's name and its history row.
    with django_assert_num_queries(23):
        prepare_pack(Q4)


# --- Pages ----------------------------------------------------------------------------------


@pytest.fixture
def pack(shiquan, today, django_capture_on_commit_callbacks):
    decision(meeting(Q3), "加快老物局小区雨污分流改造进度")
    return prepare(capture=django_capture_on_commit_callbacks)


def page_url(quarter=Q4):
    return reverse("cycle:meeting_detail", args=[quarter])


def test_anonymous_visitors_are_sent_to_the_login_page(client, pack):
    response = client.get(page_url())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("role", [Role.LEADER, Role.OFFICE, Role.COMMUNITY])
def test_leaders_and_staff_read_the_pack(client, pack, role):
    client.force_login(make_user(role))

    listed = client.get(reverse("cycle:meeting_list"))
    page = client.get(page_url())
    word = client.get(reverse("cycle:meeting_docx", args=[Q4]))

    assert listed.status_code == 200 and page_url() in listed.content.decode()
    assert page.status_code == 200
    assert "加快老物局小区雨污分流改造进度" in page.content.decode()
    assert word.status_code == 200
    assert "加快老物局小区雨污分流改造进度" in docx_text(
        docx.Document(io.BytesIO(b"".join(word.streaming_content)))
    )


@pytest.mark.parametrize("role", [Role.VISITOR, None])
def test_users_without_the_permission_are_refused_the_pack(client, pack, role):
    client.force_login(make_user(role))

    assert client.get(reverse("cycle:meeting_list")).status_code == 403
    assert client.get(page_url()).status_code == 403
    assert client.get(reverse("cycle:meeting_docx", args=[Q4])).status_code == 403


def test_the_page_shows_the_meetings_minutes_and_decisions_once_held(client, pack):
    pack.held_on = datetime.date(2027, 1, 10)
    pack.minutes = "会议听取了第四季度工作汇报。"
    pack.save(update_fields=["held_on", "minutes"])
    decision(pack, "本次会议议定：一月底前完成整改")
    client.force_login(make_user(Role.LEADER))

    text = client.get(page_url(), **EN).content.decode()

    assert "会议听取了第四季度工作汇报。" in text
    assert "本次会议议定：一月底前完成整改" in text
    assert "2027-01-10" in text


@pytest.mark.parametrize("decisions", [1, 15])
def test_the_meeting_page_runs_a_fixed_number_of_queries(
    client, pack, django_assert_num_queries, decisions
):
    for n in range(decisions):
        decision(pack, f"事项{n}")
    client.force_login(make_user(Role.LEADER))
    client.get(page_url())

    # The savepoint and its release, the session, the user, the permissions (2), the
    # meeting, its decisions.
    with django_assert_num_queries(8):
        response = client.get(page_url())
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 8])
def test_the_meeting_list_runs_a_fixed_number_of_queries(
    client, pack, django_assert_num_queries, count
):
    quarter = Quarter.parse("2026-Q2")
    for _ in range(count):
        meeting(quarter)
        quarter = quarter.previous()
    client.force_login(make_user(Role.LEADER))
    client.get(reverse("cycle:meeting_list"))

    # The savepoint and its release, the session, the user, the permissions (2), the count,
    # the page of meetings.
    with django_assert_num_queries(8):
        response = client.get(reverse("cycle:meeting_list"))
    assert response.status_code == 200


# --- Admin ----------------------------------------------------------------------------------


def admin_url(name, *args):
    return reverse(f"admin:cycle_leadershipmeeting_{name}", args=args)


def test_the_office_records_the_meeting_and_its_decisions_in_the_admin(client, pack):
    client.force_login(make_user(Role.OFFICE))
    page = client.get(admin_url("change", pack.pk), **EN)
    assert page.status_code == 200
    assert reverse("cycle:meeting_docx", args=[Q4]) in page.content.decode()

    response = client.post(
        admin_url("change", pack.pk),
        {
            "held_on": "2027-01-10",
            "minutes": "会议纪要",
            "decisions-TOTAL_FORMS": "1",
            "decisions-INITIAL_FORMS": "0",
            "decisions-MIN_NUM_FORMS": "0",
            "decisions-MAX_NUM_FORMS": "1000",
            "decisions-0-text": "一月底前完成整改",
            "decisions-0-owner": "城关镇",
            "decisions-0-deadline": "2027-01-31",
            "decisions-0-follow_up": "",
            "decisions-0-done_on": "",
        },
        **EN,
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    pack.refresh_from_db()
    assert (pack.held_on, pack.minutes) == (datetime.date(2027, 1, 10), "会议纪要")
    assert list(pack.decisions.values_list("text", "owner")) == [("一月底前完成整改", "城关镇")]
    # The decision is followed up in the next quarter's pack.
    assert [row["text"] for row in pack_content(Quarter.parse("2027-Q1"))["decisions"]] == [
        "加快老物局小区雨污分流改造进度",
        "一月底前完成整改",
    ]


def test_the_pack_itself_cannot_be_edited_or_added_in_the_admin(client, pack):
    client.force_login(make_user(Role.OFFICE))

    page = client.get(admin_url("change", pack.pk)).content.decode()

    assert 'name="pack"' not in page
    assert 'name="quarter"' not in page
    assert client.get(admin_url("add")).status_code == 403


def test_the_office_prepares_a_pack_again_from_the_admin(
    client, pack, django_capture_on_commit_callbacks
):
    decision(meeting(Quarter.parse("2026-Q2")), "第二季度未办结事项")
    client.force_login(make_user(Role.OFFICE))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            admin_url("changelist"),
            {"action": "prepare_again", "_selected_action": [pack.pk]},
            follow=True,
            **EN,
        )

    assert "Pack prepared again: 2026-Q4." in response.content.decode()
    pack.refresh_from_db()
    assert len(pack.pack["decisions"]) == 2


def test_community_staff_read_meetings_in_the_admin_without_changing_them(client, pack):
    client.force_login(make_user(Role.COMMUNITY))

    listed = client.get(admin_url("changelist"), **EN)
    page = client.get(admin_url("change", pack.pk), **EN)

    assert listed.status_code == 200
    assert "prepare_again" not in listed.content.decode()
    assert page.status_code == 200
    assert 'name="minutes"' not in page.content.decode()


@pytest.mark.parametrize("count", [1, 6])
def test_the_admin_list_runs_a_fixed_number_of_queries(
    client, shiquan, django_assert_num_queries, count
):
    quarter = Q4
    for _ in range(count):
        decision(meeting(quarter), "事项")
        quarter = quarter.previous()
    client.force_login(make_user(Role.OFFICE))
    client.get(admin_url("changelist"))

    # The savepoint and its release, the session, the user, the permissions (2), the count
    # (twice: filtered and total), the page of meetings with their open decisions counted.
    with django_assert_num_queries(9):
        response = client.get(admin_url("changelist"))
    assert response.status_code == 200
