"""一月一通报: the monthly bulletin, its .docx and .xlsx, its pages and its admin.

The month's snapshots are made here row by row in the shared schema (as ``cycle.snapshots``
freezes them), so each test plants the figures it then looks for.
"""

import datetime
import io
from decimal import Decimal

import docx
import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from cycle.bulletin import bulletin_content, produce_bulletin
from cycle.models import (
    Bulletin,
    CountySnapshot,
    Finding,
    Inspection,
    InspectionReport,
    ProjectSnapshot,
    Ranking,
)
from cycle.periods import Month
from residents.roles import Role

from .conftest import make_user
from .factories import ProjectFactory, RegionFactory

NOVEMBER = Month.parse("2026-11")
OCTOBER = Month.parse("2026-10")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# --- Planting a month ----------------------------------------------------------------------


def project_figures(name="桃园小区改造", **changes):
    figures = {
        "name": name,
        "neighbourhood": "桃园小区",
        "community": "城关社区",
        "batch_year": 2026,
        "status": "under_construction",
        "percent_complete": "40.0",
        "households": 120,
        "people": 360,
        "funds": {
            "planned": "1000000.00",
            "arrived": "600000.00",
            "spent": "300000.00",
            "by_source": {
                "central": {"planned": "600000.00", "arrived": "400000.00", "spent": "200000.00"},
                "county": {"planned": "400000.00", "arrived": "200000.00", "spent": "100000.00"},
            },
        },
        "outputs": {"rain_sewage": {"planned": "120.00", "completed": "48.00"}},
        "behind_schedule": False,
        "late_milestones": 0,
        "requests": {"open": 1, "in_handling": 0, "closed": 3, "overdue": 0},
        "satisfaction": None,
        "dispatch_reported": True,
        "findings": {"month": 0, "open": 0, "overdue": 0},
    }
    figures.update(changes)
    return figures


def county_figures(**changes):
    figures = {
        "projects": 2,
        "by_status": {"under_construction": 1, "accepted": 1},
        "percent_complete": "40.0",
        "funds": {
            "planned": "2000000.00",
            "arrived": "12345678.90",
            "spent": "900000.00",
            "by_source": {
                "central": {"planned": "1200000.00", "arrived": "800000.00", "spent": "500000.00"},
                "county": {"planned": "800000.00", "arrived": "400000.00", "spent": "400000.00"},
            },
        },
        "outputs": {
            "rain_sewage": {
                "name": "雨污分流",
                "name_en": "Rain and sewage separation",
                "unit": "metre",
                "planned": "240.00",
                "completed": "120.00",
            }
        },
        "households_benefited": 3107,
        "people_benefited": 17521,
        "requests": {"open": 2, "in_handling": 1, "closed": 6, "overdue": 1},
        "behind_schedule": [],
        "satisfaction": {"projects": 1, "households": 100, "answered": 90, "satisfied": 88},
        "findings": {"month": 1, "open": 1, "overdue": 0},
    }
    figures.update(changes)
    return figures


def freeze(month, projects: dict, county: dict | None = None):
    """Snapshots of ``month``: ``projects`` maps each project to its figures."""
    for project, figures in projects.items():
        ProjectSnapshot.objects.create(month=month.first, project=project, figures=figures)
    if county is not None:
        CountySnapshot.objects.create(month=month.first, figures=county)


