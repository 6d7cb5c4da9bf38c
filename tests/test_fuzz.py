"""Fuzzing the forms: whatever is posted, a page comes back, never a server error.

Every POST form of the household pages (``/h/<token>/…``: an opinion, an objection to the
posted plan, the satisfaction survey, the evaluation of the property firm) and the admin's
most used forms (a household, a building, a neighbourhood, a project, a task item, a
funding line, a visit, a notice) are posted with values drawn by hypothesis: any text
(control characters, NUL bytes, right-to-left marks, huge strings), numbers out of range,
dates that do not exist, bogus choices and foreign keys, lists where one value is expected,
fields left out. Each post must answer with a page (200 with the errors, 302 once taken,
404/429 where that is the answer), never a 500 (the test client re-raises a view's
exception, which fails the test), and a refused form must change no row.

The examples are few and derandomized, so the file runs in seconds and the same way each
time; each example runs in a savepoint rolled back after it, so examples do not see each
other's rows.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import evaluation
from projects.models import Project
from residents.models import PropertyCompany
from surveys import links

from .factories import (
    BuildingFactory,
    FundingLineFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    PublicNoticeFactory,
    TaskItemFactory,
    VisitFactory,
)
from .formdata import form_data
from .test_acceptance_resident import completed, office, survey  # noqa: F401 (fixtures)
from .test_bad_inputs import home  # noqa: F401 (a fixture)
from .test_project_lifecycle import project_at

pytestmark = pytest.mark.django_db


def fuzz(examples):
    """Hypothesis settings for ``examples`` examples, the same ones on every run."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- What is posted ------------------------------------------------------------------------

#: Values a careless or hostile client might send, beside the ones hypothesis draws.
NASTY = [
    "",
    " ",
    "\x00",
    "正常\x00文字",
    "\x1b[2J\r\n\t\x7f",
    "\u202e\u200b\ufeff",
    "🏠" * 3000,
    "字" * 20_000,
    "-1",
    "0",
    "2147483648",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "1e309",
    "NaN",
    "-Infinity",
    "0x1F",
    "１２３",  # full-width digits
    "12.345678901234567890",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "10000-01-01",
    "<script>alert(1)</script>",
    "'; DROP TABLE residents_household; --",
    "../../etc/passwd",
    "on",
    "None",
]

#: A field left out of the post altogether.
MISSING = object()

text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),  # any Unicode (no lone surrogates: they cannot be sent as UTF-8)
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates(min_value=datetime.date(1, 1, 1)).map(str),
)
value = st.one_of(text, st.lists(text, min_size=2, max_size=3), st.just(MISSING))


def changes_to(fields):
    """A few of ``fields`` (one to three), each given a drawn value or left out."""
    return st.dictionaries(st.sampled_from(sorted(fields)), value, min_size=1, max_size=3)


def post_data(base: dict, changes: dict) -> dict:
    data = dict(base)
    for name, new in changes.items():
        if new is MISSING:
            data.pop(name, None)
        else:
            data[name] = new
    return data


# --- What must not change ------------------------------------------------------------------


def snapshot(*models) -> dict:
    """The row count of every table, and every row of ``models``: a refused form leaves it
    as it was."""
    counts = {model._meta.label: model.objects.count() for model in apps.get_models()}
    rows = {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}
    return {"counts": counts, "rows": rows}


def check_answer(response, before: dict, *models, allowed=(200, 302)):
    """``response`` is one of the ``allowed`` answers (the test client has already raised
    any server error); a refused form (200: the form again, with its errors) changed no row."""
    assert response.status_code in allowed, response.status_code
    if response.status_code != 302:
        assert snapshot(*models) == before


def in_savepoint(test):
    """Run one example in a savepoint rolled back after it, with fresh rate limits."""

    def run(*args, **kwargs):
        cache.clear()
        with transaction.atomic():
            test(*args, **kwargs)
            transaction.set_rollback(True)

    return run


# --- The household pages -------------------------------------------------------------------


upload = st.one_of(
    st.none(),
    st.binary(max_size=2000).map(lambda data: SimpleUploadedFile("photo.jpg", data)),
)


@fuzz(25)
@given(changes=changes_to(["text", "category", "needs", "photo"]), photo=upload)
def test_the_opinion_form_answers_any_post_with_a_page(client, home, changes, photo):  # noqa: F811
    @in_savepoint
    def example():
        data = post_data({"category": "opinion", "text": "楼道灯坏了"}, changes)
        if photo is not None and "photo" not in changes:
            photo.seek(0)
            data["photo"] = photo
        before = snapshot()
        response = client.post(f"/h/{home.token}/opinion/", data)
        check_answer(response, before)

    example()


