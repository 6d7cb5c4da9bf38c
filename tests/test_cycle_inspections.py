"""一月一督查: inspections, findings and their rectification, and the monthly inspection report.

Photos are built here with Pillow, so no binary is committed. Times are set by patching
``django.utils.timezone.now`` (the county's calendar is Asia/Shanghai). Messages are read in
English (``HTTP_ACCEPT_LANGUAGE``): the English msgids are what these tests can pin.
"""

import contextlib
import datetime
import io
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from cycle import inspections
from cycle.inspections import InspectionRefused
from cycle.models import Finding, Inspection, InspectionReport
from cycle.periods import Month
from residents.roles import Role

from .conftest import make_user
from .factories import NeighbourhoodFactory, ProjectFactory
from .formdata import form_data

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
GPS_IFD = 0x8825
MARCH = Month(datetime.date(2025, 3, 1))
Category = Finding.Category
Severity = Finding.Severity


# --- Helpers ------------------------------------------------------------------------------------


@pytest.fixture
def storage(settings):
    """An empty in-memory storage for this test alone."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    return default_storage


def stored_files(storage, path=""):
    directories, files = storage.listdir(path)
    found = [f"{path}/{name}".lstrip("/") for name in files]
    for directory in directories:
        found += stored_files(storage, f"{path}/{directory}".lstrip("/"))
    return found


def png_with_exif() -> bytes:
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (33.0, 2.0, 41.5), 3: "E", 4: (108.0, 14.0, 52.0)}
    exif[0x010F] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "red").save(buffer, "PNG", exif=exif)
    return buffer.getvalue()


def upload(data: bytes, name="site.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


DISGUISED = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"  # a PDF named .jpg


@contextlib.contextmanager
def at(moment: datetime.datetime):
    """``timezone.now()`` is ``moment`` (a wall time in Shanghai) within the block."""
    aware = moment.replace(tzinfo=SHANGHAI) if moment.tzinfo is None else moment
    with mock.patch("django.utils.timezone.now", return_value=aware):
        yield


def day(month, number):
    return datetime.date(2025, month, number)


@pytest.fixture(autouse=True)
def english():
    """Refusals read in English (the msgids), as the pages read with ``en_client``."""
    with translation.override("en"):
        yield


@pytest.fixture
def en_client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def inspector(db):
    return make_user(Role.INSPECTOR, username="inspector", first_name="督查", last_name="王")


@pytest.fixture
def community_user(registers):
    """Community staff of register A's community."""
    return make_user(Role.COMMUNITY, username="community", communities=[registers.a.community])


def project_of(register, **kwargs):
    return ProjectFactory(neighbourhood=register.neighbourhood, **kwargs)


def finding_of(inspection, *, deadline=None, category=Category.QUALITY, severity=Severity.MINOR):
    return inspections.add_finding(
        inspection,
        category=category,
        severity=severity,
        description="外墙保温层空鼓",
        deadline=deadline or inspection.date + datetime.timedelta(days=10),
    )


def shown_messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def admin_url(name, *args):
    return reverse(f"admin:cycle_{name}", args=args)


# --- Recording inspections and findings ---------------------------------------------------------


def test_an_inspection_is_recorded_with_its_inspector_in_the_history(registers, inspector):
    inspection = inspections.record_inspection(
        project_of(registers.a), inspector=inspector, date=day(3, 5), summary=" 现场检查 "
    )
    assert inspection.summary == "现场检查"
    assert inspection.history.get().history_user == inspector


def test_an_inspection_cannot_be_recorded_for_a_day_to_come(registers, inspector):
    with at(datetime.datetime(2025, 3, 5, 12)), pytest.raises(InspectionRefused) as refusal:
        inspections.record_inspection(project_of(registers.a), inspector=inspector, date=day(3, 6))
    assert "day still to come" in str(refusal.value)
    assert not Inspection.objects.exists()


def test_a_finding_may_be_due_on_the_day_of_the_inspection_but_not_before(registers, inspector):
    inspection = inspections.record_inspection(
        project_of(registers.a), inspector=inspector, date=day(3, 5)
    )
    with pytest.raises(InspectionRefused) as refusal:
        finding_of(inspection, deadline=day(3, 4))
    assert "before the inspection" in str(refusal.value)
    finding = finding_of(inspection, deadline=day(3, 5))
    assert finding.deadline == day(3, 5)
    assert finding.history.get().history_user == inspector


