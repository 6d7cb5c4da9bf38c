"""A catalogue of bad inputs: each is refused with a clear message (in Chinese, the default
language) and changes no row, or, where sending it twice is harmless, is taken once.

The catalogue, and where each kind of bad input is tested:

- **Oversized and malformed files**: imports here (an .xlsx that is a PNG, a text that is
  neither UTF-8 nor GB18030); the size and row caps, phantom-sized sheets, a bare zip bomb,
  broken zips, UTF-16 and empty files, other extensions in ``test_imports.py``; oversized,
  truncated, text and GIF/BMP photos in ``test_photos.py``.
- **Decompression bombs**: a real workbook whose sheet inflates to 60 MB (here); a PNG of
  400 megapixels sent with a household's opinion (here; the check itself in
  ``test_photos.py``).
- **Files disguised as other types**: a .jpg that is a PDF or a zip, an .xlsx that is a PNG.
- **Broken encodings**: invalid UTF-8 in a form's body, in a link's path and in a query
  string; a CSV in neither UTF-8 nor GB18030 (a GB18030 CSV is read:
  ``test_imports.py::test_a_csv_file_in_gb18030_is_read_like_a_workbook``).
- **Huge text**: in an admin text field (here); in a household's opinion or survey comment
  (``test_resident_pages.py::test_too_long_opinion_is_refused_and_kept``,
  ``test_acceptance_resident.py::test_too_long_comment_is_refused_and_kept``).
- **Unknown foreign keys**: missing, non-numeric and out-of-range ids in an admin form, an
  unknown neighbourhood in an import.
- **Duplicate submissions**: an opinion or an objection sent twice is recorded once; a
  survey answered twice counts once
  (``test_acceptance_resident.py::test_answering_twice_counts_once_and_the_last_answer_counts``).
- **Stale forms**: a household added meanwhile at the address an inline row adds, two rows
  taking each other's addresses in one save, a record deleted while its page was open (here);
  an objection to a replaced plan (``test_resident_pages.py``), an answer to a closed survey
  or evaluation
  (``test_acceptance_resident.py``, ``test_governance_evaluation.py``).
- **Expired or revoked household links**: a link replaced by a new card, on every form
  (here); a revoked link (``test_resident_pages.py::test_a_revoked_token_cannot_post``).
- **Dates out of range**: years 0001, 1999, 9999 and 10000, 2026-02-30 in an admin form
  (every date of an admin form lies between 2000 and 2099).
"""

import io
import zipfile
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from acceptance.models import SatisfactionAnswer
from imports.models import ImportJob
from residents.models import Household
from surveys import links
from surveys.models import Objection, ResidentRequest, Visit

from .factories import HouseholdFactory
from .formdata import form_data
from .test_imports import HEADERS, household, upload, xlsx
from .test_photos import png_header
from .test_resident_pages import fresh_rate_limits, post_plan  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(client, office_user):
    client.force_login(office_user)
    return client


@pytest.fixture
def home(registers):
    """Household A with a link, and its plan posted and open for objections."""
    token = links.issue_link(registers.a.household)
    notice = post_plan(registers.a.neighbourhood)
    return SimpleNamespace(household=registers.a.household, token=token, notice=notice)


def page_text(response) -> str:
    return response.content.decode()


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Files disguised, bombs, broken encodings in imports -----------------------------------


def png() -> bytes:
    from .test_photos import picture

    return picture(fmt="PNG")


def test_an_xlsx_that_is_a_png_is_refused(office, registers):
    before = list(Household.objects.values())
    job = upload(office, png(), name="住户.xlsx")
    assert job.state == ImportJob.State.REJECTED
    assert "该文件不是可读取的 .xlsx 工作簿" in job.message
    assert list(Household.objects.values()) == before


