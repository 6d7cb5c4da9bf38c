"""Shared fixtures, and the rule for tests that need a real service.

A test marked ``postgres`` or ``redis`` runs when ``DATABASE_URL`` points at PostgreSQL or
``REDIS_URL`` is set. Otherwise it is skipped on a developer's machine, and it fails in CI
(``CI=true``), where the services must be there.
"""

import os
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from residents.roles import Role

from .factories import (
    BuildingFactory,
    BuildingHeadFactory,
    CommitteeMemberFactory,
    CommunityFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    OwnersCommitteeFactory,
    RegionFactory,
    StaffProfileFactory,
    UserFactory,
    VisitTeamFactory,
    valid_id_number,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
#: A Redis address where nothing listens (port 1 of the loopback interface): Redis is down.
UNREACHABLE = "redis://127.0.0.1:1/0"


def pytest_sessionstart(session):
    """Compile the translation catalogues first: the pages under test speak Chinese."""
    from django.core.management import call_command
    from django.utils.translation import trans_real

    call_command("compiletranslations", verbosity=0)
    # Forget catalogues read before they were compiled (as Django's autoreloader does).
    trans_real._translations = {}
    trans_real._default = None


def _missing_service(item) -> str | None:
    if (
        item.get_closest_marker("postgres")
        and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    ):
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
        if not Group.objects.filter(name=role.value).exists():
            # A transactional test before this one emptied the tables, groups included.
            from django.apps import apps

            from residents.roles import sync_roles

            sync_roles(apps)
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


def _register_of(community, *, names, phones, id_number):
    neighbourhood, household_head, building_head, member = names
    household_phone, head_phone, member_phone = phones
    committee = OwnersCommitteeFactory(community=community, name=f"{neighbourhood}业委会")
    CommitteeMemberFactory(committee=committee, name=member, phone=member_phone)
    nbh = NeighbourhoodFactory(community=community, name=neighbourhood, owners_committee=committee)
    building = BuildingFactory(neighbourhood=nbh, number="1")
    return SimpleNamespace(
        community=community,
        neighbourhood=nbh,
        building=building,
        household=HouseholdFactory(
            building=building,
            room="101",
            head_name=household_head,
            phone=household_phone,
            id_number=id_number,
        ),
        building_head=BuildingHeadFactory(
            neighbourhood=nbh, building=building, name=building_head, phone=head_phone
        ),
        committee=committee,
    )


@pytest.fixture
def registers(db):
    """Three communities with one register each: A (桃园小区), B (江南小区) and C (河畔小区).

    Each has a neighbourhood with its owners' committee (one member), a building, a household
    and a building head. Every name, phone and ID number is distinct and none is a substring of
    another, so a test can tell from a page's text whose rows it shows.
    """
    return SimpleNamespace(
        a=_register_of(
            CommunityFactory(name="城关社区"),
            names=("桃园小区", "张甲户", "赵楼长", "钱委员"),
            phones=("13811110001", "13911110011", "13711110111"),
            id_number=valid_id_number("61092219850101123"),
        ),
        b=_register_of(
            CommunityFactory(name="江南社区"),
            names=("江南小区", "李乙户", "孙楼长", "周委员"),
            phones=("13822220002", "13922220022", "13722220222"),
            id_number=valid_id_number("61092219760505456"),
        ),
        c=_register_of(
            CommunityFactory(name="河畔社区"),
            names=("河畔小区", "王丙户", "吴楼长", "郑委员"),
            phones=("13833330003", "13933330033", "13733330333"),
            id_number=valid_id_number("61092219930909789"),
        ),
    )


@pytest.fixture
def visitor(registers):
    """A visit-team member whose team is assigned neighbourhood C only."""
    user = make_user(Role.VISITOR, username="visitor")
    VisitTeamFactory(neighbourhoods=[registers.c.neighbourhood], members=[user])
    return user


def complete_consultation(project):
    """Give ``project`` a complete consultation, so the approval gate lets it pass: every
    household visited (one registered first when the neighbourhood has none), a closed
    residents' meeting that adopted its task items, and a notice posted in 2020 whose period
    is long over, without objections. Add the task items first."""
    import datetime

    from django.utils import timezone

    from surveys import rules

    from .factories import DiscussionFactory, PublicNoticeFactory, VisitFactory

    households = rules.project_households(project)
    if not households.exists():
        HouseholdFactory(building=BuildingFactory(neighbourhood=project.neighbourhood))
    for household in rules.not_visited(households):
        VisitFactory(household=household)
    DiscussionFactory(
        project=project,
        minutes="会议通过改造方案。",
        adopted_items=list(project.task_items.all()),
        closed_at=timezone.now(),
    )
    PublicNoticeFactory(project=project, posted_on=datetime.date(2020, 1, 1), period_days=7)
    return project


def pass_acceptance(project, *, by=None, answers=None):
    """Give a completed ``project`` what the acceptance gate asks: a completion check whose
    every item passed, with a participant, and a survey round in which every household on the
    roll answered "satisfied" (``answers`` of them, when given). Through the services, as
    staff would do it."""
    from acceptance import services
    from acceptance.models import Participant, Result

    check = services.start_check(project, by=by)
    check.items.update(result=Result.PASSED)
    Participant.objects.create(acceptance_check=check, role="county_office", name="县改造办")
    services.conclude_check(check, by=by)
    survey_round = services.open_round(project, by=by)
    roll = list(survey_round.roll.select_related("household"))
    for respondent in roll[: len(roll) if answers is None else answers]:
        services.submit_answer(survey_round, respondent.household, overall="satisfied")
    return survey_round