def test_a_finding_needs_a_description_and_known_category_and_severity(registers, inspector):
    inspection = inspections.record_inspection(
        project_of(registers.a), inspector=inspector, date=day(3, 5)
    )
    with pytest.raises(InspectionRefused) as refusal:
        inspections.add_finding(
            inspection, category="weather", severity="huge", description=" ", deadline=day(3, 9)
        )
    assert len(refusal.value.reasons) == 3
    assert not Finding.objects.exists()


def test_a_finding_with_a_disguised_non_image_photo_is_refused_and_nothing_stored(
    registers, inspector, storage
):
    inspection = inspections.record_inspection(
        project_of(registers.a), inspector=inspector, date=day(3, 5)
    )
    with pytest.raises(InspectionRefused) as refusal:
        inspections.add_finding(
            inspection,
            category=Category.SAFETY,
            severity=Severity.MAJOR,
            description="脚手架未设防护网",
            deadline=day(3, 8),
            photo=upload(DISGUISED),
        )
    assert "not an image" in str(refusal.value)
    assert not Finding.objects.exists()
    assert stored_files(storage) == []


def test_a_real_png_is_stored_re_encoded_as_jpeg_without_exif(registers, inspector, storage):
    original = png_with_exif()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # GPS before
    inspection = inspections.record_inspection(
        project_of(registers.a), inspector=inspector, date=day(3, 5)
    )
    finding = inspections.add_finding(
        inspection,
        category=Category.SAFETY,
        severity=Severity.MAJOR,
        description="脚手架未设防护网",
        deadline=day(3, 8),
        photo=upload(original, "site.png", "image/png"),
    )
    finding.refresh_from_db()
    assert finding.photo.name.startswith("findings/") and finding.photo.name.endswith(".jpg")
    assert "site" not in finding.photo.name  # the uploaded name says nothing
    with finding.photo.open("rb") as stored:
        reopened = Image.open(io.BytesIO(stored.read()))
    assert reopened.format == "JPEG"
    assert reopened.size == (120, 80)
    assert len(reopened.getexif()) == 0
    assert stored_files(storage) == [finding.photo.name]


# --- Rectification --------------------------------------------------------------------------------


@pytest.fixture
def finding(registers, inspector):
    inspection = inspections.record_inspection(
        project_of(registers.a), inspector=inspector, date=day(3, 5)
    )
    return finding_of(inspection, deadline=day(3, 15))


def test_rectify_records_what_was_done_who_and_when(finding, community_user, storage):
    with at(datetime.datetime(2025, 3, 14, 9)):
        rectified = inspections.rectify(
            finding,
            by=community_user,
            rectification=" 已返工重做保温层 ",
            proof=upload(png_with_exif(), "after.png", "image/png"),
        )
    finding.refresh_from_db()
    assert finding.rectification == "已返工重做保温层"
    assert finding.rectified_by == community_user
    assert finding.rectified_at == datetime.datetime(2025, 3, 14, 9, tzinfo=SHANGHAI)
    assert finding.proof.name.endswith(".jpg")
    assert rectified.history.order_by("history_id").last().history_user == community_user
    assert not Finding.objects.open().exists()


def test_rectify_needs_the_rectification_text(finding, community_user):
    with pytest.raises(InspectionRefused) as refusal:
        inspections.rectify(finding, by=community_user, rectification="  ")
    assert "Describe the rectification" in str(refusal.value)
    finding.refresh_from_db()
    assert finding.rectified_at is None


def test_rectify_is_refused_once_rectified(finding, community_user, office_user):
    inspections.rectify(finding, by=community_user, rectification="已整改")
    stale = Finding.objects.get(pk=finding.pk)
    stale.rectified_at = None  # a copy read before the rectification: the lock re-reads it
    with pytest.raises(InspectionRefused) as refusal:
        inspections.rectify(stale, by=office_user, rectification="再次整改")
    assert "already rectified" in str(refusal.value)
    finding.refresh_from_db()
    assert (finding.rectified_by, finding.rectification) == (community_user, "已整改")


def test_a_disguised_proof_is_refused_and_the_finding_stays_open(finding, community_user, storage):
    before = stored_files(storage)
    with pytest.raises(InspectionRefused) as refusal:
        inspections.rectify(
            finding, by=community_user, rectification="已整改", proof=upload(DISGUISED)
        )
    assert "not an image" in str(refusal.value)
    finding.refresh_from_db()
    assert finding.rectified_at is None and not finding.proof
    assert stored_files(storage) == before


