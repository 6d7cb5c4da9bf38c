"""The staff side of the acceptance in the admin: the checklist template, the completion checks,
the survey rounds with the answers entered on paper, the answers (the auditor's alone), the
decisions, and the acceptance panel and gate on the project's page.

Who answered may be seen; how a household answered may not, except by the auditor: the round's
pages are compared with the answers of two households swapped, and must not change.

Messages are read in English (``HTTP_ACCEPT_LANGUAGE``): the Chinese catalogue is filled in
separately, and the English msgids are what these tests can pin.
"""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import formats, timezone, translation

from acceptance import rules, services
from acceptance.admin.base import completed_projects
from acceptance.models import (
    AcceptanceCheck,
    AcceptanceDecision,
    CheckItem,
    ChecklistTemplateItem,
    Participant,
    Respondent,
    Result,
    SatisfactionAnswer,
    SurveyRound,
)
from projects.models import Project
from residents.models import CommitteeMember
from residents.roles import Role

from .conftest import make_user, pass_acceptance
from .factories import BuildingHeadFactory, HouseholdFactory, UserFactory
from .formdata import form_data
from .test_project_lifecycle import project_at

pytestmark = pytest.mark.django_db

Status = Project.Status


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def shown_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def url(name, *args, **params):
    address = reverse(f"admin:acceptance_{name}", args=args)
    if params:
        address += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return address


def completed(office_user, register, households=3):
    """A completed project of ``register``'s neighbourhood (without check or survey), whose
    neighbourhood has ``households`` households (the register's own among them)."""
    for room in range(households - 1):
        HouseholdFactory(building=register.building, room=f"{201 + room}")
    return project_at(
        Status.COMPLETED, by=office_user, acceptance=False, neighbourhood=register.neighbourhood
    )


def roll(survey_round):
    return list(survey_round.roll.select_related("household").order_by("household__room"))


def without_tokens(html: str) -> str:
    """The page without what changes on every request (the CSRF token)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


#: What the confirmation page posts to close a round.
CONFIRM = {"confirm": "yes"}


def answer_data(respondent, **changes):
    data = {
        "household": respondent.pk,
        "channel": "paper",
        "overall": "satisfied",
        "content": "",
        "process": "",
        "long_term": "",
        "comment": "",
    }
    return {**data, **changes}


# --- Every page renders for the county office ------------------------------------------------


def test_each_acceptance_page_renders_for_the_county_office(client, office_user, registers):
    project = completed(office_user, registers.a)
    survey_round = pass_acceptance(project, by=office_user)
    check = AcceptanceCheck.objects.get(project=project)
    accepted = project_at(Status.ACCEPTED, by=office_user)
    decision = AcceptanceDecision.objects.get(project=accepted)
    client.force_login(office_user)

    pages = [
        url("checklisttemplateitem_changelist"),
        url("checklisttemplateitem_add"),
        url("checklisttemplateitem_change", ChecklistTemplateItem.objects.first().pk),
        url("acceptancecheck_changelist"),
        url("acceptancecheck_add"),
        url("acceptancecheck_change", check.pk),
        url("acceptancecheck_history", check.pk),
        url("surveyround_changelist"),
        url("surveyround_add"),
        url("surveyround_change", survey_round.pk),
        url("surveyround_history", survey_round.pk),
        url("acceptancedecision_changelist"),
        url("acceptancedecision_change", decision.pk),
        reverse("admin:projects_project_change", args=[project.pk]),
        reverse("admin:projects_project_change", args=[accepted.pk]),
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page


# --- The checklist template ------------------------------------------------------------------


def test_the_office_reorders_and_switches_off_template_items_but_never_deletes_them(client):
    office = make_user(Role.OFFICE)
    client.force_login(office)
    item = ChecklistTemplateItem.objects.get(code="gas")
    page = client.get(url("checklisttemplateitem_change", item.pk))
    assert 'name="code"' not in page.content.decode()  # the installer finds lines by code

    response = client.post(
        url("checklisttemplateitem_change", item.pk),
        form_data(page.content.decode(), order=99, active=""),
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.order, item.active) == (99, False)
    latest = item.history.first()
    assert (latest.order, latest.active, latest.history_user) == (99, False, office)
    assert client.get(url("checklisttemplateitem_delete", item.pk)).status_code == 403


# --- Completion checks -----------------------------------------------------------------------


def test_the_office_starts_a_check_for_a_completed_project_on_the_date_given(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    en_client.force_login(office_user)
    page = en_client.get(url("acceptancecheck_add", project=project.pk)).content.decode()
    assert f'<option value="{project.pk}" selected>' in page

    response = en_client.post(
        url("acceptancecheck_add"), {"project": project.pk, "date": "2026-05-20"}
    )

    check = AcceptanceCheck.objects.get(project=project)
    assert response.status_code == 302
    assert response.url == url("acceptancecheck_change", check.pk)
    assert (check.number, check.date, check.created_by) == (
        1,
        datetime.date(2026, 5, 20),
        office_user,
    )
    assert check.items.count() == ChecklistTemplateItem.objects.filter(active=True).count()
    assert shown_messages(response)[0].startswith(f"Completion check 1 of “{project.name}” started")


def test_a_refused_start_is_shown_on_the_form_with_what_was_typed(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    services.start_check(project, by=office_user)
    en_client.force_login(office_user)

    response = en_client.post(
        url("acceptancecheck_add"), {"project": project.pk, "date": "2026-06-01"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Choose a project from the list: this one is not complete, or it has a check in "
        "progress, or its check passed."
    ) in page
    assert 'value="2026-06-01"' in page
    assert AcceptanceCheck.objects.filter(project=project).count() == 1


def test_a_refused_start_shows_the_services_reasons(en_client, office_user, registers, monkeypatch):
    """Should the project change between the page and its answer, the service's refusal is
    the form's error."""
    project = completed(office_user, registers.a)
    services.start_check(project, by=office_user)
    en_client.force_login(office_user)
    monkeypatch.setattr(
        "acceptance.admin.checks.checkable_projects",
        lambda user: Project.objects.filter(pk=project.pk),
    )

    response = en_client.post(
        url("acceptancecheck_add"), {"project": project.pk, "date": "2026-06-01"}
    )

    page = response.content.decode()
    assert "Check 1 is still in progress: conclude it first." in page
    assert f'<option value="{project.pk}" selected>' in page
    assert 'value="2026-06-01"' in page


