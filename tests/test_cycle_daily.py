"""The daily flags: notices whose period ended with objections unanswered while the project
waits for approval, residents' requests overdue, and inspection findings overdue for
rectification, counted and told in one digest email per person, once a day.

Projects are put in a status by a shortcut past their lifecycle (``set_status``, from the
dispatch tests): the lifecycle has its own tests.
"""

import datetime

import pytest
from django.core import mail
from django.utils import timezone, translation

from cycle import jobs
from cycle.daily import flags
from cycle.models import Finding, Inspection, JobRun
from projects.models import Project
from residents.roles import Role

from .conftest import make_user
from .factories import (
    HouseholdFactory,
    NeighbourhoodFactory,
    ObjectionFactory,
    ProjectFactory,
    PublicNoticeFactory,
    ResidentRequestFactory,
)
from .test_cycle_dispatch import set_status

pytestmark = pytest.mark.django_db

Status = Project.Status
DAY = datetime.date(2026, 11, 26)
YESTERDAY = DAY - datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def consulting(**kwargs) -> Project:
    return set_status(ProjectFactory(**kwargs), Status.CONSULTING)


def notice_ending(project, last_day: datetime.date, period_days: int = 7):
    """A notice of ``project`` whose last day to object is ``last_day``."""
    posted = last_day - datetime.timedelta(days=period_days - 1)
    return PublicNoticeFactory(project=project, posted_on=posted, period_days=period_days)


def finding(project, *, deadline, inspector=None, rectified=False, **kwargs) -> Finding:
    inspection = Inspection.objects.create(
        project=project,
        inspector=inspector or make_user(Role.INSPECTOR),
        date=deadline - datetime.timedelta(days=10),
    )
    return Finding.objects.create(
        inspection=inspection,
        category=kwargs.pop("category", Finding.Category.SAFETY),
        severity=kwargs.pop("severity", Finding.Severity.MAJOR),
        description=kwargs.pop("description", "脚手架未设置防护网"),
        deadline=deadline,
        rectified_at=timezone.now() if rectified else None,
        **kwargs,
    )


def overdue_request(neighbourhood, *, due_on=YESTERDAY, **kwargs):
    return ResidentRequestFactory(neighbourhood=neighbourhood, due_on=due_on, **kwargs)


@pytest.fixture
def county():
    """甲 is responsible for 桃园 (consulting, a notice ended with an objection unanswered, an
    overdue request nobody took, an overdue finding); 乙 handles a request of another
    neighbourhood; plus everything that is not due yet or already done."""
    jia = make_user(Role.COMMUNITY, username="jia", email="jia@example.cn")
    yi = make_user(Role.COMMUNITY, username="yi", email="yi@example.cn")
    taoyuan = consulting(
        name="桃园小区改造",
        responsible=jia,
        neighbourhood=NeighbourhoodFactory(name="桃园小区"),
    )
    household = HouseholdFactory(
        building__neighbourhood=taoyuan.neighbourhood, head_name="张住户", phone="13800001111"
    )
    awaiting = notice_ending(taoyuan, YESTERDAY)
    ObjectionFactory(notice=awaiting, household=household, text="停车位离张住户家太近")
    ObjectionFactory(notice=awaiting, answered_at=timezone.now(), answer="已调整")

    # Ended, every objection answered: counted, no one told.
    passed = consulting(responsible=jia)
    notice_ending(passed, YESTERDAY - datetime.timedelta(days=3))
    # Its last day is today: residents may still object.
    still_open = consulting(responsible=jia)
    ObjectionFactory(notice=notice_ending(still_open, DAY))
    # An older notice ended with an objection unanswered, but a newer one is posted: the
    # newer one is what counts.
    renewed = consulting(responsible=jia)
    ObjectionFactory(notice=notice_ending(renewed, DAY - datetime.timedelta(days=40)))
    notice_ending(renewed, DAY + datetime.timedelta(days=3))
    # A project approved already waits on nothing.
    approved = ProjectFactory(responsible=jia)
    ObjectionFactory(notice=notice_ending(approved, YESTERDAY))
    set_status(approved, Status.APPROVED)

    unassigned = overdue_request(
        taoyuan.neighbourhood, household=household, text="张住户反映楼道灯坏了 13800001111"
    )
    other_place = NeighbourhoodFactory(name="江南小区")
    assigned = overdue_request(other_place, assignee=yi, due_on=DAY - datetime.timedelta(days=5))
    overdue_request(other_place, assignee=yi, due_on=DAY)  # due today: not overdue yet
    overdue_request(other_place, assignee=yi, status="answered", answer="已处理")

    late = finding(taoyuan, deadline=YESTERDAY)
    finding(taoyuan, deadline=DAY)  # due today
    finding(taoyuan, deadline=YESTERDAY, rectified=True)
    return {
        "jia": jia,
        "yi": yi,
        "household": household,
        "awaiting": awaiting,
        "unassigned": unassigned,
        "assigned": assigned,
        "late": late,
    }