def test_reopen_opens_a_rectified_finding_again_with_a_new_deadline(finding, inspector):
    with pytest.raises(InspectionRefused):
        inspections.reopen(finding, by=inspector)  # not rectified yet
    inspections.rectify(finding, by=inspector, rectification="已整改")
    with pytest.raises(InspectionRefused):
        inspections.reopen(finding, by=inspector, deadline=day(3, 1))  # before the inspection
    inspections.reopen(finding, by=inspector, deadline=day(4, 10))
    finding.refresh_from_db()
    assert finding.rectified_at is None and finding.rectified_by is None
    assert finding.deadline == day(4, 10)
    assert finding.rectification == "已整改"  # kept, and in the history
    assert Finding.objects.open().filter(pk=finding.pk).exists()


# --- Overdue --------------------------------------------------------------------------------


def test_a_finding_due_today_is_not_overdue_and_is_the_day_after(finding, inspector):
    assert not Finding.objects.overdue(day(3, 15)).exists()
    assert list(Finding.objects.overdue(day(3, 16))) == [finding]
    inspections.rectify(finding, by=inspector, rectification="已整改")
    assert not Finding.objects.overdue(day(3, 16)).exists()


# --- The monthly report ---------------------------------------------------------------------


def inspect(project, inspector, date, *findings):
    """An inspection of ``project`` on ``date`` with findings (deadline, category, severity)."""
    inspection = inspections.record_inspection(project, inspector=inspector, date=date)
    made = [
        finding_of(inspection, deadline=deadline, category=category, severity=severity)
        for deadline, category, severity in findings
    ]
    return inspection, made


def rectify_at(finding, user, moment):
    with at(moment):
        return inspections.rectify(finding, by=user, rectification="已整改")


def test_the_report_lists_the_months_inspections_findings_overdue_and_rectified(
    registers, inspector, office_user
):
    a, b = project_of(registers.a), project_of(registers.b)
    _, (due_last_day, due_next_month) = inspect(
        a,
        inspector,
        day(3, 1),
        (day(3, 31), Category.QUALITY, Severity.MINOR),
        (day(4, 1), Category.QUALITY, Severity.MAJOR),
    )
    _, (late_rectified, in_time) = inspect(
        b,
        inspector,
        day(3, 31),
        (day(3, 31), Category.SAFETY, Severity.CRITICAL),
        (day(4, 5), Category.SAFETY, Severity.MINOR),
    )
    _, (from_february,) = inspect(
        b, inspector, day(2, 20), (day(3, 10), Category.FUNDS, Severity.MINOR)
    )
    inspect(a, inspector, day(4, 1), (day(4, 9), Category.SITE, Severity.MINOR))  # April's
    # Rectified on the last evening of March: not overdue; rectified after the month
    # closed: overdue as the month closed, and rectified in April, not in March.
    rectify_at(in_time, office_user, datetime.datetime(2025, 3, 31, 23, 59))
    rectify_at(late_rectified, office_user, datetime.datetime(2025, 4, 1, 0, 0))
    rectify_at(from_february, office_user, datetime.datetime(2025, 3, 12, 10))

    summary = inspections.produce_report(MARCH)

    assert summary == {"inspections": 2, "findings": 4, "overdue": 2}
    content = InspectionReport.objects.get(month=MARCH.first).content
    assert [(row["project"], row["date"], row["findings"]) for row in content["inspections"]] == [
        (a.name, "2025-03-01", 2),
        (b.name, "2025-03-31", 2),
    ]
    assert content["inspections"][0]["inspector"] == "督查 王"  # staff: named in full
    by_category = content["findings"]["by_category"]
    assert by_category["quality"] == {"total": 2, "minor": 1, "major": 1, "critical": 0}
    assert by_category["safety"] == {"total": 2, "minor": 1, "major": 0, "critical": 1}
    assert by_category["funds"]["total"] == 0  # February's inspection
    assert content["findings"]["by_severity"] == {"minor": 2, "major": 1, "critical": 1}
    overdue = {row["id"]: row["days_overdue"] for row in content["overdue"]["items"]}
    assert overdue == {due_last_day.pk: 1, late_rectified.pk: 1}
    assert due_next_month.pk not in overdue
    rectified = {row["id"]: row["late"] for row in content["rectified"]["items"]}
    assert rectified == {in_time.pk: False, from_february.pk: True}