@fuzz(25)
@given(changes=changes_to(["text", "notice"]))
def test_the_objection_form_answers_any_post_with_a_page(client, home, changes):  # noqa: F811
    @in_savepoint
    def example():
        before = snapshot()
        data = post_data({"notice": home.notice.pk, "text": "停车位离窗户太近"}, changes)
        check_answer(client.post(f"/h/{home.token}/objection/", data), before)

    example()


SATISFACTION = ["survey_round", "overall", "content", "process", "long_term", "comment"]


@fuzz(25)
@given(changes=changes_to(SATISFACTION))
def test_the_satisfaction_survey_answers_any_post_with_a_page(client, survey, changes):  # noqa: F811
    @in_savepoint
    def example():
        before = snapshot()
        good = {
            "survey_round": survey.round.pk,
            "overall": "satisfied",
            "content": "satisfied",
            "process": "basically_satisfied",
            "long_term": "dissatisfied",
            "comment": "",
        }
        url = f"/h/{survey.token}/satisfaction/"
        check_answer(client.post(url, post_data(good, changes)), before)

    example()


@pytest.fixture
def firm_round(db):
    """A household served by a property firm whose evaluation is open, with a link."""
    firm = PropertyCompany.objects.create(name="安居物业")
    household = HouseholdFactory(
        building=BuildingFactory(neighbourhood=NeighbourhoodFactory(property_company=firm))
    )
    year, quarter = evaluation.quarter_of(datetime.date.today())
    opened = evaluation.open_round(
        firm,
        year=year,
        quarter=quarter,
        closes_on=datetime.date.today() + datetime.timedelta(days=30),
    )
    return SimpleNamespace(round=opened, token=links.issue_link(household))


EVALUATION = ["evaluation", "overall", "cleaning", "security", "repairs", "greenery", "comment"]


@fuzz(25)
@given(changes=changes_to(EVALUATION))
def test_the_property_evaluation_answers_any_post_with_a_page(client, firm_round, changes):
    @in_savepoint
    def example():
        before = snapshot()
        good = {"evaluation": firm_round.round.pk, "overall": "satisfied", "comment": ""}
        url = f"/h/{firm_round.token}/property/"
        check_answer(client.post(url, post_data(good, changes)), before)

    example()


@fuzz(25)
@given(
    token=st.one_of(st.text(max_size=60), st.sampled_from(["%00", "%ff%fe", "..", "a" * 5000])),
    page=st.sampled_from(["", "opinion/", "objection/", "satisfaction/", "property/"]),
)
def test_any_token_gets_a_page(client, db, token, page):
    @in_savepoint
    def example():
        before = snapshot()
        response = client.post(f"/h/{token}/{page}", {"text": "x"})
        check_answer(response, before, allowed=(301, 302, 404))

    example()


# --- The admin -----------------------------------------------------------------------------


@pytest.fixture
def records(registers, office_user, client):
    """A project in consultation of 桃园小区 with a task item, a funding line, a visit and a
    notice; the county office logged in."""
    client.force_login(office_user)
    project = project_at(
        Project.Status.CONSULTING, by=office_user, neighbourhood=registers.a.neighbourhood
    )
    return SimpleNamespace(
        household=registers.a.household,
        building=registers.a.building,
        neighbourhood=registers.a.neighbourhood,
        project=project,
        task_item=TaskItemFactory(project=project),
        funding_line=FundingLineFactory(project=project),
        visit=VisitFactory(household=registers.b.household),
        notice=PublicNoticeFactory(project=project),
    )


ADMIN_FORMS = {
    "household": "residents_household",
    "building": "residents_building",
    "neighbourhood": "residents_neighbourhood",
    "project": "projects_project",
    "task_item": "projects_taskitem",
    "funding_line": "projects_fundingline",
    "visit": "surveys_visit",
    "notice": "surveys_publicnotice",
}


@pytest.mark.parametrize("record", ADMIN_FORMS)
@pytest.mark.parametrize("page", ["add", "change"])
def test_admin_form_answers_any_post_with_a_page(client, records, record, page):
    obj = getattr(records, record)
    if page == "add":
        url = reverse(f"admin:{ADMIN_FORMS[record]}_add")
    else:
        url = reverse(f"admin:{ADMIN_FORMS[record]}_change", args=[obj.pk])
    base = form_data(client.get(url).content.decode())
    model = type(obj)

    @fuzz(12)
    @given(changes=changes_to(base))
    def post(changes):
        @in_savepoint
        def example():
            before = snapshot(model)
            check_answer(client.post(url, post_data(base, changes)), before, model)

        example()

    post()