def sent_to() -> dict[str, mail.EmailMessage]:
    return {message.to[0].split("@")[0]: message for message in mail.outbox}


def test_the_flags_count_what_is_past_its_time(county):
    assert flags(DAY) == {
        "notices_ended": 2,
        "notices_awaiting_answers": 1,
        "requests_overdue": 2,
        "findings_overdue": 1,
        "emails": 2,
        "without_recipient": 0,
    }


def test_each_person_gets_one_digest_of_everything_they_must_follow(county, settings):
    settings.LANGUAGE_CODE = "en"  # the digest speaks the site's language; read it in English
    flags(DAY)
    emails = sent_to()
    assert set(emails) == {"jia", "yi"}

    jia = emails["jia"].body
    assert "桃园小区改造" in jia
    assert "1 objection still awaits a written answer" in jia
    assert f"/admin/surveys/publicnotice/{county['awaiting'].pk}/change/" in jia
    assert "桃园小区" in jia and f"/admin/surveys/residentrequest/{county['unassigned'].pk}/" in jia
    assert "脚手架未设置防护网" in jia and "(1 day overdue)" in jia
    assert jia.count("\n- ") == 3  # one notice, one request, one finding

    yi = emails["yi"].body
    assert "江南小区" in yi and "5 days overdue" in yi
    assert yi.count("\n- ") == 1


def test_the_digest_names_no_resident(county):
    flags(DAY)
    household = county["household"]
    for message in mail.outbox:
        for secret in (household.head_name, household.phone, "楼道灯", "停车位离"):
            assert secret not in message.body
            assert secret not in message.subject


def test_the_digest_is_in_the_sites_language(county):
    flags(DAY)
    for message in mail.outbox:
        assert "2026年11月26日" in message.subject
    assert translation.get_language() == "en"


def test_an_overdue_request_without_assignee_goes_to_the_latest_project_still_under_way():
    old_hand = make_user(Role.COMMUNITY, email="old@example.cn")
    current = make_user(Role.COMMUNITY, email="current@example.cn")
    neighbourhood = NeighbourhoodFactory()
    set_status(
        ProjectFactory(neighbourhood=neighbourhood, batch_year=2024, responsible=old_hand),
        Status.UNDER_CONSTRUCTION,
    )
    set_status(
        ProjectFactory(neighbourhood=neighbourhood, batch_year=2026, responsible=current),
        Status.CONSULTING,
    )
    set_status(ProjectFactory(neighbourhood=neighbourhood, batch_year=2025), Status.ACCEPTED)
    overdue_request(neighbourhood)
    flags(DAY)
    assert set(sent_to()) == {"current"}


def test_items_nobody_can_be_told_of_are_counted():
    overdue_request(NeighbourhoodFactory())  # no project, no assignee
    nobody = set_status(ProjectFactory(), Status.UNDER_CONSTRUCTION)
    finding(nobody, deadline=YESTERDAY)
    no_address = make_user(Role.COMMUNITY, email="")
    overdue_request(NeighbourhoodFactory(), assignee=no_address)
    result = flags(DAY)
    assert (result["emails"], result["without_recipient"]) == (0, 3)
    assert mail.outbox == []


def test_the_daily_job_sends_once_a_day(county):
    first = jobs.daily(DAY)
    jobs.daily(DAY)
    assert len(mail.outbox) == 2
    assert first.summary["flags"]["emails"] == 2
    assert JobRun.objects.get(job=JobRun.Job.DAILY, period="2026-11-26").state == "done"
    jobs.daily(DAY + datetime.timedelta(days=1))  # the next day is a day of its own
    assert len(mail.outbox) == 4


def test_nothing_past_its_time_sends_nothing():
    assert flags(DAY)["emails"] == 0
    assert mail.outbox == []


def test_the_flags_run_a_fixed_number_of_queries(django_assert_num_queries):
    # The current notices of projects consulting with their objections counted; the projects
    # of the neighbourhoods with overdue requests; the overdue requests with their
    # neighbourhoods; the overdue findings with their inspections and projects; the accounts
    # to email.
    def grow(count):
        for _ in range(count):
            responsible = make_user(Role.COMMUNITY)
            responsible.email = f"{responsible.username}@example.cn"
            responsible.save(update_fields=["email"])
            project = consulting(responsible=responsible)
            ObjectionFactory(notice=notice_ending(project, YESTERDAY))
            overdue_request(project.neighbourhood)
            overdue_request(NeighbourhoodFactory(), assignee=responsible)
            finding(project, deadline=YESTERDAY)

    grow(2)
    with django_assert_num_queries(5):
        assert flags(DAY)["emails"] == 2
    grow(5)
    with django_assert_num_queries(5):
        assert flags(DAY)["emails"] == 7