def test_no_residents_data_in_the_report(registers, inspector):
    inspect(project_of(registers.a), inspector, day(3, 3), (day(3, 9), "quality", "minor"))
    inspections.produce_report(MARCH)
    text = str(InspectionReport.objects.get().content)
    for resident in ("张甲户", "13811110001", registers.a.household.id_number):
        assert resident not in text


def test_producing_the_report_again_replaces_it(registers, inspector):
    project = project_of(registers.a)
    inspect(project, inspector, day(3, 3), (day(3, 9), "quality", "minor"))
    assert inspections.produce_report(MARCH)["findings"] == 1
    first = InspectionReport.objects.get()
    inspect(project, inspector, day(3, 20), (day(3, 25), "safety", "major"))

    assert inspections.produce_report(MARCH) == {"inspections": 2, "findings": 2, "overdue": 2}
    assert InspectionReport.objects.count() == 1
    again = InspectionReport.objects.get()
    assert again.pk == first.pk
    assert again.generated_at >= first.generated_at
    assert len(again.content["inspections"]) == 2
    assert inspections.produce_report(MARCH.first) == inspections.produce_report(MARCH)


def test_the_report_reads_a_fixed_number_of_queries_whatever_the_number_of_projects(
    registers, inspector, office_user, django_assert_num_queries
):
    def add_projects(count):
        for _ in range(count):
            project = ProjectFactory(neighbourhood=NeighbourhoodFactory())
            _, (_late, rectified) = inspect(
                project,
                inspector,
                day(3, 2),
                (day(3, 5), "quality", "minor"),
                (day(3, 6), "site", "major"),
            )
            rectify_at(rectified, office_user, datetime.datetime(2025, 3, 6, 12))

    add_projects(1)
    inspections.produce_report(MARCH)  # the month's report exists: it is replaced below
    # inspections (with projects, neighbourhoods, communities, inspectors and their counts),
    # the month's findings, the overdue, the rectified; then the report's update_or_create
    # (savepoint, select for update, update, release)
    with django_assert_num_queries(8):
        inspections.produce_report(MARCH)
    add_projects(12)
    with django_assert_num_queries(8):
        assert inspections.produce_report(MARCH)["findings"] == 26
    assert InspectionReport.objects.get().content["overdue"]["count"] == 13


# --- The admin ------------------------------------------------------------------------------------


def test_admin_pages_render_for_the_office_and_the_inspector(
    client, registers, inspector, office_user, finding
):
    inspections.produce_report(MARCH)
    report = InspectionReport.objects.get()
    pages = [
        admin_url("inspection_changelist"),
        admin_url("inspection_add"),
        admin_url("inspection_change", finding.inspection_id),
        admin_url("finding_changelist"),
        admin_url("finding_changelist") + "?state=overdue",
        admin_url("finding_change", finding.pk),
        admin_url("finding_rectify", finding.pk),
        admin_url("inspectionreport_changelist"),
        admin_url("inspectionreport_change", report.pk),
    ]
    for user in (office_user, inspector):
        client.force_login(user)
        for page in pages:
            assert client.get(page).status_code == 200, (user, page)


def add_page_data(client, project, **changes):
    html = client.get(admin_url("inspection_add")).content.decode()
    values = {
        "project": project.pk,
        "date": "2025-03-05",
        "summary": "三月督查",
        "findings-0-category": "safety",
        "findings-0-severity": "major",
        "findings-0-description": "临边防护缺失",
        "findings-0-deadline": "2025-03-12",
    }
    return form_data(html, **{**values, **changes})


def test_the_inspector_records_an_inspection_with_a_finding_and_its_photo(
    en_client, registers, inspector, storage
):
    en_client.force_login(inspector)
    project = project_of(registers.a)
    data = add_page_data(en_client, project)
    assert data["inspector"] == str(inspector.pk)  # the one who records it, by default
    response = en_client.post(
        admin_url("inspection_add"),
        {**data, "findings-0-photo": upload(png_with_exif(), "site.png", "image/png")},
    )
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    inspection = Inspection.objects.get()
    assert (inspection.project, inspection.inspector, inspection.date) == (
        project,
        inspector,
        day(3, 5),
    )
    finding = inspection.findings.get()
    assert (finding.category, finding.deadline) == ("safety", day(3, 12))
    with finding.photo.open("rb") as stored:
        assert Image.open(io.BytesIO(stored.read())).format == "JPEG"
    assert finding.history.get().history_user == inspector