def test_only_completed_projects_can_be_checked(en_client, office_user, registers):
    project = project_at(Status.UNDER_CONSTRUCTION, by=office_user)
    en_client.force_login(office_user)

    response = en_client.post(
        url("acceptancecheck_add"), {"project": project.pk, "date": "2026-06-01"}
    )

    assert response.status_code == 200
    assert "Choose a project from the list" in response.content.decode()
    assert not AcceptanceCheck.objects.exists()


def _conclude(client, check, **changes):
    page = client.get(url("acceptancecheck_change", check.pk)).content.decode()
    return client.post(
        url("acceptancecheck_change", check.pk), {**form_data(page, **changes), "_conclude": "1"}
    )


def test_concluding_a_check_is_refused_with_the_reasons_and_the_changes_are_kept(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    check = services.start_check(project, by=office_user)
    en_client.force_login(office_user)

    # The suggested participants (the committee member, the building head) are struck out.
    response = _conclude(
        en_client,
        check,
        notes="现场检查完毕",
        **{"participants-1-name": "", "participants-2-name": ""},
    )

    assert response.status_code == 302
    check.refresh_from_db()
    assert (check.result, check.notes) == (Result.PENDING, "现场检查完毕")
    said = shown_messages(response)
    assert len(said) == 1
    assert said[0].startswith(
        "Your changes are saved, but the check was not concluded: Items still to be checked: "
    )
    assert said[0].endswith("Record who took part in the check.")


def test_a_failed_check_needs_a_rectification_then_is_read_only_and_offers_a_recheck(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    check = services.start_check(project, by=office_user)
    gas = check.items.get(title="燃气管道及设施")
    check.items.exclude(pk=gas.pk).update(result=Result.PASSED)
    Participant.objects.create(acceptance_check=check, role="supervisor", name="监理单位")
    en_client.force_login(office_user)
    page = en_client.get(url("acceptancecheck_change", check.pk)).content.decode()
    index = next(
        i for i in range(check.items.count()) if f'name="items-{i}-id" value="{gas.pk}"' in page
    )

    refused = _conclude(en_client, check, **{f"items-{index}-result": "failed"})
    assert shown_messages(refused) == [
        "Your changes are saved, but the check was not concluded: The check failed: say "
        "what must be rectified before the next check."
    ]
    assert CheckItem.objects.get(pk=gas.pk).result == Result.FAILED

    failed = _conclude(en_client, check, rectification="燃气管道重新试压")
    check.refresh_from_db()
    assert (check.result, check.rectification, check.concluded_by) == (
        Result.FAILED,
        "燃气管道重新试压",
        office_user,
    )
    assert "failed: once the work is rectified, start a re-check" in shown_messages(failed)[0]

    page = en_client.get(url("acceptancecheck_change", check.pk)).content.decode()
    assert 'name="_save"' not in page and 'name="_conclude"' not in page
    assert url("acceptancecheck_recheck", check.pk) in page
    assert en_client.post(url("acceptancecheck_change", check.pk), {}).status_code == 403

    response = en_client.post(url("acceptancecheck_recheck", check.pk))
    second = AcceptanceCheck.objects.get(project=project, number=2)
    assert response.url == url("acceptancecheck_change", second.pk)
    assert second.items.get(title="燃气管道及设施").result == Result.PENDING
    assert list(second.participants.values_list("name", flat=True)) == ["监理单位"]
    assert (
        url("acceptancecheck_recheck", check.pk)
        not in en_client.get(url("acceptancecheck_change", check.pk)).content.decode()
    )  # only the latest failed check offers the next round


def test_a_check_document_is_checked_like_a_disclosure(en_client, office_user, registers):
    project = completed(office_user, registers.a)
    check = services.start_check(project, by=office_user)
    en_client.force_login(office_user)
    page = en_client.get(url("acceptancecheck_change", check.pk)).content.decode()

    fake = SimpleUploadedFile("试压报告.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = en_client.post(
        url("acceptancecheck_change", check.pk), {**form_data(page), "items-0-document": fake}
    )
    assert response.status_code == 200
    assert "does not match its name (.pdf)" in response.content.decode()

    real = SimpleUploadedFile("试压报告.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf")
    response = en_client.post(
        url("acceptancecheck_change", check.pk), {**form_data(page), "items-0-document": real}
    )
    assert response.status_code == 302
    stored = check.items.order_by("order", "pk").first().document.name
    assert re.fullmatch(r"acceptance/\d{4}/\d{2}/试压报告_[\w-]{16}\.pdf", stored)


def test_a_check_keeps_its_change_history(client, office_user, registers):
    project = completed(office_user, registers.a)
    check = services.start_check(project, by=office_user)
    client.force_login(office_user)
    page = client.get(url("acceptancecheck_change", check.pk)).content.decode()

    client.post(url("acceptancecheck_change", check.pk), form_data(page, notes="雨天推迟"))

    latest = check.history.first()
    assert (latest.notes, latest.history_user) == ("雨天推迟", office_user)


# --- Scoping -----------------------------------------------------------------------------------


def test_community_staff_see_only_their_neighbourhoods_acceptance(client, office_user, registers):
    mine = completed(office_user, registers.a)
    theirs = completed(office_user, registers.b)
    for project in (mine, theirs):
        services.start_check(project, by=office_user)
        services.open_round(project, by=office_user)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    for name, model in [("acceptancecheck", AcceptanceCheck), ("surveyround", SurveyRound)]:
        response = client.get(url(f"{name}_changelist"))
        assert [row.project_id for row in response.context["cl"].result_list] == [mine.pk]
        other = model.objects.get(project=theirs)
        response = client.get(url(f"{name}_change", other.pk))
        assert response.status_code == 302
        assert response.url == reverse("admin:index")
        assert client.get(url(f"{name}_history", other.pk)).status_code == 302

    other_round = SurveyRound.objects.get(project=theirs)
    response = client.post(
        url("surveyround_answer", other_round.pk), answer_data(roll(other_round)[0])
    )
    assert response.status_code == 302
    assert not SatisfactionAnswer.objects.exists()
    assert client.get(url("acceptancecheck_add")).status_code == 403  # the office starts checks


def test_the_start_forms_offer_the_completed_projects_the_user_may_see(
    client, office_user, registers
):
    mine = completed(office_user, registers.a)
    theirs = completed(office_user, registers.b)
    project_at(Status.UNDER_CONSTRUCTION, by=office_user, neighbourhood=registers.c.neighbourhood)
    client.force_login(office_user)

    for name in ("acceptancecheck_add", "surveyround_add"):
        offered = client.get(url(name)).context["form"].fields["project"].queryset
        assert set(offered) == {mine, theirs}
    scoped = make_user(Role.COMMUNITY, communities=[registers.a.community])
    assert list(completed_projects(scoped)) == [mine]


def fail_check(project, by, rectification="燃气管道重新试压"):
    """Start a check of ``project`` whose gas item fails, and conclude it."""
    check = services.start_check(project, by=by)
    check.items.update(result=Result.PASSED)
    check.items.filter(title="燃气管道及设施").update(result=Result.FAILED, notes="压力不足")
    Participant.objects.create(acceptance_check=check, role="supervisor", name="监理单位")
    return services.conclude_check(check, by=by, rectification=rectification)


def test_the_start_forms_offer_only_the_projects_where_that_step_is_possible(
    client, office_user, registers
):
    untouched = completed(office_user, registers.a)
    busy = completed(office_user, registers.b)  # a check in progress, a round open
    services.start_check(busy, by=office_user)
    services.open_round(busy, by=office_user)
    failed = completed(office_user, registers.c)  # a failed check, a closed round
    fail_check(failed, office_user)
    services.close_round(services.open_round(failed, by=office_user), by=office_user)
    passed = project_at(Status.COMPLETED, by=office_user, acceptance=False)
    HouseholdFactory.create_batch(3, building__neighbourhood=passed.neighbourhood)
    pass_acceptance(passed, by=office_user)  # a passed check, a round open
    client.force_login(office_user)

    def offered(name):
        return set(client.get(url(name)).context["form"].fields["project"].queryset)

    assert offered("acceptancecheck_add") == {untouched, failed}
    assert offered("surveyround_add") == {untouched, failed}
    services.close_round(SurveyRound.objects.get(project=passed), by=office_user)
    assert offered("surveyround_add") == {untouched, failed, passed}


def test_a_recheck_shows_what_the_failed_check_found(en_client, office_user, registers):
    project = completed(office_user, registers.a)
    failed = fail_check(project, office_user, rectification="更换燃气立管后重新试压")
    recheck = services.start_check(project, by=office_user)
    en_client.force_login(office_user)

    page = en_client.get(url("acceptancecheck_change", recheck.pk)).content.decode()

    assert 'id="previous-check"' in page
    with translation.override("en"):
        assert f"Check 1 of {formats.date_format(failed.date)} failed" in page
    assert "更换燃气立管后重新试压" in page
    assert "燃气管道及设施: 压力不足" in page
    assert url("acceptancecheck_change", failed.pk) in page
    first = en_client.get(url("acceptancecheck_change", failed.pk)).content.decode()
    assert 'id="previous-check"' not in first


# --- Participants suggested on the first check ------------------------------------------------


def test_the_first_check_suggests_its_participants_and_saves_them_as_shown(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    check = services.start_check(project, by=office_user)
    en_client.force_login(office_user)

    response = en_client.get(url("acceptancecheck_change", check.pk))

    page = response.content.decode()
    assert 'id="participants-suggested"' in page
    data = form_data(page)
    rows = [(data[f"participants-{i}-role"], data[f"participants-{i}-name"]) for i in range(3)]
    assert rows == [
        ("community", ""),
        ("owners_committee", "钱委员"),
        ("building_head", "赵楼长"),
    ]
    assert data["participants-0-organisation"] == "城关社区"
    assert data["participants-1-organisation"] == "桃园小区业委会"
    assert not check.participants.exists()  # suggested, not stored

    saved = en_client.post(
        url("acceptancecheck_change", check.pk),
        {**data, "participants-0-name": "社区刘主任", "participants-2-name": ""},
    )

    assert saved.status_code == 302
    stored = list(check.participants.order_by("role").values_list("role", "name", "organisation"))
    assert stored == [
        ("community", "社区刘主任", "城关社区"),
        ("owners_committee", "钱委员", "桃园小区业委会"),
    ]  # the building head, whose name was emptied, is left out
    page = en_client.get(url("acceptancecheck_change", check.pk)).content.decode()
    assert 'id="participants-suggested"' not in page  # once some are stored, none suggested
    assert form_data(page)["participants-TOTAL_FORMS"] == "2"


def test_a_page_left_as_suggested_stores_the_named_participants_only(
    client, office_user, registers
):
    project = completed(office_user, registers.a)
    check = services.start_check(project, by=office_user)
    client.force_login(office_user)
    page = client.get(url("acceptancecheck_change", check.pk)).content.decode()

    assert client.post(url("acceptancecheck_change", check.pk), form_data(page)).status_code == 302

    assert sorted(check.participants.values_list("name", flat=True)) == ["赵楼长", "钱委员"]


def test_no_participants_are_suggested_on_a_recheck_or_to_readers(client, office_user, registers):
    project = completed(office_user, registers.a)
    fail_check(project, office_user)
    recheck = services.start_check(project, by=office_user)
    other = completed(office_user, registers.b)
    first = services.start_check(other, by=office_user)
    client.force_login(office_user)

    response = client.get(url("acceptancecheck_change", recheck.pk))
    assert form_data(response.content.decode())["participants-TOTAL_FORMS"] == "1"  # copied
    assert 'id="participants-suggested"' not in response.content.decode()

    client.force_login(make_user(Role.COMMUNITY, communities=[registers.b.community]))
    page = client.get(url("acceptancecheck_change", first.pk)).content.decode()
    assert 'id="participants-suggested"' not in page
    assert "周委员" not in page


# --- Survey rounds -----------------------------------------------------------------------------


def test_the_office_opens_a_round_and_refusals_show_on_the_form(en_client, office_user, registers):
    project = completed(office_user, registers.a)
    en_client.force_login(office_user)

    response = en_client.post(url("surveyround_add"), {"project": project.pk})

    survey_round = SurveyRound.objects.get(project=project)
    assert response.url == url("surveyround_change", survey_round.pk)
    assert shown_messages(response) == [
        f"Satisfaction survey round 1 of “{project.name}” is open: 3 households on its roll."
    ]

    again = en_client.post(url("surveyround_add"), {"project": project.pk})
    assert again.status_code == 200
    assert (
        "Choose a project from the list: this one is not complete, or it has a survey round "
        "open already."
    ) in again.content.decode()
    assert SurveyRound.objects.filter(project=project).count() == 1


def test_the_round_page_shows_the_live_numbers_and_who_has_not_answered(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a, households=4)
    survey_round = services.open_round(project, by=office_user)
    first, second, third, fourth = roll(survey_round)
    services.submit_answer(survey_round, first.household, overall="satisfied", comment="很好")
    services.submit_answer(survey_round, second.household, overall="dissatisfied", comment="噪音")
    inspector = make_user(Role.INSPECTOR)
    en_client.force_login(inspector)

    response = en_client.get(url("surveyround_change", survey_round.pk))

    context = response.context
    assert context["numbers"] == rules.survey_numbers(survey_round)
    assert (context["numbers"].answered, context["numbers"].answers_needed) == (2, 1)
    assert [r.pk for r, _name in context["not_answered_rows"]] == [third.pk, fourth.pk]
    page = response.content.decode()
    assert "2 households have not answered yet" in page
    assert "1 (50.0%)" in page  # satisfied answers and their rate, live
    assert third.household.head_name not in page  # an inspector reads names masked
    assert third.household.head_name[0] + "**" in page
    assert context["answer_form"] is None  # inspectors do not enter answers
    assert 'id="round-close"' not in page


def test_an_open_round_shows_no_breakdown_until_it_is_closed(en_client, office_user, registers):
    """While the round is open a watcher could tie the next change of a breakdown to the
    household that just left the list of those to ask: the answers by level, by question and
    the comments wait for the close. The auditor, who reads each answer, sees them."""
    project = completed(office_user, registers.a, households=4)
    survey_round = services.open_round(project, by=office_user)
    first, second, _third, _fourth = roll(survey_round)
    services.submit_answer(survey_round, first.household, overall="satisfied", comment="很好")
    services.submit_answer(
        survey_round,
        second.household,
        overall="dissatisfied",
        content="basically_satisfied",
        comment="噪音",
    )
    inspector = make_user(Role.INSPECTOR)  # reads both pages, enters no answer
    en_client.force_login(inspector)

    for address in (url("surveyround_change", survey_round.pk), project_url(project)):
        page = en_client.get(address).content.decode()
        assert (
            "The breakdown by question and the comments are shown when the round is closed."
        ) in page
        assert "Basically satisfied" not in page  # neither a level's row nor a column
        assert "Dissatisfied" not in page
        assert "噪音" not in page and "很好" not in page
        assert "Answers to each question" not in page
    response = en_client.get(url("surveyround_change", survey_round.pk))
    assert (response.context["comments"], response.context["tally_rows"]) == ([], [])

    en_client.force_login(make_user(Role.AUDITOR))
    page = en_client.get(url("surveyround_change", survey_round.pk)).content.decode()
    assert "Answers to each question" in page and "噪音" in page

    services.close_round(survey_round, by=office_user)
    en_client.force_login(inspector)
    response = en_client.get(url("surveyround_change", survey_round.pk))
    assert response.context["comments"] == ["噪音", "很好"]  # by their text, not the roll's
    page = response.content.decode()
    assert "Answers to each question" in page and "Dissatisfied" in page
    assert "shown when the round is closed" not in page
    panel = en_client.get(project_url(project)).content.decode()
    assert "Dissatisfied" in panel and "shown when the round is closed" not in panel


def test_staff_never_see_how_a_household_answered(client, office_user, registers):
    """The round's page and list are the same whichever household gave which answer: they
    show who answered and the totals, never a household's answer, even to the staff who
    entered it. The auditor's list of answers does show them."""
    project = completed(office_user, registers.a, households=3)
    survey_round = services.open_round(project, by=office_user)
    first, second, _third = roll(survey_round)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    auditor = make_user(Role.AUDITOR)

    def enter(one, other):
        for respondent, level in ((first, one), (second, other)):
            client.force_login(staff)
            response = client.post(
                url("surveyround_answer", survey_round.pk),
                answer_data(respondent, overall=level, content=level, channel="door_to_door"),
            )
            assert response.status_code == 302
            said = " ".join(shown_messages(response))
            assert "satisfied" not in said.lower() and "满意" not in said
        client.get(reverse("admin:index"))  # the confirmations are shown, not left for later

    def answer(one, other):
        # Staff enter an answer once; a household changes it only itself, through its link.
        if not SatisfactionAnswer.objects.exists():
            return enter(one, other)
        for respondent, level in ((first, one), (second, other)):
            services.submit_answer(survey_round, respondent.household, overall=level, content=level)

    def pages(user):
        client.force_login(user)
        return [
            without_tokens(client.get(address).content.decode())
            for address in (
                url("surveyround_change", survey_round.pk),
                url("surveyround_changelist"),
            )
        ]

    answer("satisfied", "dissatisfied")
    before = {user.pk: pages(user) for user in (office_user, staff)}
    answer("dissatisfied", "satisfied")
    after = {user.pk: pages(user) for user in (office_user, staff)}

    assert before == after
    assert rules.survey_numbers(survey_round).by_level["dissatisfied"] == 1

    client.force_login(auditor)
    listed = client.get(url("satisfactionanswer_changelist"))
    rows = {row.respondent_id: row.overall for row in listed.context["cl"].result_list}
    assert rows == {first.pk: "dissatisfied", second.pk: "satisfied"}
    assert first.household.address in listed.content.decode()


@pytest.mark.parametrize("role", [Role.OFFICE, Role.COMMUNITY, Role.VISITOR, Role.INSPECTOR])
def test_no_role_but_the_auditor_reaches_the_answers(client, office_user, registers, role):
    project = completed(office_user, registers.a)
    survey_round = pass_acceptance(project, by=office_user)
    answer = SatisfactionAnswer.objects.filter(survey_round=survey_round).first()
    client.force_login(make_user(role, communities=[registers.a.community]))

    assert client.get(url("satisfactionanswer_changelist")).status_code == 403
    assert client.get(url("satisfactionanswer_change", answer.pk)).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert url("satisfactionanswer_changelist") not in index


@pytest.mark.parametrize("superuser", [False, True], ids=["auditor", "superuser"])
def test_the_auditor_reads_the_answers_and_nobody_writes_them(
    client, office_user, registers, superuser
):
    project = completed(office_user, registers.a)
    survey_round = pass_acceptance(project, by=office_user)
    answer = SatisfactionAnswer.objects.filter(survey_round=survey_round).first()
    reader = UserFactory(is_superuser=True, is_staff=True) if superuser else make_user(Role.AUDITOR)
    client.force_login(reader)

    assert (
        url("satisfactionanswer_changelist") in client.get(reverse("admin:index")).content.decode()
    )
    assert client.get(url("satisfactionanswer_change", answer.pk)).status_code == 200
    assert client.get(url("satisfactionanswer_add")).status_code == 403
    assert client.get(url("satisfactionanswer_delete", answer.pk)).status_code == 403
    response = client.post(url("satisfactionanswer_change", answer.pk), {"overall": "dissatisfied"})
    assert response.status_code == 403
    assert SatisfactionAnswer.objects.get(pk=answer.pk).overall == "satisfied"


def test_the_auditor_finds_answers_by_community_project_round_state_and_address(
    client, office_user, registers
):
    mine = completed(office_user, registers.a)
    old_round = pass_acceptance(mine, by=office_user, answers=1)
    services.close_round(old_round, by=office_user)
    new_round = services.open_round(mine, by=office_user)
    for respondent in roll(new_round):
        services.submit_answer(new_round, respondent.household, overall="satisfied")
    theirs = completed(office_user, registers.b)
    their_round = pass_acceptance(theirs, by=office_user, answers=2)
    client.force_login(make_user(Role.AUDITOR))

    def listed(**params):
        response = client.get(url("satisfactionanswer_changelist"), params)
        assert response.status_code == 200
        return {
            (row.survey_round_id, row.respondent.household.room)
            for row in (response.context["cl"].result_list)
        }

    assert listed(community=registers.a.community.pk) == {
        (old_round.pk, "101"),
        (new_round.pk, "101"),
        (new_round.pk, "201"),
        (new_round.pk, "202"),
    }
    assert {round_pk for round_pk, _room in listed(community=registers.b.community.pk)} == {
        their_round.pk
    }
    assert {r for r, _room in listed(state="closed")} == {old_round.pk}
    assert {r for r, _room in listed(state="open")} == {new_round.pk, their_round.pk}
    assert {r for r, _room in listed(project=theirs.pk)} == {their_round.pk}
    assert listed(round=old_round.pk) == {(old_round.pk, "101")}
    assert listed(q="202") == {(new_round.pk, "202")}
    assert {r for r, _room in listed(q="江南小区")} == {their_round.pk}
    assert {r for r, _room in listed(q=theirs.name)} == {their_round.pk}

    page = client.get(url("satisfactionanswer_changelist"), {"project": mine.pk})
    [offered] = [
        spec.lookup_choices
        for spec in page.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "round"
    ]
    assert [int(pk) for pk, _label in offered] == [new_round.pk, old_round.pk]


def test_the_auditor_reaches_a_rounds_answers_from_its_page(client, office_user, registers):
    project = completed(office_user, registers.a)
    survey_round = pass_acceptance(project, by=office_user)
    answers = url("satisfactionanswer_changelist") + f"?round={survey_round.pk}"

    client.force_login(make_user(Role.AUDITOR))
    page = client.get(url("surveyround_change", survey_round.pk)).content.decode()
    assert f'href="{answers}"' in page
    assert len(client.get(answers).context["cl"].result_list) == 3

    client.force_login(office_user)
    page = client.get(url("surveyround_change", survey_round.pk)).content.decode()
    assert url("satisfactionanswer_changelist") not in page


def test_an_answers_page_shows_its_times_in_the_countys_time(en_client, office_user, registers):
    project = completed(office_user, registers.a)
    survey_round = pass_acceptance(project, by=office_user, answers=1)
    answer = SatisfactionAnswer.objects.select_related("respondent").get(survey_round=survey_round)
    en_client.force_login(make_user(Role.AUDITOR))

    page = en_client.get(url("satisfactionanswer_change", answer.pk)).content.decode()

    with translation.override("en"):
        answered = formats.date_format(
            timezone.localtime(answer.respondent.answered_at), "DATETIME_FORMAT"
        )
        opened = formats.date_format(timezone.localtime(survey_round.opened_at), "DATETIME_FORMAT")
    assert answered in page and opened in page
    assert "+00:00" not in page and "+08:00" not in page


def test_the_answer_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page (session, user, the user's permissions held directly and through
    # groups), 2 for the request's savepoint and its release, the choices of the community
    # and project filters, 2 counts (the paginator, the "N total") and the page with its
    # households, neighbourhoods and rounds' projects joined.
    client.force_login(make_user(Role.AUDITOR))
    _grow(office_user, 2)
    with django_assert_num_queries(11):
        assert len(client.get(url("satisfactionanswer_changelist")).context["cl"].result_list) == 2
    _grow(office_user, 3)
    with django_assert_num_queries(11):
        assert len(client.get(url("satisfactionanswer_changelist")).context["cl"].result_list) == 5


def test_a_paper_answer_records_its_channel_and_who_entered_it_and_counts_once(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    survey_round = services.open_round(project, by=office_user)
    respondent = roll(survey_round)[0]
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    en_client.force_login(staff)

    response = en_client.post(
        url("surveyround_answer", survey_round.pk), answer_data(respondent, comment="楼道很亮")
    )

    assert response.status_code == 302
    assert response.url == url("surveyround_change", survey_round.pk) + "#answer-entry"
    assert shown_messages(response) == [
        f"The answer of {respondent.household.address} is recorded (Paper form)."
    ]
    respondent.refresh_from_db()
    assert (respondent.channel, respondent.entered_by) == (Respondent.Channel.PAPER, staff)

    numbers = rules.survey_numbers(survey_round)
    assert (numbers.answered, numbers.satisfied) == (1, 1)
    assert SatisfactionAnswer.objects.get(respondent=respondent).comment == "楼道很亮"


def test_staff_cannot_enter_an_answer_for_a_household_that_answered(
    en_client, office_user, registers
):
    """Entering an answer for a household that answered (here through its link) would replace
    its answer, and the totals before and after would tell how it had answered: the form does
    not offer the household, and a post for it is refused with what was typed kept."""
    project = completed(office_user, registers.a)
    survey_round = services.open_round(project, by=office_user)
    answered, waiting, _other = roll(survey_round)
    services.submit_answer(survey_round, answered.household, overall="dissatisfied")
    en_client.force_login(office_user)

    form = en_client.get(url("surveyround_change", survey_round.pk)).context["answer_form"]
    offered = [key for key, _label in form.fields["household"].choices if key]
    assert answered.pk not in offered and waiting.pk in offered

    response = en_client.post(
        url("surveyround_answer", survey_round.pk),
        answer_data(answered, channel="door_to_door", comment="代填"),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This household is not among those still to answer" in page
    assert "代填</textarea>" in page
    kept = SatisfactionAnswer.objects.get(respondent=answered)
    assert (kept.overall, kept.comment) == ("dissatisfied", "")
    answered.refresh_from_db()
    assert (answered.channel, answered.entered_by) == (Respondent.Channel.LINK, None)


def test_a_failed_answer_form_keeps_what_was_typed(en_client, office_user, registers):
    project = completed(office_user, registers.a)
    survey_round = services.open_round(project, by=office_user)
    respondent = roll(survey_round)[1]
    en_client.force_login(office_user)

    response = en_client.post(
        url("surveyround_answer", survey_round.pk),
        answer_data(respondent, overall="", content="dissatisfied", comment="电梯太慢"),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required." in page
    assert f'<option value="{respondent.pk}" selected>' in page
    assert 'name="content" value="dissatisfied" id="id_content_3" checked>' in page
    assert "电梯太慢</textarea>" in page
    assert not SatisfactionAnswer.objects.exists()


def test_the_round_page_prefills_the_household_to_enter(client, office_user, registers):
    project = completed(office_user, registers.a)
    survey_round = services.open_round(project, by=office_user)
    respondent = roll(survey_round)[2]
    client.force_login(office_user)

    page = client.get(url("surveyround_change", survey_round.pk, household=respondent.pk))

    assert f'<option value="{respondent.pk}" selected>' in page.content.decode()


def test_closing_the_round_refuses_later_paper_answers_with_a_message(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    survey_round = services.open_round(project, by=office_user)
    first, second, _third = roll(survey_round)
    services.submit_answer(survey_round, first.household, overall="satisfied")
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    en_client.force_login(staff)
    assert en_client.get(url("surveyround_close", survey_round.pk)).status_code == 403
    assert en_client.post(url("surveyround_close", survey_round.pk), CONFIRM).status_code == 403

    en_client.force_login(office_user)
    closed = en_client.post(url("surveyround_close", survey_round.pk), CONFIRM)
    assert shown_messages(closed) == [
        f"“{survey_round}” is closed: 1 of 3 households answered, 1 satisfied; the "
        "thresholds are not met."
    ]
    survey_round.refresh_from_db()
    assert (survey_round.answered, survey_round.passed) == (1, False)

    en_client.force_login(staff)
    page = en_client.get(url("surveyround_change", survey_round.pk)).content.decode()
    assert 'id="answer-entry"' not in page
    response = en_client.post(url("surveyround_answer", survey_round.pk), answer_data(second))
    assert response.status_code == 200
    assert "The survey is closed: it takes no more answers." in response.content.decode()
    assert not SatisfactionAnswer.objects.filter(respondent=second).exists()

    en_client.force_login(office_user)
    again = en_client.post(url("surveyround_close", survey_round.pk), CONFIRM)
    assert shown_messages(again) == [f"“{survey_round}” was not closed: Round 1 is already closed."]
    asked = en_client.get(url("surveyround_close", survey_round.pk))
    assert asked.url == url("surveyround_change", survey_round.pk)
    assert shown_messages(asked)[-1] == "Round 1 is already closed."


def test_closing_a_round_asks_for_confirmation_showing_the_numbers_it_will_freeze(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    survey_round = services.open_round(project, by=office_user)
    first, second, _third = roll(survey_round)
    services.submit_answer(survey_round, first.household, overall="satisfied")
    services.submit_answer(survey_round, second.household, overall="dissatisfied")
    en_client.force_login(office_user)

    page = en_client.get(url("surveyround_change", survey_round.pk)).content.decode()
    assert f'href="{url("surveyround_close", survey_round.pk)}" class="button"' in page
    asked = en_client.get(url("surveyround_close", survey_round.pk))
    unconfirmed = en_client.post(url("surveyround_close", survey_round.pk))

    for response in (asked, unconfirmed):
        assert response.status_code == 200
        text = response.content.decode()
        assert "Closing the round cannot be undone" in text
        assert "2 (66.7%)" in text  # answered, of 3
        assert "1 (50.0%)" in text  # satisfied, of 2
        assert "The thresholds would not be met" in text
        assert "Dissatisfied" not in text  # totals only, no breakdown of an open round
        assert 'name="confirm" value="yes"' in text
    survey_round.refresh_from_db()
    assert survey_round.is_open

    closed = en_client.post(url("surveyround_close", survey_round.pk), CONFIRM)

    assert closed.url == url("surveyround_change", survey_round.pk)
    survey_round.refresh_from_db()
    assert (survey_round.answered, survey_round.satisfied, survey_round.passed) == (2, 1, False)


def test_an_open_round_shows_no_frozen_results(client, office_user, registers):
    project = completed(office_user, registers.a)
    survey_round = services.open_round(project, by=office_user)
    client.force_login(office_user)
    frozen = ["field-closed_at", "field-closed_by", "field-answered", "field-satisfied"]

    page = client.get(url("surveyround_change", survey_round.pk)).content.decode()
    assert "field-households" in page
    assert not any(name in page for name in [*frozen, "field-passed"])

    services.close_round(survey_round, by=office_user)
    page = client.get(url("surveyround_change", survey_round.pk)).content.decode()
    assert all(name in page for name in [*frozen, "field-passed"])


def test_a_round_closed_without_meeting_the_thresholds_offers_the_next_round(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a)
    survey_round = services.open_round(project, by=office_user)
    services.submit_answer(survey_round, roll(survey_round)[0].household, overall="satisfied")
    services.close_round(survey_round, by=office_user)
    en_client.force_login(office_user)
    next_step = "This round is closed without meeting the thresholds: open a new round"
    add_next = url("surveyround_add", project=project.pk)

    for address in (url("surveyround_change", survey_round.pk), project_url(project)):
        page = en_client.get(address).content.decode()
        assert next_step in page
        assert f'href="{add_next}"' in page
    panel = en_client.get(project_url(project)).content.decode()
    with translation.override("en"):
        closed_on = formats.date_format(
            timezone.localtime(survey_round.closed_at), "DATETIME_FORMAT"
        )
    assert f"The round was closed on {closed_on}." in panel
    form = en_client.get(add_next).context["form"]
    assert form["project"].value() == str(project.pk)

    en_client.post(url("surveyround_add"), {"project": project.pk})
    page = en_client.get(url("surveyround_change", survey_round.pk)).content.decode()
    assert next_step not in page  # the next round is open
    assert next_step not in en_client.get(project_url(project)).content.decode()


def test_a_round_that_met_the_thresholds_offers_no_new_round(en_client, office_user, registers):
    project = completed(office_user, registers.a)
    survey_round = pass_acceptance(project, by=office_user)
    services.close_round(survey_round, by=office_user)
    en_client.force_login(office_user)

    for address in (url("surveyround_change", survey_round.pk), project_url(project)):
        page = en_client.get(address).content.decode()
        assert "open a new round" not in page
        assert "The thresholds were met." in page


def test_rounds_and_checks_cannot_be_deleted(client, office_user, registers):
    project = completed(office_user, registers.a)
    survey_round = pass_acceptance(project, by=office_user)
    check = AcceptanceCheck.objects.get(project=project)
    client.force_login(office_user)

    assert client.get(url("surveyround_delete", survey_round.pk)).status_code == 403
    assert client.get(url("acceptancecheck_delete", check.pk)).status_code == 403
    assert client.post(url("surveyround_change", survey_round.pk), {}).status_code == 403


# --- Decisions ---------------------------------------------------------------------------------


def test_decisions_are_read_only_and_scoped(client, office_user, registers):
    mine = completed(office_user, registers.a)
    pass_acceptance(mine, by=office_user)
    from projects import services as project_services

    project_services.accept(mine, by=office_user)
    theirs = completed(office_user, registers.b)
    pass_acceptance(theirs, by=office_user)
    project_services.accept(theirs, by=office_user)
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)

    response = client.get(url("acceptancedecision_changelist"))
    assert [d.project_id for d in response.context["cl"].result_list] == [mine.pk]
    decision = AcceptanceDecision.objects.get(project=mine)
    page = client.get(url("acceptancedecision_change", decision.pk)).content.decode()
    assert "100.0%" in page and 'name="_save"' not in page
    other = AcceptanceDecision.objects.get(project=theirs)
    assert client.get(url("acceptancedecision_change", other.pk)).status_code == 302
    client.force_login(office_user)
    assert client.get(url("acceptancedecision_add")).status_code == 403


# --- The project's page and the accept step ---------------------------------------------------


def project_url(project):
    return reverse("admin:projects_project_change", args=[project.pk])


def test_the_project_page_shows_the_acceptance_gate_and_live_numbers(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a, households=4)
    en_client.force_login(office_user)
    page = en_client.get(project_url(project)).content.decode()
    assert 'id="acceptance-panel"' in page
    assert "No completion check has been recorded yet." in page
    assert url("acceptancecheck_add", project=project.pk) in page
    assert url("surveyround_add", project=project.pk) in page

    check = services.start_check(project, by=office_user)
    survey_round = services.open_round(project, by=office_user)
    first = roll(survey_round)[0]
    services.submit_answer(survey_round, first.household, overall="satisfied")

    response = en_client.get(project_url(project))
    page = response.content.decode()
    numbers = response.context["acceptance"]["numbers"]
    assert (numbers.households, numbers.answered, numbers.satisfied) == (4, 1, 1)
    assert numbers.answers_needed == 2  # ⌈2·4/3⌉ = 3, one answered
    assert "1 of 4 households answered (25.0%); two thirds need 3: 2 more answers are needed." in (
        page
    )
    assert "Check 1 is not concluded" in page
    assert url("acceptancecheck_change", check.pk) in page
    assert url("surveyround_change", survey_round.pk) in page
    assert "This step will be refused for now:" in page  # beside the Accept button


def test_an_accepted_project_shows_the_numbers_it_was_accepted_on(
    en_client, office_user, registers
):
    project = completed(office_user, registers.a, households=3)
    pass_acceptance(project, by=office_user)
    from projects import services as project_services

    project_services.accept(project, by=office_user)
    HouseholdFactory.create_batch(5, building=registers.a.building)  # the register changes later
    en_client.force_login(office_user)

    response = en_client.get(project_url(project))

    acceptance = response.context["acceptance"]
    assert acceptance["decision"] == AcceptanceDecision.objects.get(project=project)
    assert (acceptance["numbers"].households, acceptance["numbers"].answered) == (3, 3)
    page = response.content.decode()
    assert "Accepted on" in page
    assert "100.0%" in page


def test_the_project_page_has_no_acceptance_panel_before_completion(client, office_user):
    project = project_at(Status.UNDER_CONSTRUCTION, by=office_user)
    client.force_login(office_user)
    response = client.get(project_url(project))
    assert response.context["acceptance"] is None
    assert 'id="acceptance-panel"' not in response.content.decode()


def test_no_admin_door_accepts_a_project_whose_gate_fails(en_client, office_user, registers):
    project = completed(office_user, registers.a)
    pass_acceptance(project, by=office_user, answers=1)  # 1 of 3 answered
    en_client.force_login(office_user)
    reasons = "1 of 3 households answered (33.3%); two thirds need 2: 1 more answer is needed."

    button = en_client.post(
        reverse("admin:projects_project_transition", args=[project.pk, "accept"])
    )
    assert shown_messages(button) == [f"Accept refused for “{project.name}”: {reasons}"]

    bulk = en_client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "accept", "_selected_action": [project.pk]},
    )
    assert shown_messages(bulk)[-1] == f"Accept refused for “{project.name}”: {reasons}"

    page = en_client.get(project_url(project)).content.decode()
    assert reasons in page  # the gate's reasons beside the button and in the panel
    data = form_data(page, status=Status.ACCEPTED)
    data.pop("merged_neighbourhoods", None)
    assert en_client.post(project_url(project), data).status_code == 302

    project.refresh_from_db()
    assert project.status == Status.COMPLETED
    assert not AcceptanceDecision.objects.filter(project=project).exists()


def test_the_admin_button_accepts_a_project_whose_gate_passes(en_client, office_user, registers):
    project = completed(office_user, registers.a)
    pass_acceptance(project, by=office_user)
    en_client.force_login(office_user)

    response = en_client.post(
        reverse("admin:projects_project_transition", args=[project.pk, "accept"])
    )

    assert shown_messages(response) == [f"Accept: “{project.name}” is now “Accepted”."]
    project.refresh_from_db()
    assert project.status == Status.ACCEPTED
    assert AcceptanceDecision.objects.get(project=project).answered == 3


def test_the_bulk_action_accepts_only_the_projects_whose_gate_passes(
    en_client, office_user, registers
):
    good = completed(office_user, registers.a)
    pass_acceptance(good, by=office_user)
    bad = completed(office_user, registers.b)
    pass_acceptance(bad, by=office_user, answers=3)
    services.submit_answer(
        SurveyRound.objects.get(project=bad),
        roll(SurveyRound.objects.get(project=bad))[0].household,
        overall="dissatisfied",
    )
    en_client.force_login(office_user)

    response = en_client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "accept", "_selected_action": [good.pk, bad.pk]},
    )

    assert Project.objects.get(pk=good.pk).status == Status.ACCEPTED
    assert Project.objects.get(pk=bad.pk).status == Status.COMPLETED
    assert (
        f"Accept refused for “{bad.name}”: 2 of 3 answers satisfied (66.7%); 90% needs 3: "
        "1 satisfied answer short." in shown_messages(response)
    )


# --- Query counts ------------------------------------------------------------------------------


def _grow(office_user, count):
    for _ in range(count):
        project = project_at(Status.COMPLETED, by=office_user, acceptance=False)
        HouseholdFactory.create_batch(3, building__neighbourhood=project.neighbourhood)
        services.start_check(project, by=office_user)
        survey_round = services.open_round(project, by=office_user)
        first = survey_round.roll.select_related("household").first()
        services.submit_answer(survey_round, first.household, overall="satisfied")


def test_the_check_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # 4 for every admin page (session, user, the user's permissions held directly and through
    # groups), 2 for the request's savepoint and its release, the community filter's choices,
    # 2 counts (the paginator, the "N total") and the page with its projects joined.
    client.force_login(office_user)
    _grow(office_user, 2)
    with django_assert_num_queries(10):
        assert len(client.get(url("acceptancecheck_changelist")).context["cl"].result_list) == 2
    _grow(office_user, 3)
    with django_assert_num_queries(10):
        assert len(client.get(url("acceptancecheck_changelist")).context["cl"].result_list) == 5


def test_the_round_list_runs_a_fixed_number_of_queries(
    client, office_user, django_assert_num_queries
):
    # As the check list: 4 + 2 + the community filter's choices + 2 counts + the page, whose
    # rounds carry their projects (joined) and their answered households (a subquery).
    client.force_login(office_user)
    _grow(office_user, 2)
    with django_assert_num_queries(10):
        response = client.get(url("surveyround_changelist"))
    assert [r.n_answered for r in response.context["cl"].result_list] == [1, 1]
    _grow(office_user, 3)
    with django_assert_num_queries(10):
        assert len(client.get(url("surveyround_changelist")).context["cl"].result_list) == 5


def test_the_round_page_runs_a_fixed_number_of_queries(
    client, office_user, registers, django_assert_num_queries
):
    # An open round: 4 for every admin page (session, user, permissions direct and through
    # groups), 2 for the request's savepoint and its release, the round with its project and
    # who opened and closed it, the households not answered with their addresses (once, for
    # the list and the form), the numbers (the roll counted, the answers by level), and the
    # content type of the History link. No comments and no tally while it is open.
    project = completed(office_user, registers.a, households=3)
    survey_round = services.open_round(project, by=office_user)
    services.submit_answer(survey_round, roll(survey_round)[0].household, overall="satisfied")
    client.force_login(office_user)
    ContentType.objects.clear_cache()
    with django_assert_num_queries(11):
        client.get(url("surveyround_change", survey_round.pk))

    services.close_round(survey_round, by=office_user)
    HouseholdFactory.create_batch(40, building=registers.a.building)
    survey_round = services.open_round(project, by=office_user)
    for respondent in roll(survey_round)[:20]:
        services.submit_answer(
            survey_round, respondent.household, overall="satisfied", comment=f"意见{respondent.pk}"
        )
    ContentType.objects.clear_cache()
    with django_assert_num_queries(11):
        response = client.get(url("surveyround_change", survey_round.pk))
    assert response.context["not_answered"].paginator.count == 23

    # Closed (without meeting the thresholds): 3 more, the comments, the tally of the four
    # questions, and whether a later round was opened (to offer the next one).
    services.close_round(survey_round, by=office_user)
    ContentType.objects.clear_cache()
    with django_assert_num_queries(14):
        response = client.get(url("surveyround_change", survey_round.pk))
    assert len(response.context["comments"]) == 20
    assert response.context["may_open_next"]


def test_the_check_pages_run_a_fixed_number_of_queries(
    client, office_user, registers, django_assert_num_queries
):
    # The first check: 4 for every admin page (session, user, permissions direct and through
    # groups), 2 for the request's savepoint and its release, the check with its project, its
    # items, its participants, and the content type of the History link; then the suggested
    # participants: whether any is stored yet, the neighbourhood with its community, the
    # committee members, the building heads.
    project = completed(office_user, registers.a)
    check = services.start_check(project, by=office_user)
    client.force_login(office_user)
    ContentType.objects.clear_cache()
    with django_assert_num_queries(14):
        client.get(url("acceptancecheck_change", check.pk))
    for name in ("孙委员", "李委员", "王委员"):
        CommitteeMember.objects.create(committee=registers.a.committee, name=name)
    BuildingHeadFactory(neighbourhood=registers.a.neighbourhood, building=None, name="院长甲")
    ContentType.objects.clear_cache()
    with django_assert_num_queries(14):
        response = client.get(url("acceptancecheck_change", check.pk))
    assert form_data(response.content.decode())["participants-TOTAL_FORMS"] == "7"

    # A re-check: the same less the suggestions (4), plus the check before it and its failed
    # items.
    other = completed(office_user, registers.b)
    fail_check(other, office_user)
    recheck = services.start_check(other, by=office_user)
    ContentType.objects.clear_cache()
    with django_assert_num_queries(12):
        client.get(url("acceptancecheck_change", recheck.pk))