def test_a_workbook_whose_sheet_inflates_hugely_is_refused(office, registers, settings):
    settings.ANJU_IMPORT_MAX_BYTES = 200_000
    source = zipfile.ZipFile(io.BytesIO(xlsx([household("301")])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                # 60 MB of spaces inside the sheet's XML, a few dozen KB once packed.
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (60 * 2**20), 1)
            bomb.writestr(item.filename, data)
    assert len(out.getvalue()) < 200_000
    job = upload(office, out.getvalue())
    assert job.state == ImportJob.State.REJECTED and "MB" in job.message
    assert not Household.objects.filter(room="301").exists()


def test_a_csv_in_neither_utf8_nor_gb18030_is_refused(office, registers):
    content = ",".join(HEADERS).encode("gb18030") + b"\r\n\x80\xff\x80,1\r\n"
    job = upload(office, content, name="住户.csv")
    assert job.state == ImportJob.State.REJECTED
    assert "文件编码既不是 UTF-8 也不是 GB18030" in job.message


# --- Photos disguised, and a bomb, sent by a household ---------------------------------------


def pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def zip_file() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", b"not a photo")
    return out.getvalue()


@pytest.mark.parametrize(
    "content, message",
    [
        pytest.param(pdf(), "该文件不是图片", id="pdf-named-jpg"),
        pytest.param(zip_file(), "该文件不是图片", id="zip-named-jpg"),
        pytest.param(png_header(20_000, 20_000), "图片像素过高", id="png-bomb"),
    ],
)
def test_a_household_photo_that_is_not_a_safe_image_is_refused(client, home, content, message):
    response = client.post(
        f"/h/{home.token}/opinion/",
        {
            "category": "opinion",
            "text": "楼道灯坏了",
            "photo": SimpleUploadedFile("a.jpg", content),
        },
    )
    assert response.status_code == 200 and message in page_text(response)
    assert "楼道灯坏了" in page_text(response)  # what was typed is kept
    assert not ResidentRequest.objects.exists()


# --- Broken encodings in forms, links and query strings --------------------------------------


def test_invalid_utf8_in_a_household_form_is_read_with_replacement_characters(client, home):
    response = client.post(
        f"/h/{home.token}/opinion/",
        b"category=opinion&text=%E6%A5%BC%FF%FE",  # 楼, then two bytes that are not UTF-8
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert ResidentRequest.objects.get().text == "楼\ufffd\ufffd"


def test_invalid_utf8_in_a_household_link_gets_the_friendly_404(client, db):
    response = client.get("/h/%FF%FE%00/")
    assert response.status_code == 404 and "链接" in page_text(response)


@pytest.mark.parametrize(
    "query, finds", [("%FF%FE", False), ("%E6%A1%83%FF", False), ("%00", True)]
)
def test_invalid_utf8_or_nul_in_an_admin_search_is_a_search_like_another(
    office, registers, query, finds
):
    """Bytes that are not UTF-8 are searched for as replacement characters (finding
    nothing); a NUL alone searches for nothing (the whole list)."""
    url = reverse("admin:residents_household_changelist")
    response = office.get(f"{url}?q={query}")
    assert response.status_code == 200 and ("张甲户" in page_text(response)) == finds


# --- Huge text ------------------------------------------------------------------------------


def test_huge_text_in_an_admin_field_is_refused_with_its_limit(office, registers):
    item = registers.a.household
    url = reverse("admin:residents_household_change", args=[item.pk])
    before = list(Household.objects.values())
    response = office.post(url, form_data(page_text(office.get(url)), head_name="字" * 100_000))
    assert response.status_code == 200
    assert "确保该变量包含不超过 50 字符 (目前字符数 100000)" in page_text(response)
    assert list(Household.objects.values()) == before


# --- Unknown foreign keys -------------------------------------------------------------------


@pytest.mark.parametrize("building", ["999999", "abc", " ", "-1", "99999999999999999999999"])
def test_an_unknown_building_in_the_household_form_is_refused(office, registers, building):
    url = reverse("admin:residents_household_add")
    data = form_data(page_text(office.get(url)), building=building, room="909", head_name="某")
    response = office.post(url, data)
    assert response.status_code == 200 and "选择一个有效的选项" in page_text(response)
    assert not Household.objects.filter(room="909").exists()


def test_an_unknown_neighbourhood_in_an_import_names_the_row(office, registers):
    row = household("701")
    row[HEADERS.index("小区")] = "不存在小区"
    job = upload(office, xlsx([row]))
    assert job.state == ImportJob.State.INVALID
    assert "没有您可导入的小区“不存在小区”" in str(job.preview["rows"]["invalid"])
    assert not Household.objects.filter(room="701").exists()


# --- Duplicate submissions ------------------------------------------------------------------


def test_an_opinion_sent_twice_is_recorded_once(client, home):
    data = {"category": "complaint", "text": "电梯噪音太大"}
    for _ in range(2):
        response = client.post(f"/h/{home.token}/opinion/", data)
        assert response.status_code == 302
        assert said(response)[-1] == "谢谢您！您的意见已收到，答复会显示在下方。"
    assert ResidentRequest.objects.filter(household=home.household).count() == 1


def test_an_objection_sent_twice_is_recorded_once(client, home):
    data = {"notice": home.notice.pk, "text": "停车位离窗户太近"}
    for _ in range(2):
        response = client.post(f"/h/{home.token}/objection/", data)
        assert response.status_code == 302
        assert said(response)[-1] == "谢谢您！您的异议已收到，答复会显示在下方。"
    assert Objection.objects.filter(household=home.household).count() == 1


# --- Stale forms ----------------------------------------------------------------------------


def test_an_inline_row_at_an_address_registered_meanwhile_is_refused(office, registers):
    building = registers.a.building
    url = reverse("admin:residents_building_change", args=[building.pk])
    page = form_data(page_text(office.get(url)))
    HouseholdFactory(building=building, unit=1, room="102")  # registered in another tab
    new_row = {"unit": "1", "floor": "1", "room": "102", "head_name": "某", "people": "1"}
    data = {
        **page,
        "households-TOTAL_FORMS": "2",
        **{f"households-1-{name}": value for name, value in new_row.items()},
        "households-1-elderly": "0",
        "households-1-occupancy": "owner",
    }
    before = list(Household.objects.values())
    response = office.post(url, data)
    assert response.status_code == 200
    assert "该地址（楼栋、单元、房号）已登记住户。" in page_text(response)
    assert list(Household.objects.values()) == before


def test_a_record_deleted_while_its_page_was_open_is_not_saved(office, registers):
    item = HouseholdFactory(building=registers.a.building, room="808")
    url = reverse("admin:residents_household_change", args=[item.pk])
    data = form_data(page_text(office.get(url)), head_name="改名")
    item.delete()
    response = office.post(url, data)
    assert response.status_code == 302
    assert any("不存在" in message for message in said(response))
    assert not Household.objects.filter(room="808").exists()


# --- Replaced household links ---------------------------------------------------------------


@pytest.mark.parametrize("page", ["opinion/", "objection/", "satisfaction/", "property/"])
def test_a_replaced_link_cannot_post_on_any_form(client, home, page):
    old = home.token
    links.issue_link(home.household)  # a new card was printed
    data = {"category": "opinion", "text": "旧链接", "notice": home.notice.pk}
    response = client.post(f"/h/{old}/{page}", data)
    assert response.status_code == 404 and "链接" in page_text(response)
    assert not ResidentRequest.objects.exists() and not Objection.objects.exists()
    assert not SatisfactionAnswer.objects.exists()


# --- Dates out of range ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, message",
    [
        ("2026-02-30", "输入一个有效的日期"),
        ("10000-01-01", "输入一个有效的日期"),
        ("2099-12-31", "走访日期不能晚于今天"),
        ("9999-12-31", "请输入 2000-01-01 至 2099-12-31 之间的日期"),
        ("0001-01-01", "请输入 2000-01-01 至 2099-12-31 之间的日期"),
        ("1999-12-31", "请输入 2000-01-01 至 2099-12-31 之间的日期"),
    ],
)
def test_a_visit_dated_out_of_range_is_refused(office, registers, day, message):
    url = reverse("admin:surveys_visit_add")
    data = form_data(
        page_text(office.get(url)),
        household=registers.a.household.pk,
        visited_on=day,
        outcome="reached",
    )
    response = office.post(url, data)
    assert response.status_code == 200 and message in page_text(response)
    assert not Visit.objects.exists()


@pytest.mark.parametrize("swap", [True, False], ids=["swapped", "moved-into-a-vacated-room"])
def test_inline_rows_taking_each_others_addresses_are_refused_not_failed(office, registers, swap):
    """Two households recorded in each other's rooms, corrected in one save (or one moved
    into the room another leaves): saved row by row, the first would meet the second's stored
    address. Refused with what to do, nothing changed."""
    building = registers.a.building
    HouseholdFactory(building=building, unit=1, room="102", head_name="某乙")
    url = reverse("admin:residents_building_change", args=[building.pk])
    data = form_data(page_text(office.get(url)))
    rooms = {key: value for key, value in data.items() if key.endswith("-room") and value}
    assert sorted(rooms.values()) == ["101", "102"]  # and an empty row for a new household
    first, second = sorted(rooms, key=rooms.get)
    data[first] = "102"
    data[second] = "101" if swap else "103"
    before = list(Household.objects.values())
    response = office.post(url, data)
    assert response.status_code == 200
    assert "请先保存那一行" in page_text(response)
    assert list(Household.objects.values()) == before