def test_the_admin_refuses_a_disguised_photo_and_stores_nothing(
    en_client, registers, inspector, storage
):
    en_client.force_login(inspector)
    data = add_page_data(en_client, project_of(registers.a))
    response = en_client.post(
        admin_url("inspection_add"), {**data, "findings-0-photo": upload(DISGUISED)}
    )
    assert response.status_code == 200
    assert "This file is not an image" in response.content.decode()
    assert not Inspection.objects.exists() and not Finding.objects.exists()
    assert stored_files(storage) == []


def test_the_admin_refuses_a_deadline_before_the_inspection(en_client, registers, inspector):
    en_client.force_login(inspector)
    data = add_page_data(
        en_client, project_of(registers.a), **{"findings-0-deadline": "2025-03-04"}
    )
    response = en_client.post(admin_url("inspection_add"), data)
    assert response.status_code == 200
    assert "The deadline cannot be before the inspection" in response.content.decode()
    assert not Inspection.objects.exists()


def test_the_inspection_list_counts_findings_and_open_ones(client, registers, inspector):
    _, (first, _second) = inspect(
        project_of(registers.a),
        inspector,
        day(3, 5),
        (day(3, 9), "quality", "minor"),
        (
            day(3, 9),
            "safety",
            "minor",
        ),
    )
    inspections.rectify(first, by=inspector, rectification="已整改")
    client.force_login(inspector)
    changelist = client.get(admin_url("inspection_changelist")).context["cl"]
    row = changelist.result_list[0]
    assert (row.n_findings, row.n_open) == (2, 1)


def test_the_admin_lists_run_a_fixed_number_of_queries(
    client, registers, inspector, community_user, django_assert_num_queries
):
    def add(count):
        for _ in range(count):
            project = ProjectFactory(
                neighbourhood=NeighbourhoodFactory(community=registers.a.community)
            )
            inspect(project, inspector, day(3, 5), (day(3, 9), "quality", "minor"))

    def lists(user):
        client.force_login(user)
        for name in ("inspection_changelist", "finding_changelist"):
            # savepoint; session, user, the user's and the groups' permissions; the community
            # filter's choices; the count of the rows listed and of all rows; the page of rows
            # with their projects, neighbourhoods, communities (inspections: their inspectors
            # and counts of findings); release
            with django_assert_num_queries(10):
                assert client.get(admin_url(name)).status_code == 200

    add(1)
    for user in (inspector, community_user):
        lists(user)
    add(12)
    for user in (inspector, community_user):
        lists(user)


def test_community_staff_see_and_rectify_the_findings_of_their_neighbourhoods_only(
    en_client, registers, inspector, community_user, storage
):
    _, (own,) = inspect(
        project_of(registers.a), inspector, day(3, 5), (day(3, 9), "quality", "minor")
    )
    _, (other,) = inspect(
        project_of(registers.b), inspector, day(3, 5), (day(3, 9), "safety", "minor")
    )
    en_client.force_login(community_user)

    listed = en_client.get(admin_url("finding_changelist")).context["cl"].result_list
    assert list(listed) == [own]
    assert en_client.get(admin_url("finding_change", other.pk)).status_code == 302  # not found
    assert en_client.get(admin_url("finding_rectify", other.pk)).status_code == 302
    response = en_client.post(admin_url("finding_rectify", other.pk), {"rectification": "已整改"})
    other.refresh_from_db()
    assert other.rectified_at is None

    page = en_client.get(admin_url("finding_change", own.pk)).content.decode()
    assert "Record the rectification" in page
    assert 'name="_save"' not in page  # nothing to save on the finding itself
    response = en_client.post(
        admin_url("finding_rectify", own.pk),
        {"rectification": "已修补", "proof": upload(png_with_exif(), "after.png", "image/png")},
    )
    assert response.status_code == 302
    assert "The rectification is recorded." in shown_messages(response)
    own.refresh_from_db()
    assert (own.rectified_by, own.rectification) == (community_user, "已修补")
    assert own.proof.name.endswith(".jpg")
    # Community staff do not reopen: that is the inspectors'.
    assert en_client.get(admin_url("finding_reopen", own.pk)).status_code == 403


