"""The acceptance report: its printable page and its .docx download.

An accepted project shows the numbers of its decision, ever after, whatever happens to the
registers; a project not yet accepted shows the live gate, marked "not decided", with what is
missing. Only totals are told of the residents. Staff reach the projects of their own scope.

Pages are read in English (``HTTP_ACCEPT_LANGUAGE``): the Chinese catalogue is filled in
separately, and the English msgids are what these tests can pin.
"""

import html
import io
import re
from urllib.parse import quote

import docx
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import translation

from acceptance import services as acceptance_services
from acceptance.models import AcceptanceDecision, CheckItem, Participant, Result
from acceptance.rules import acceptance_gate
from projects import services
from projects.models import Project
from residents.roles import Role

from .conftest import make_user, pass_acceptance
from .factories import (
    BuildingFactory,
    CommunityFactory,
    HouseholdFactory,
    NeighbourhoodFactory,
    OwnersCommitteeFactory,
)
from .test_project_lifecycle import project_at

pytestmark = pytest.mark.django_db

Status = Project.Status
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
COMMENT = "三单元楼道灯还不亮"


def page_url(project):
    return reverse("acceptance_report:page", args=[project.pk])


def docx_url(project):
    return reverse("acceptance_report:docx", args=[project.pk])


def text_of(response) -> str:
    """The page's text, tags removed and entities read."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def table_rows(response, table_id) -> list[list[str]]:
    """The rows of the page's table ``table_id``, as lists of cell texts."""
    body = response.content.decode()
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', body, flags=re.S).group(0)
    return [
        [
            re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", cell))).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    ]


def open_docx(response):
    return docx.Document(io.BytesIO(response.content))


def docx_paragraphs(document) -> list[str]:
    return [paragraph.text for paragraph in document.paragraphs]


def docx_tables(document) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def docx_text(document) -> str:
    cells = [cell for table in docx_tables(document) for row in table for cell in row]
    return "\n".join([*docx_paragraphs(document), *cells])


def facts_table(document, first_label) -> dict[str, str]:
    """The two-column table of the document whose first label is ``first_label``."""
    for table in docx_tables(document):
        if table and table[0][0] == first_label:
            return dict(table)
    raise AssertionError(f"no table starting with {first_label!r}")


@pytest.fixture
def office(db):
    return make_user(Role.OFFICE, username="office")


def neighbourhood_with(households: int):
    """A neighbourhood of ``households`` households, whose heads, phones and rooms are
    told apart from anything else on a page."""
    committee = OwnersCommitteeFactory()
    neighbourhood = NeighbourhoodFactory(
        community=committee.community, owners_committee=committee, address="石泉县城关镇江南路8号"
    )
    building = BuildingFactory(neighbourhood=neighbourhood, number="7")
    for n in range(households):
        HouseholdFactory(
            building=building,
            room=f"9{n:02d}",
            head_name=f"户主{chr(0x7532 + n)}某",
            phone=f"1390000{n:04d}",
        )
    return neighbourhood


def accepted_with_numbers(office):
    """A project accepted with 12 households registered, 10 answered and 9 satisfied: 7
    satisfied, 2 basically satisfied, 1 dissatisfied (one with a comment)."""
    project = project_at(
        Status.COMPLETED, by=office, acceptance=False, neighbourhood=neighbourhood_with(12)
    )
    survey_round = pass_acceptance(project, by=office, answers=10)
    roll = list(survey_round.roll.filter(answered_at__isnull=False).select_related("household"))
    for respondent, overall in zip(
        roll, ["basically_satisfied", "basically_satisfied", "dissatisfied"], strict=False
    ):
        acceptance_services.submit_answer(
            survey_round,
            respondent.household,
            overall=overall,
            content="dissatisfied",
            process="satisfied",
            comment=COMMENT,
        )
    return services.accept(project, by=office)


def households_of(project):
    from residents.models import Household

    return list(Household.objects.filter(building__neighbourhood=project.neighbourhood))


# --- An accepted project: the decision's numbers ---------------------------------------------


def test_the_page_of_an_accepted_project_shows_the_decision_and_its_numbers(client, office):
    project = project_at(Status.ACCEPTED, by=office)
    decision = AcceptanceDecision.objects.get(project=project)
    client.force_login(office)

    response = client.get(page_url(project), **EN)

    assert response.status_code == 200
    text = text_of(response)
    assert project.name in text
    assert project.neighbourhood.name in text
    assert "Accepted." in text
    assert "Not decided." not in text
    rows = dict(row for row in table_rows(response, "decision-numbers") if len(row) == 2)
    assert rows["Households registered"] == str(decision.households) == "1"
    assert rows["Households answered"] == str(decision.answered) == "1"
    assert rows["Satisfied answers"] == "1"
    assert rows["Satisfaction"] == "100.0%"
    assert rows["Checklist items passed"] == str(decision.checklist_items)
    assert "县改造办" in text  # the participant


def test_the_docx_of_an_accepted_project_names_the_project_its_numbers_and_the_verdict(
    client, office
):
    project = project_at(Status.ACCEPTED, by=office)
    client.force_login(office)

    response = client.get(docx_url(project), **EN)

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    document = open_docx(response)
    assert any(project.name in paragraph for paragraph in docx_paragraphs(document))
    verdict = facts_table(document, "Date of the check")
    assert verdict["Households registered"] == "1"
    assert verdict["Households answered"] == "1"
    assert any(paragraph.startswith("Accepted.") for paragraph in docx_paragraphs(document))
    assert "Not decided." not in docx_text(document)


def test_the_report_tells_the_decisive_rounds_levels_and_dimensions(client, office):
    project = accepted_with_numbers(office)
    client.force_login(office)

    response = client.get(page_url(project), **EN)

    survey = dict(table_rows(response, "survey-numbers"))
    assert survey == {
        "Households registered": "12",
        "Households answered": "10",
        "Turnout": "83.3%",
        "Satisfied answers": "9",
        "Satisfaction": "90.0%",
    }
    tally = table_rows(response, "tally")
    assert tally[0] == [
        "Question",
        "Satisfied",
        "Basically satisfied",
        "Dissatisfied",
        "Not answered",
    ]
    assert tally[1:] == [
        ["Overall satisfaction", "7", "2", "1", "0"],
        ["Renovation content", "0", "0", "3", "7"],
        ["Process management", "3", "0", "0", "7"],
        ["Long-term management", "0", "0", "0", "10"],
    ]
    rounds = table_rows(response, "survey-rounds")
    assert rounds[1][0] == "1"
    assert rounds[1][3:] == ["12", "10", "83.3%", "9", "90.0%", "Thresholds met"]


def test_every_survey_round_is_listed_with_its_results(client, office):
    project = project_at(
        Status.COMPLETED, by=office, acceptance=False, neighbourhood=neighbourhood_with(3)
    )
    first = pass_acceptance(project, by=office, answers=1)
    acceptance_services.close_round(first, by=office)
    second = acceptance_services.open_round(project, by=office)
    for respondent in second.roll.select_related("household")[:2]:
        acceptance_services.submit_answer(second, respondent.household, overall="satisfied")
    services.accept(project, by=office)
    client.force_login(office)

    response = client.get(page_url(project), **EN)

    rounds = table_rows(response, "survey-rounds")[1:]
    assert [row[0] for row in rounds] == ["2", "1"]
    assert rounds[0][3:] == ["3", "2", "66.7%", "2", "100.0%", "Thresholds met"]
    assert rounds[1][3:] == ["3", "1", "33.3%", "1", "100.0%", "Thresholds not met"]


def test_changing_the_registers_after_acceptance_leaves_the_report_as_decided(client, office):
    project = accepted_with_numbers(office)
    client.force_login(office)
    page_before = client.get(page_url(project), **EN)
    document_before = open_docx(client.get(docx_url(project), **EN))

    # Households answered on the roll cannot go (PROTECT); the neighbourhood grows instead,
    # and a household registered after the decision is removed again.
    building = BuildingFactory(neighbourhood=project.neighbourhood, number="8")
    newcomers = [HouseholdFactory(building=building) for _ in range(5)]
    newcomers[0].delete()
    page_after = client.get(page_url(project), **EN)
    document_after = open_docx(client.get(docx_url(project), **EN))

    for table_id in ("decision-numbers", "survey-numbers", "tally", "survey-rounds"):
        assert table_rows(page_after, table_id) == table_rows(page_before, table_id)
    assert dict(table_rows(page_after, "decision-numbers"))["Households registered"] == "12"
    assert facts_table(document_after, "Date of the check") == facts_table(
        document_before, "Date of the check"
    )
    assert facts_table(document_after, "Date of the check")["Households registered"] == "12"
    assert facts_table(document_after, "Date of the check")["Households answered"] == "10"


def test_a_handed_over_project_still_shows_its_decision(client, office):
    project = project_at(Status.HANDED_OVER, by=office)
    client.force_login(office)

    text = text_of(client.get(page_url(project), **EN))

    assert "Accepted." in text
    assert "Handed over" in text


# --- A project not yet accepted: the live gate ------------------------------------------------


def test_a_project_not_yet_accepted_shows_not_decided_and_what_the_gate_misses(client, office):
    project = project_at(
        Status.COMPLETED, by=office, acceptance=False, neighbourhood=neighbourhood_with(3)
    )
    pass_acceptance(project, by=office, answers=1)
    client.force_login(office)

    response = client.get(page_url(project), **EN)

    text = text_of(response)
    assert "Not decided." in text
    assert "Accepted." not in text
    with translation.override("en"):
        missing = [str(reason) for reason in acceptance_gate(project).missing]
    assert missing == [
        "1 of 3 households answered (33.3%); two thirds need 2: 1 more answer is needed."
    ]
    shown = re.search(r'<ol id="missing">(.*?)</ol>', response.content.decode(), re.S).group(1)
    assert [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", shown)] == missing
    # The live numbers of the open round.
    assert dict(table_rows(response, "survey-numbers"))["Households answered"] == "1"
    assert "still open" in text


def test_the_docx_of_a_project_not_yet_accepted_says_not_decided_and_why(client, office):
    project = project_at(Status.COMPLETED, by=office, acceptance=False)
    client.force_login(office)

    document = open_docx(client.get(docx_url(project), **EN))

    paragraphs = docx_paragraphs(document)
    assert any(paragraph.startswith("Not decided.") for paragraph in paragraphs)
    text = docx_text(document)
    assert "No completion check has been recorded yet." in text
    assert "No satisfaction survey has been opened yet." in text
    assert "Accepted." not in text


def test_the_check_rounds_are_listed_with_their_rectification(client, office):
    project = project_at(Status.COMPLETED, by=office, acceptance=False)
    check = acceptance_services.start_check(project, by=office)
    check.items.update(result=Result.PASSED)
    leaking = check.items.first()
    CheckItem.objects.filter(pk=leaking.pk).update(result=Result.FAILED, notes="屋面渗水")
    Participant.objects.create(
        acceptance_check=check, role="supervisor", name="监理李工", organisation="安康监理公司"
    )
    acceptance_services.conclude_check(check, by=office, rectification="屋面防水层返工")
    acceptance_services.start_check(project, by=office)
    client.force_login(office)

    response = client.get(page_url(project), **EN)

    # The latest concluded check is the failed one, with its items and participants.
    text = text_of(response)
    assert "Check 1 of" in text
    checklist = table_rows(response, "checklist")
    failed_row = next(row for row in checklist if row[1] == leaking.title)
    assert (failed_row[3], failed_row[4]) == ("Failed", "屋面渗水")
    assert "监理李工" in text
    assert "安康监理公司" in text
    rounds = table_rows(response, "check-rounds")[1:]
    assert [(row[0], row[2], row[3]) for row in rounds] == [
        ("2", "To be checked", ""),
        ("1", "Failed", "屋面防水层返工"),
    ]
    assert "Check 2 is not concluded" in text


# --- No household is ever told apart -------------------------------------------------------


def test_the_report_never_shows_a_household_its_address_or_its_answer(client, office):
    project = accepted_with_numbers(office)
    households = households_of(project)
    client.force_login(office)

    page = client.get(page_url(project), **EN).content.decode()
    page_zh = client.get(page_url(project)).content.decode()
    document = docx_text(open_docx(client.get(docx_url(project), **EN)))

    for household in households:
        with translation.override("en"):
            address_en = str(household.address)
        with translation.override("zh-hans"):
            address_zh = str(household.address)
        for shown in (page, page_zh, document):
            assert household.head_name not in shown
            assert household.phone not in shown
            assert address_en not in shown
            assert address_zh not in shown
    for shown in (page, page_zh, document):
        assert COMMENT not in shown  # comments are left out of the report


# --- Who may read it ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [page_url, docx_url], ids=["page", "docx"])
def test_anonymous_visitors_are_sent_to_the_admin_login(client, office, url):
    project = project_at(Status.ACCEPTED, by=office)

    response = client.get(url(project))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", [page_url, docx_url], ids=["page", "docx"])
def test_a_leader_without_the_admin_is_sent_to_the_admin_login(client, office, url):
    project = project_at(Status.ACCEPTED, by=office)
    client.force_login(make_user(Role.LEADER))

    response = client.get(url(project))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("url", [page_url, docx_url], ids=["page", "docx"])
def test_community_staff_outside_the_projects_community_get_404(client, office, url):
    project = project_at(Status.ACCEPTED, by=office)
    client.force_login(make_user(Role.COMMUNITY, communities=[CommunityFactory()]))

    assert client.get(url(project)).status_code == 404


@pytest.mark.parametrize("url", [page_url, docx_url], ids=["page", "docx"])
def test_community_staff_of_the_projects_community_read_the_report(client, office, url):
    project = project_at(Status.ACCEPTED, by=office)
    client.force_login(make_user(Role.COMMUNITY, communities=[project.neighbourhood.community]))

    assert client.get(url(project)).status_code == 200


def test_staff_without_the_permission_to_view_projects_are_refused(client, office):
    project = project_at(Status.ACCEPTED, by=office)
    staff = make_user(Role.INSPECTOR)
    staff.groups.first().permissions.remove(
        Permission.objects.get(codename="view_project", content_type__app_label="projects")
    )
    client.force_login(staff)

    assert client.get(page_url(project)).status_code == 403
    assert client.get(docx_url(project)).status_code == 403


def test_an_unknown_project_is_404(client, office):
    client.force_login(office)

    assert client.get(reverse("acceptance_report:page", args=[999999])).status_code == 404


# --- The document itself --------------------------------------------------------------------


def test_the_docx_is_an_attachment_with_the_projects_name_in_utf8(client, office):
    project = project_at(Status.ACCEPTED, by=office, name="红花小区改造/一期")
    client.force_login(office)

    response = client.get(docx_url(project), **EN)

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="acceptance-report-{project.pk}.docx"' in disposition
    assert "filename*=UTF-8''" + quote("红花小区改造 一期 acceptance report.docx") in disposition
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def test_the_docx_is_laid_out_as_a_county_document(client, office):
    project = project_at(Status.ACCEPTED, by=office)
    client.force_login(office)

    document = open_docx(client.get(docx_url(project)))

    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    normal_fonts = document.styles["Normal"].element.rPr.rFonts
    assert normal_fonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    ) == ("仿宋")
    heading_fonts = document.styles["Heading 1"].element.rPr.rFonts
    assert (
        heading_fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        == "黑体"
    )
    assert document.tables
    assert {table.style.name for table in document.tables} == {"Table Grid"}
    assert document.paragraphs[0].style.name == "Anju Title"
    assert project.name in document.paragraphs[0].text


# --- Cost ---------------------------------------------------------------------------------


def test_the_page_of_an_accepted_project_runs_a_fixed_number_of_queries(
    client, office, django_assert_num_queries
):
    project = accepted_with_numbers(office)
    client.force_login(office)
    client.get(page_url(project))  # warm the content types and the session

    # 2 the request's savepoint and its release (ATOMIC_REQUESTS), the session, the user,
    # the user's own and group permissions (2); the project with its neighbourhood, community
    # and decision; its merged compounds; the check rounds; the survey rounds; the decisive
    # check's items; its participants; the decisive round's tally.
    with django_assert_num_queries(13):
        response = client.get(page_url(project))
    assert response.status_code == 200


def test_the_page_of_a_project_not_yet_accepted_runs_a_fixed_number_of_queries(
    client, office, django_assert_num_queries
):
    project = project_at(
        Status.COMPLETED, by=office, acceptance=False, neighbourhood=neighbourhood_with(3)
    )
    pass_acceptance(project, by=office, answers=1)
    client.force_login(office)
    client.get(page_url(project))

    # The 13 of an accepted project, plus the live gate: its latest check and round, the
    # round's roll and answers (4); minus the tally by question, left out while the round is
    # open (1).
    with django_assert_num_queries(16):
        response = client.get(page_url(project))
    assert response.status_code == 200


def test_the_report_of_an_open_round_shows_totals_but_no_answers_by_level(client, office):
    project = project_at(Project.Status.COMPLETED, by=office)  # its round is still open
    client.force_login(office)

    response = client.get(reverse("acceptance_report:page", args=[project.pk]))

    assert response.context["report"].tally == []
    assert 'id="tally"' not in response.content.decode()