@pytest.fixture(autouse=True)
def empty_storage(settings):
    """A storage of its own for each test (the tests' in-memory storage lives as long as the
    process), so a test sees exactly the files it made."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.fixture
def shiquan(db):
    return RegionFactory(level="county", name="石泉县", code="610922", parent=None)


@pytest.fixture
def two_projects(shiquan):
    return ProjectFactory(name="桃园小区改造"), ProjectFactory(name="江南小区改造")


@pytest.fixture
def november(two_projects):
    """November 2026 frozen for two projects, one of them behind schedule."""
    peach, river = two_projects
    freeze(
        NOVEMBER,
        {
            peach: project_figures("桃园小区改造", percent_complete="63.5"),
            river: project_figures(
                "江南小区改造",
                community="江南社区",
                status="approved",
                percent_complete="10.0",
                behind_schedule=True,
                late_milestones=2,
            ),
        },
        county_figures(behind_schedule=[river.pk]),
    )
    return two_projects


def open_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def docx_text(document) -> str:
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def produce(month=NOVEMBER, *, capture):
    with capture(execute=True):
        produce_bulletin(month)
    return Bulletin.objects.get(month=month.first)


# --- Producing ------------------------------------------------------------------------------


def test_producing_a_bulletin_returns_its_month(november):
    assert produce_bulletin(NOVEMBER) == {"bulletin": "2026-11"}


def test_producing_a_bulletin_twice_keeps_one_row_and_replaces_its_files(
    november, django_capture_on_commit_callbacks
):
    first = produce(capture=django_capture_on_commit_callbacks)
    old_docx, old_xlsx = first.docx.name, first.xlsx.name
    assert default_storage.exists(old_docx) and default_storage.exists(old_xlsx)

    again = produce(capture=django_capture_on_commit_callbacks)

    assert Bulletin.objects.count() == 1
    assert again.pk == first.pk
    assert not default_storage.exists(old_docx)
    assert not default_storage.exists(old_xlsx)
    assert default_storage.exists(again.docx.name) and default_storage.exists(again.xlsx.name)
    stored = default_storage.listdir("bulletins")[1]
    assert sorted(stored) == sorted(
        name.removeprefix("bulletins/") for name in (again.docx.name, again.xlsx.name)
    )


def test_a_bulletin_produced_again_shows_the_figures_frozen_since(
    november, django_capture_on_commit_callbacks
):
    produce(capture=django_capture_on_commit_callbacks)
    CountySnapshot.objects.filter(month=NOVEMBER.first).update(
        figures=county_figures(households_benefited=4000)
    )

    again = produce(capture=django_capture_on_commit_callbacks)

    assert again.content["headline"]["households_benefited"] == 4000
    assert "4000" in docx_text(open_docx(again.docx.read()))


def test_the_content_has_the_headline_progress_behind_schedule_and_title(november):
    content = bulletin_content(NOVEMBER)

    assert content["title"] == "石泉县城镇老旧小区改造工作月度通报"
    assert (content["year"], content["number"]) == (2026, 11)
    headline = content["headline"]
    assert headline["projects"] == 2
    assert [(row["status"], row["count"]) for row in headline["by_status"]] == [
        ("under_construction", 1),
        ("accepted", 1),
    ]
    assert headline["funds"]["arrived"] == "12345678.90"
    assert [row["source"] for row in headline["funds_by_source"]] == ["central", "county"]
    assert headline["outputs"][0]["percent"] == "50.0"
    assert headline["households_benefited"] == 3107
    assert headline["behind_schedule"] == 1
    assert [row["name"] for row in content["behind_schedule"]] == ["江南小区改造"]
    assert [row["percent_complete"] for row in content["projects"]] == ["63.5", "10.0"]


def test_the_title_is_county_neutral_without_a_county(db):
    content = bulletin_content(NOVEMBER)

    assert content["title"] == "城镇老旧小区改造工作月度通报"
    assert content["issuer"] == "城镇老旧小区改造工作领导小组办公室"


def test_the_title_names_the_county_of_the_register(db):
    RegionFactory(level="county", name="汉阴县", parent=None)

    assert bulletin_content(NOVEMBER)["title"] == "汉阴县城镇老旧小区改造工作月度通报"


def test_changes_are_against_the_previous_months_snapshots(november):
    peach, _river = november
    freeze(
        OCTOBER,
        {peach: project_figures(percent_complete="50.0")},
        county_figures(
            projects=1,
            by_status={"under_construction": 1},
            households_benefited=3000,
            funds={
                "planned": "2000000.00",
                "arrived": "12000000.00",
                "spent": "800000.00",
                "by_source": {},
            },
        ),
    )

    content = bulletin_content(NOVEMBER)

    headline = content["headline"]
    assert content["previous_month"] == "2026-10"
    assert headline["projects_change"] == 1
    assert headline["households_benefited_change"] == 107
    assert headline["funds_change"]["spent"] == "100000.00"
    assert {row["status"]: row["change"] for row in headline["by_status"]} == {
        "under_construction": 0,
        "accepted": 1,
    }
    by_name = {row["name"]: row for row in content["projects"]}
    assert by_name["桃园小区改造"]["percent_change"] == "13.5"
    assert by_name["江南小区改造"]["percent_change"] is None  # not in October's snapshot


def test_without_a_previous_month_there_is_no_change(november):
    content = bulletin_content(NOVEMBER)

    assert content["previous_month"] is None
    assert content["headline"]["projects_change"] is None
    assert content["projects"][0]["percent_change"] is None


def test_missing_parts_are_named_and_the_rest_is_produced(
    two_projects, django_capture_on_commit_callbacks
):
    peach, _river = two_projects
    freeze(NOVEMBER, {peach: project_figures()})  # no county snapshot, ranking or report

    bulletin = produce(capture=django_capture_on_commit_callbacks)

    assert bulletin.content["missing"] == ["county", "ranking", "inspection"]
    assert bulletin.content["headline"] is None
    text = docx_text(open_docx(bulletin.docx.read()))
    assert "桃园小区改造" in text
    assert "本月评比排名尚未生成" in text
    assert "本月督查通报尚未生成" in text


def test_a_month_with_nothing_frozen_still_gives_a_bulletin_saying_so(
    shiquan, django_capture_on_commit_callbacks
):
    bulletin = produce(capture=django_capture_on_commit_callbacks)

    assert bulletin.content["missing"] == ["county", "projects", "ranking", "inspection"]
    assert open_docx(bulletin.docx.read()).paragraphs
    assert openpyxl.load_workbook(io.BytesIO(bulletin.xlsx.read())).sheetnames


def test_the_ranking_and_the_inspection_report_are_in_the_bulletin(november):
    peach, river = november
    Ranking.objects.create(
        month=NOVEMBER.first,
        project=river,
        scores={"schedule": "60.0", "inspection": {"score": "85.0"}},
        total=Decimal("71.5"),
        rank=2,
    )
    Ranking.objects.create(
        month=NOVEMBER.first,
        project=peach,
        scores={"schedule": "100.0", "inspection": {"score": "95.0"}},
        total=Decimal("97.0"),
        rank=1,
    )
    inspector = make_user(Role.INSPECTOR)
    inspection = Inspection.objects.create(
        project=river, inspector=inspector, date=datetime.date(2026, 11, 10)
    )
    Finding.objects.create(
        inspection=inspection,
        category="safety",
        severity="major",
        description="脚手架未设防护网",
        deadline=datetime.date(2026, 11, 20),
    )
    from cycle.inspections import produce_report

    produce_report(NOVEMBER)

    content = bulletin_content(NOVEMBER)

    assert [(row["rank"], row["name"]) for row in content["ranking"]] == [
        (1, "桃园小区改造"),
        (2, "江南小区改造"),
    ]
    assert content["ranking"][0]["scores"] == {"schedule": "100.0", "inspection": "95.0"}
    assert {c["code"] for c in content["criteria"]} == {"schedule", "inspection"}
    inspection_part = content["inspection"]
    assert inspection_part["inspections"] == 1
    assert [row["description"] for row in inspection_part["findings"]] == ["脚手架未设防护网"]
    assert inspection_part["findings"][0]["project"] == "江南小区改造"
    assert [row["days_overdue"] for row in inspection_part["overdue"]] == [11]
    assert {row["id"]: row["rank"] for row in content["projects"]} == {
        peach.pk: 1,
        river.pk: 2,
    }


# --- The .docx ------------------------------------------------------------------------------


def test_the_docx_opens_and_shows_the_months_figures(november, django_capture_on_commit_callbacks):
    bulletin = produce(capture=django_capture_on_commit_callbacks)

    document = open_docx(bulletin.docx.read())

    text = docx_text(document)
    assert document.paragraphs[0].text == "石泉县城镇老旧小区改造工作月度通报"
    assert "2026年第11期" in text
    assert "3107" in text  # households benefited, planted in the county snapshot
    assert "1234.57" in text  # 12,345,678.90 yuan arrived, in 万元
    assert "63.5" in text  # a project's completion
    assert "江南小区改造" in text and "滞后" in text


def test_the_docx_is_laid_out_as_a_county_bulletin(november, django_capture_on_commit_callbacks):
    document = open_docx(produce(capture=django_capture_on_commit_callbacks).docx.read())

    red_head = document.paragraphs[0]
    assert red_head.style.name == "Anju Red Head"
    assert str(red_head.style.font.color.rgb) == "E60012"
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(f"{W}eastAsia") == "仿宋"
    heading = document.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(f"{W}eastAsia") == "黑体"
    assert {table.style.name for table in document.tables} == {"Table Grid"}
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer  # the page number field
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


# --- The .xlsx ------------------------------------------------------------------------------


def test_the_xlsx_has_a_sheet_per_section_and_figures_as_numbers(
    november, django_capture_on_commit_callbacks
):
    workbook = openpyxl.load_workbook(
        io.BytesIO(produce(capture=django_capture_on_commit_callbacks).xlsx.read())
    )

    assert workbook.sheetnames == ["概况", "项目进展", "评比排名", "督查问题", "逾期整改"]
    summary = {
        row[0]: row[1] for row in workbook["概况"].iter_rows(min_row=4, values_only=True) if row[0]
    }
    assert summary["惠及居民（户）"] == 3107
    assert summary["到位资金（元）"] == pytest.approx(12345678.90)
    assert isinstance(summary["平均完成进度（%）"], float | int)
    projects = list(workbook["项目进展"].iter_rows(values_only=True))
    assert projects[0][:2] == ("序号", "项目名称")
    assert projects[1][1] == "桃园小区改造"
    assert projects[1][5] == pytest.approx(63.5)
    assert projects[2][10] == "是"  # behind schedule


def test_the_xlsx_neutralises_text_that_would_be_a_formula(
    two_projects, django_capture_on_commit_callbacks
):
    peach, river = two_projects
    freeze(
        NOVEMBER,
        {
            peach: project_figures("=cmd|' /C calc'!A0", community="+社区"),
            river: project_figures("@SUM(1+1)", community="-2+3"),
        },
        county_figures(),
    )

    workbook = openpyxl.load_workbook(
        io.BytesIO(produce(capture=django_capture_on_commit_callbacks).xlsx.read())
    )

    rows = list(workbook["项目进展"].iter_rows(min_row=2, values_only=True))
    names = {row[1] for row in rows}
    assert names == {"'=cmd|' /C calc'!A0", "'@SUM(1+1)"}
    assert {row[3] for row in rows} == {"'+社区", "'-2+3"}
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"


# --- Pages ----------------------------------------------------------------------------------


def page_url(month=NOVEMBER):
    return reverse("cycle:bulletin_detail", args=[month])


@pytest.fixture
def bulletin(november, django_capture_on_commit_callbacks):
    return produce(capture=django_capture_on_commit_callbacks)


def test_anonymous_visitors_are_sent_to_the_login_page(client, bulletin):
    for url in (
        reverse("cycle:bulletin_list"),
        page_url(),
        reverse("cycle:bulletin_docx", args=[NOVEMBER]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("role", [Role.LEADER, Role.OFFICE, Role.COMMUNITY, Role.AUDITOR])
def test_leaders_and_staff_read_the_bulletin(client, bulletin, role):
    client.force_login(make_user(role))

    listed = client.get(reverse("cycle:bulletin_list"))
    page = client.get(page_url())

    assert listed.status_code == 200
    assert page_url() in listed.content.decode()
    assert page.status_code == 200
    text = page.content.decode()
    assert "石泉县城镇老旧小区改造工作月度通报" in text
    assert "3107" in text and "1234.57" in text and "63.5" in text


@pytest.mark.parametrize("role", [Role.VISITOR, None])
def test_users_without_the_permission_are_refused(client, bulletin, role):
    client.force_login(make_user(role))

    for url in (
        reverse("cycle:bulletin_list"),
        page_url(),
        reverse("cycle:bulletin_docx", args=[NOVEMBER]),
        reverse("cycle:bulletin_xlsx", args=[NOVEMBER]),
    ):
        assert client.get(url).status_code == 403


def test_the_page_is_in_english_for_an_english_reader(client, bulletin):
    client.force_login(make_user(Role.LEADER))

    text = client.get(page_url(), **EN).content.decode()

    assert "Progress by project" in text
    assert "Rain and sewage separation" in text
    assert "Under construction" in text


def test_the_page_says_which_parts_are_missing(
    client, two_projects, django_capture_on_commit_callbacks
):
    freeze(NOVEMBER, {two_projects[0]: project_figures()})
    produce(capture=django_capture_on_commit_callbacks)
    client.force_login(make_user(Role.LEADER))

    text = client.get(page_url(), **EN).content.decode()

    assert "The county&#x27;s figures of this month were not frozen." in text
    assert "This month&#x27;s ranking has not been made." in text


def test_a_month_without_a_bulletin_is_a_404(client, bulletin):
    client.force_login(make_user(Role.LEADER))

    assert client.get(page_url(OCTOBER)).status_code == 404
    assert client.get("/cycle/bulletins/2026-13/").status_code == 404
    assert client.get(reverse("cycle:bulletin_xlsx", args=[OCTOBER])).status_code == 404


def test_the_downloads_are_the_stored_files_named_for_the_issue(client, bulletin):
    client.force_login(make_user(Role.LEADER))

    word = client.get(reverse("cycle:bulletin_docx", args=[NOVEMBER]))
    excel = client.get(reverse("cycle:bulletin_xlsx", args=[NOVEMBER]))

    assert word.status_code == 200
    assert word["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in word["Content-Disposition"]
    assert "filename*=utf-8''" in word["Content-Disposition"].lower()
    assert "3107" in docx_text(open_docx(b"".join(word.streaming_content)))
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(excel.streaming_content)))
    assert "概况" in workbook.sheetnames


def test_the_page_prints_without_the_navigation(client, bulletin):
    client.force_login(make_user(Role.LEADER))

    text = client.get(page_url()).content.decode()

    assert "@media print" in text
    assert 'name="viewport"' in text


def _months_of_bulletins(count):
    month = NOVEMBER
    for _ in range(count):
        Bulletin.objects.create(
            month=month.first, generated_at=datetime.datetime.now(datetime.UTC), content={}
        )
        month = month.previous()


@pytest.mark.parametrize("count", [1, 12])
def test_the_list_runs_a_fixed_number_of_queries(client, shiquan, django_assert_num_queries, count):
    _months_of_bulletins(count)
    client.force_login(make_user(Role.LEADER))
    client.get(reverse("cycle:bulletin_list"))

    # The request's savepoint and its release (ATOMIC_REQUESTS), the session, the user, the
    # user's own and group permissions (2), the count of bulletins, the page of bulletins.
    with django_assert_num_queries(8):
        response = client.get(reverse("cycle:bulletin_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("projects", [2, 20])
def test_the_page_runs_a_fixed_number_of_queries(
    client, shiquan, django_assert_num_queries, django_capture_on_commit_callbacks, projects
):
    freeze(
        NOVEMBER,
        {ProjectFactory(): project_figures(f"项目{n}") for n in range(projects)},
        county_figures(projects=projects),
    )
    produce(capture=django_capture_on_commit_callbacks)
    client.force_login(make_user(Role.LEADER))
    client.get(page_url())

    # The savepoint and its release, the session, the user, the user's own and group
    # permissions (2), the bulletin.
    with django_assert_num_queries(7):
        response = client.get(page_url())
    assert response.status_code == 200


@pytest.mark.parametrize("projects", [3, 30])
def test_producing_runs_a_fixed_number_of_queries(shiquan, django_assert_num_queries, projects):
    freeze(
        NOVEMBER,
        {ProjectFactory(): project_figures(f"项目{n}") for n in range(projects)},
        county_figures(projects=projects),
    )
    freeze(
        OCTOBER,
        {ProjectFactory(): project_figures(f"旧项目{n}") for n in range(projects)},
        county_figures(projects=projects),
    )

    # Reads (8): the two county snapshots, this and last month's project snapshots (2), the
    # ranking with the projects' names, the criteria, the weights the ranking used (the
    # month's close), the inspection report, the county's name. Writes (9): produce's
    # transaction (a savepoint and its release); update_or_create (its savepoint, the select
    # for update, the insert's savepoint, the insert, two releases); the files' names.
    with django_assert_num_queries(17):
        produce_bulletin(NOVEMBER)


# --- Admin ----------------------------------------------------------------------------------


def admin_url(name, *args):
    return reverse(f"admin:cycle_bulletin_{name}", args=args)


def test_the_county_office_produces_a_bulletin_again_from_the_admin(
    client, bulletin, django_capture_on_commit_callbacks
):
    old_docx = bulletin.docx.name
    CountySnapshot.objects.filter(month=NOVEMBER.first).update(
        figures=county_figures(households_benefited=4242)
    )
    client.force_login(make_user(Role.OFFICE))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            admin_url("changelist"),
            {"action": "produce_again", "_selected_action": [bulletin.pk]},
            follow=True,
            **EN,
        )

    assert "Produced again: 2026-11." in response.content.decode()
    assert Bulletin.objects.count() == 1
    bulletin.refresh_from_db()
    assert bulletin.content["headline"]["households_benefited"] == 4242
    assert not default_storage.exists(old_docx)


def test_community_staff_read_bulletins_in_the_admin_but_cannot_produce_them(client, bulletin):
    client.force_login(make_user(Role.COMMUNITY))

    listed = client.get(admin_url("changelist"), **EN)
    page = client.get(admin_url("change", bulletin.pk), **EN)

    assert listed.status_code == 200
    assert "produce_again" not in listed.content.decode()
    assert page.status_code == 200
    assert page_url() in page.content.decode()
    assert reverse("cycle:bulletin_docx", args=[NOVEMBER]) in page.content.decode()
    assert InspectionReport.objects.count() == 0  # nothing was produced by reading


@pytest.mark.parametrize("count", [1, 12])
def test_the_admin_list_runs_a_fixed_number_of_queries(
    client, shiquan, django_assert_num_queries, count
):
    _months_of_bulletins(count)
    client.force_login(make_user(Role.OFFICE))
    client.get(admin_url("changelist"))

    # The savepoint and its release, the session, the user, the permissions (2), the count
    # (twice: filtered and total), the page of bulletins, and the first and last month of the
    # date hierarchy (read as the template renders).
    with django_assert_num_queries(11):
        response = client.get(admin_url("changelist"))
    assert response.status_code == 200


# --- From the month close ---------------------------------------------------------------------


def test_the_month_close_produces_the_bulletin_once_and_again_only_when_forced(
    shiquan, django_capture_on_commit_callbacks
):
    from cycle import jobs
    from projects.models import Project

    from .test_cycle_snapshots import MONTH, project_then

    project_then(Project.Status.UNDER_CONSTRUCTION, name="桃园小区改造")

    with django_capture_on_commit_callbacks(execute=True):
        run = jobs.close_month(MONTH)
    assert run.summary["bulletin"] == {"bulletin": MONTH.key}
    bulletin = Bulletin.objects.get()
    assert [row["name"] for row in bulletin.content["projects"]] == ["桃园小区改造"]
    assert [row["name"] for row in bulletin.content["ranking"]] == ["桃园小区改造"]
    assert bulletin.content["missing"] == []
    assert "桃园小区改造" in docx_text(open_docx(bulletin.docx.read()))
    files = (bulletin.docx.name, bulletin.xlsx.name)

    with django_capture_on_commit_callbacks(execute=True):
        jobs.close_month(MONTH)  # done already: nothing is produced again
    assert Bulletin.objects.get().generated_at == bulletin.generated_at

    with django_capture_on_commit_callbacks(execute=True):
        jobs.close_month(MONTH, force=True)
    again = Bulletin.objects.get()
    assert again.generated_at > bulletin.generated_at
    assert not any(default_storage.exists(name) for name in files)
    assert default_storage.exists(again.docx.name) and default_storage.exists(again.xlsx.name)