def test_the_rectification_page_refuses_a_disguised_proof(
    en_client, registers, inspector, community_user, storage
):
    _, (own,) = inspect(
        project_of(registers.a), inspector, day(3, 5), (day(3, 9), "quality", "minor")
    )
    en_client.force_login(community_user)
    response = en_client.post(
        admin_url("finding_rectify", own.pk),
        {"rectification": "已修补", "proof": upload(DISGUISED)},
    )
    assert response.status_code == 200
    assert "This file is not an image" in response.content.decode()
    own.refresh_from_db()
    assert own.rectified_at is None
    assert stored_files(storage) == []


def test_the_inspector_reopens_a_rectification_that_did_not_hold(
    en_client, registers, inspector, community_user
):
    _, (own,) = inspect(
        project_of(registers.a), inspector, day(3, 5), (day(3, 9), "quality", "minor")
    )
    inspections.rectify(own, by=community_user, rectification="已修补")
    en_client.force_login(inspector)
    assert (
        "Reopen the finding" in en_client.get(admin_url("finding_change", own.pk)).content.decode()
    )
    response = en_client.post(admin_url("finding_reopen", own.pk), {"deadline": "2025-04-30"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.rectified_at is None and own.deadline == day(4, 30)


def test_community_staff_read_the_report_of_their_neighbourhoods(
    en_client, registers, inspector, community_user
):
    a, b = project_of(registers.a, name="桃园改造"), project_of(registers.b, name="江南改造")
    inspect(a, inspector, day(3, 5), (day(3, 9), "quality", "minor"))
    inspect(b, inspector, day(3, 6), (day(3, 9), "safety", "major"), (day(3, 9), "site", "minor"))
    inspections.produce_report(MARCH)
    report = InspectionReport.objects.get()
    en_client.force_login(community_user)
    response = en_client.get(admin_url("inspectionreport_change", report.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert "桃园改造" in page and "江南改造" not in page
    assert response.context["page"]["findings_total"] == 1

    en_client.force_login(make_user(Role.AUDITOR, username="auditor"))
    response = en_client.get(admin_url("inspectionreport_change", report.pk))
    assert "桃园改造" in response.content.decode() and "江南改造" in response.content.decode()
    assert response.context["page"]["findings_total"] == 3


def test_the_report_is_read_only_and_produced_again_by_the_office(
    en_client, registers, inspector, office_user
):
    project = project_of(registers.a)
    inspect(project, inspector, day(3, 5), (day(3, 9), "quality", "minor"))
    inspections.produce_report(MARCH)
    inspect(project, inspector, day(3, 6), (day(3, 9), "quality", "minor"))
    report = InspectionReport.objects.get()
    en_client.force_login(inspector)
    assert en_client.get(admin_url("inspectionreport_changelist")).context["action_form"] is None
    en_client.force_login(office_user)
    response = en_client.post(
        admin_url("inspectionreport_changelist"),
        {"action": "produce_again", "_selected_action": [report.pk]},
    )
    assert response.status_code == 302
    assert InspectionReport.objects.get().content["findings"]["total"] == 2
    assert en_client.post(admin_url("inspectionreport_change", report.pk)).status_code == 405


def test_only_inspectors_and_the_office_add_inspections(client, registers, community_user):
    leader = make_user(Role.LEADER, username="leader")
    assert not leader.has_perm("cycle.add_inspection")
    client.force_login(leader)
    assert client.get(admin_url("inspection_add")).status_code == 302  # no admin at all
    client.force_login(community_user)
    assert client.get(admin_url("inspection_add")).status_code == 403
    for role in (Role.INSPECTOR, Role.OFFICE):
        assert make_user(role).has_perm("cycle.add_inspection")


def test_moving_an_inspection_after_a_findings_deadline_is_refused(en_client, registers, inspector):
    inspection, _ = inspect(
        project_of(registers.a), inspector, day(3, 5), (day(3, 9), "quality", "minor")
    )
    en_client.force_login(inspector)
    url = admin_url("inspection_change", inspection.pk)
    data = form_data(en_client.get(url).content.decode(), date="2025-03-10")
    response = en_client.post(url, data)
    assert response.status_code == 200
    assert "The deadline cannot be before the inspection" in response.content.decode()
    data = form_data(en_client.get(url).content.decode(), date="2025-03-08", summary="复查")
    assert en_client.post(url, data).status_code == 302
    inspection.refresh_from_db()
    assert (inspection.date, inspection.summary) == (day(3, 8), "复查")
    assert inspection.history.order_by("history_id").last().history_user == inspector
