"""Importing the household register from real .xlsx and .csv files through the admin: the
template, the check (a dry run), all-or-nothing, the second import that changes nothing, the
guardrails against oversized, phantom-sized and broken files, scoping, the change history;
and the log of exports."""

import datetime
import io
import json
import re
import zipfile

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from imports.models import ExportLog, ImportJob
from residents.models import Household
from residents.roles import Role

from .conftest import make_user

HEADERS = [
    "社区", "小区", "楼栋号", "单元", "楼层", "房号", "户主姓名", "联系电话", "身份证号",
    "人口", "60岁以上老人", "残疾人", "居住情况",
]  # fmt: skip


def xlsx(rows, *, headers=HEADERS, sheet="住户") -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append(headers)
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, *, encoding="utf-8-sig") -> bytes:
    lines = [",".join(HEADERS)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def household(room, *, name="王五", phone="13900000001", building="1", people=3, **extra):
    row = {
        "社区": "城关社区", "小区": "桃园小区", "楼栋号": building, "单元": 1, "楼层": 2,
        "房号": room, "户主姓名": name, "联系电话": phone, "身份证号": None, "人口": people,
        "60岁以上老人": 1, "残疾人": 0, "居住情况": "自住",
    }  # fmt: skip
    row.update(extra)
    return [row[h] for h in HEADERS]


def upload(client, content: bytes, name="住户.xlsx", kind="households"):
    response = client.post(
        reverse("admin:imports_importjob_upload", args=[kind]),
        {"file": _named(content, name)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("pk")


def _named(content, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def confirm(client, job):
    response = client.post(reverse("admin:imports_importjob_import", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


@pytest.fixture
def office(client, db):
    user = make_user(Role.OFFICE)
    client.force_login(user)
    client.user = user
    return client


def register_state():
    return sorted(
        Household.objects.values_list(
            "building_id", "unit", "room", "head_name", "phone", "people", "elderly", "occupancy"
        )
    )


# --- The template --------------------------------------------------------------------------


def test_the_template_has_the_chinese_headings_and_a_guide(office):
    response = office.get(reverse("admin:imports_importjob_template", args=["households"]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames[0] == "住户"
    assert [c.value for c in workbook["住户"][1]] == HEADERS
    assert workbook["住户"].max_row == 1  # no example row to be imported by mistake
    assert len(workbook.sheetnames) == 2


def test_the_household_list_offers_the_import_to_those_who_may(office, registers):
    html = office.get(reverse("admin:residents_household_changelist")).content.decode()
    assert reverse("admin:imports_importjob_upload", args=["households"]) in html


# --- A good file, twice ------------------------------------------------------------------------


def test_a_good_file_is_checked_then_imported_and_a_second_time_changes_nothing(office, registers):
    content = xlsx([household("201"), household("202", name="赵六", phone="0915-6321234")])
    before = register_state()

    job = upload(office, content)
    assert job.state == ImportJob.State.CHECKED
    assert job.counts == {"new": 2, "updated": 0, "unchanged": 0, "invalid": 0}
    assert register_state() == before  # the check wrote nothing
    page = office.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert (
        "Import: 2 new, 0 updated" in page or "导入：新增 2" in page or 'id="count-new">2' in page
    )

    job = confirm(office, job)
    assert job.state == ImportJob.State.DONE, job.message
    added = Household.objects.get(building=registers.a.building, room="202")
    assert (added.head_name, added.phone, added.people, added.elderly) == (
        "赵六",
        "0915-6321234",
        3,
        1,
    )
    entries = LogEntry.objects.filter(object_id=str(added.pk), action_flag=ADDITION)
    assert entries.count() == 1 and entries.get().user == office.user
    assert "赵六" not in entries.get().change_message  # no personal data in the history

    assert not job.file  # the uploaded file, with its personal data, is not kept
    assert job.report  # the report is
    after_first = register_state()
    again = upload(office, content)
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 2, "invalid": 0}
    assert not again.importable
    assert register_state() == after_first


def test_a_changed_row_updates_its_household_and_says_what_changed(office, registers):
    existing = registers.a.household  # 桃园小区 1-1-101
    content = xlsx([household("101", name=existing.head_name, phone="13912349999")])

    job = upload(office, content)
    assert job.counts["updated"] == 1
    assert job.preview["rows"]["updated"][0]["changed"]
    job = confirm(office, job)

    existing.refresh_from_db()
    assert existing.phone == "13912349999"
    change = LogEntry.objects.get(object_id=str(existing.pk), action_flag=CHANGE)
    message = change.get_change_message()
    assert "住户.xlsx" in message and "2" in message  # the file and the row, as shown
    assert "13912349999" not in message


def test_a_missing_column_or_an_empty_cell_keeps_what_is_registered(office, registers):
    existing = registers.a.household  # 3 people, floor 3, an ID number
    existing.people, existing.elderly, existing.floor = 5, 2, 4
    existing.save()
    only_phone = xlsx(
        [["桃园小区", "1", 1, "101", existing.head_name, "13912340000"]],
        headers=["小区", "楼栋号", "单元", "房号", "户主姓名", "联系电话"],
    )
    job = confirm(office, upload(office, only_phone))
    assert job.counts["updated"] == 1
    assert job.preview["rows"]["updated"][0]["changed"] == ["联系电话"]
    existing.refresh_from_db()
    assert (existing.phone, existing.people, existing.elderly, existing.floor) == (
        "13912340000",
        5,
        2,
        4,
    )
    assert existing.id_number == registers.a.household.id_number

    blanks = xlsx([household("101", name=existing.head_name, phone=None, people=None)])
    job = upload(office, blanks)
    assert "人口" not in job.preview["rows"].get("updated", [{}])[0].get("changed", [])


def test_the_stored_preview_is_masked_whoever_reads_it(office, registers, client):
    job = upload(office, xlsx([household("911", name="欧阳娜娜", phone="13912345678")]))
    assert "欧阳娜娜" not in json.dumps(job.preview, ensure_ascii=False)
    assert "13912345678" not in json.dumps(job.preview)


def test_what_a_spreadsheet_spoils_is_read_back_or_explained(office, registers):
    content = xlsx(
        [
            household(
                "921", building="1号楼", phone="+86 139 1234 5678", people=0, **{"60岁以上老人": 0}
            ),
            household("922", **{"身份证号": 610922199001011234}),  # kept as a number
        ]
    )
    job = upload(office, content)
    errors = {row["row"]: row["errors"] for row in job.preview["rows"]["invalid"]}
    assert list(errors) == [3], errors
    assert "文本" in errors[3][0][1] or "text" in errors[3][0][1]
    assert job.counts["new"] == 1  # "1号楼", "+86 …" and a vacant household (0 people)


def test_a_formula_looking_value_exported_and_imported_back_is_unchanged(office, registers):
    registers.a.household.room = "=303"
    registers.a.household.save()
    from residents.resources import HouseholdResource

    selected = {f"householdresource_{name}": "on" for name in HouseholdResource.Meta.export_order}
    exported = office.post(
        reverse("admin:residents_household_export"), {"format": "0", "resource": "0", **selected}
    ).content
    assert "'=303" in [c.value for c in load_workbook(io.BytesIO(exported)).active["E"]]
    job = upload(office, exported)
    assert job.counts["unchanged"] == 3 and job.counts["new"] == 0, job.preview


def test_files_are_not_kept_once_nothing_waits_for_them(office, registers):
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from imports.engine import forget_stale_files

    job = upload(office, xlsx([household("931")]))
    assert job.state == ImportJob.State.CHECKED and job.file
    ImportJob.objects.filter(pk=job.pk).update(
        uploaded_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert forget_stale_files() == 1
    job.refresh_from_db()
    assert not job.file and job.state == ImportJob.State.FAILED

    unchanged = upload(
        office,
        xlsx(
            [["桃园小区", "1", 1, "101", registers.a.household.head_name]],
            headers=["小区", "楼栋号", "单元", "房号", "户主姓名"],
        ),
    )
    assert not unchanged.importable and not unchanged.file  # nothing to import: not kept
    assert "nothing to import" in unchanged.message or "无需导入" in unchanged.message

    waiting = upload(office, xlsx([household("932")]))
    name = waiting.file.name
    assert default_storage.exists(name)
    waiting.delete()  # a deleted import takes its file with it
    assert not default_storage.exists(name)


def test_a_csv_file_in_gb18030_is_read_like_a_workbook(office, registers):
    job = upload(office, csv_bytes([household("301")], encoding="gb18030"), name="住户.csv")
    assert job.counts["new"] == 1, job.message


# --- Bad rows: nothing is imported ------------------------------------------------------------


def test_one_bad_row_imports_nothing_and_each_error_names_its_row_and_column(office, registers):
    content = xlsx(
        [
            household("401"),
            household("402", phone="12345"),  # a bad phone
            household("403", building="99"),  # an unknown building
            household("401", name="重复"),  # the same address as row 2
            household("404", people=1, **{"60岁以上老人": 3}),  # more elderly than people
            household("405", **{"小区": "不存在小区"}),
        ]
    )
    before = register_state()

    job = upload(office, content)

    assert job.state == ImportJob.State.INVALID
    assert job.counts == {"new": 1, "updated": 0, "unchanged": 0, "invalid": 5}
    errors = {row["row"]: row["errors"] for row in job.preview["rows"]["invalid"]}
    assert errors[3][0][0] == "联系电话"
    assert errors[4][0][0] == "楼栋号" and "99" in errors[4][0][1]
    assert errors[5][0][0] == "房号" and "2" in errors[5][0][1]
    assert errors[6][0][0] == "60岁以上老人"
    assert errors[7][0][0] == "小区"
    assert not job.importable
    assert confirm(office, job).state == ImportJob.State.INVALID  # a forced POST does nothing
    assert register_state() == before
    report = load_workbook(io.BytesIO(job.report.read()))
    rows = list(report.active.iter_rows(values_only=True))
    # The file, the counts, a blank line, the headings, then the five invalid rows.
    assert len(rows) == 4 + 5 and "联系电话" in rows[4][-1]
    assert all("13900000001" not in str(cell) for row in rows for cell in row)  # no phones


def test_missing_columns_refuse_the_file_and_name_them(office, registers):
    job = upload(office, xlsx([["桃园小区", "1"]], headers=["小区", "楼栋号"]))
    assert job.state == ImportJob.State.REJECTED
    assert "房号" in job.message and "户主姓名" in job.message


# --- Guardrails --------------------------------------------------------------------------------


def test_a_file_over_the_size_cap_is_refused(office, registers, settings):
    settings.ANJU_IMPORT_MAX_BYTES = 2000
    job = upload(office, xlsx([household(str(n)) for n in range(200)]))
    assert job.state == ImportJob.State.REJECTED and "MB" in job.message


def test_a_file_over_the_row_cap_is_refused(office, registers, settings):
    settings.ANJU_IMPORT_MAX_ROWS = 3
    job = upload(office, xlsx([household(str(n)) for n in range(1, 6)]))
    assert job.state == ImportJob.State.REJECTED and "3" in job.message


def phantom(content: bytes, rows=1048576) -> bytes:
    """The workbook with its sheet claiming ``rows`` rows (as some programs write it)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                if "<dimension" in text:
                    text = re.sub(
                        r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:M{rows}"/>', text
                    )
                else:
                    text = text.replace(
                        "<sheetViews>", f'<dimension ref="A1:M{rows}"/><sheetViews>', 1
                    )
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def test_a_phantom_sized_sheet_is_refused_unread(office, registers):
    job = upload(office, phantom(xlsx([household("501")])))
    assert job.state == ImportJob.State.REJECTED
    assert "1,048,576" in job.message
    assert job.rows_read == 0  # refused from its declared size, no row read


def without_dimension(content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            target.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("row, column", [(1048576, 13), (5, 16000)])
def test_a_stray_cell_far_away_is_refused_before_the_sheet_is_loaded(
    office, registers, row, column
):
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = "住户"
    worksheet.append(HEADERS)
    worksheet.append(household("502"))
    worksheet.cell(row=row, column=column, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    content = without_dimension(buffer.getvalue())  # its size found by scanning, not declared
    assert b"<dimension" not in zipfile.ZipFile(io.BytesIO(content)).read(
        "xl/worksheets/sheet1.xml"
    )
    job = upload(office, content)
    assert job.state == ImportJob.State.REJECTED and job.rows_read == 0


def test_a_decompression_bomb_is_refused_before_it_is_inflated(office, registers, settings):
    settings.ANJU_IMPORT_MAX_BYTES = 100_000  # so the unpacked limit is 2 MB
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 2**20))
    assert len(out.getvalue()) < 100_000
    job = upload(office, out.getvalue())
    assert job.state == ImportJob.State.REJECTED and "MB" in job.message


def with_entities(content: bytes) -> bytes:
    """The workbook with a "billion laughs" in its workbook part: nested entity declarations
    that a plain XML parser would expand to gigabytes."""
    laughs = b'<!ENTITY l0 "ha">' + b"".join(
        b'<!ENTITY l%d "%s">' % (n, b"&l%d;" % (n - 1) * 10) for n in range(1, 10)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b"?>", b"?><!DOCTYPE workbook [" + laughs + b"]>", 1)
                data = data.replace(b'name="', b'name="&l9;', 1)
            target.writestr(item, data)
    return out.getvalue()


def test_a_workbook_declaring_xml_entities_is_refused_unexpanded(office, registers):
    before = register_state()
    job = upload(office, with_entities(xlsx([household("301")])))
    assert job.state == ImportJob.State.REJECTED
    assert job.message == "该文件不是可读取的 .xlsx 工作簿。"
    assert register_state() == before


@pytest.mark.parametrize(
    "content, name",
    [
        (b"this is not a workbook", "住户.xlsx"),
        (b"PK\x03\x04 broken zip", "住户.xlsx"),
        ("小区,房号\n".encode("utf-16"), "住户.csv"),
        (b"", "住户.csv"),
    ],
)
def test_broken_files_are_refused_with_a_clear_message(office, registers, content, name):
    job = upload(office, content, name=name) if content else None
    if job is None:
        response = office.post(
            reverse("admin:imports_importjob_upload", args=["households"]),
            {"file": _named(content, name)},
        )
        assert response.status_code == 200  # the form says the file is empty
        return
    assert job.state == ImportJob.State.REJECTED
    assert job.message


def test_other_kinds_of_file_are_refused_by_the_form(office, registers):
    response = office.post(
        reverse("admin:imports_importjob_upload", args=["households"]),
        {"file": _named(b"MZ...", "住户.exe")},
    )
    assert response.status_code == 200 and not ImportJob.objects.exists()
    assert ".xlsx" in response.content.decode()


def test_formula_cells_are_written_harmless_in_the_result_report(office, registers):
    job = upload(office, xlsx([household("601", building='=HYPERLINK("http://x")')]))
    report = load_workbook(io.BytesIO(job.report.read()))
    cells = [c for row in report.active.iter_rows(values_only=True) for c in row if c]
    assert not any(str(c).startswith("=") for c in cells)


# --- Large files: Celery, with progress --------------------------------------------------


def test_a_large_file_is_checked_and_imported_by_the_task(
    office, registers, settings, django_capture_on_commit_callbacks
):
    settings.ANJU_IMPORT_INLINE_BYTES = 0  # every file goes to Celery (in-process in tests)
    with django_capture_on_commit_callbacks(execute=True):  # sent once the job is saved
        job = upload(office, xlsx([household(str(700 + n)) for n in range(30)]))
    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED and job.rows_read == 30
    with django_capture_on_commit_callbacks(execute=True):
        confirm(office, job)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert Household.objects.filter(room__startswith="7").count() == 30


# --- Who may import what ----------------------------------------------------------------------


def test_community_staff_import_only_into_their_own_neighbourhoods(client, registers):
    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)
    content = xlsx([household("801"), household("802", **{"社区": "江南社区", "小区": "江南小区"})])
    job = upload(client, content)
    assert job.counts["invalid"] == 1 and job.counts["new"] == 1
    assert job.preview["rows"]["invalid"][0]["errors"][0][0] == "小区"
    # Their own uploads only; the office sees every one.
    other = make_user(Role.COMMUNITY, communities=[registers.b.community])
    client.force_login(other)
    assert client.get(reverse("admin:imports_importjob_change", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.LEADER, Role.INSPECTOR, Role.VISITOR, Role.AUDITOR])
def test_roles_without_the_register_cannot_import(client, registers, role):
    client.force_login(make_user(role))
    response = client.get(reverse("admin:imports_importjob_upload", args=["households"]))
    assert response.status_code in (302, 403)


def test_the_preview_masks_personal_data_for_those_who_may_not_see_it(client, registers):
    from django.contrib.auth.models import Permission

    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    staff.groups.first().permissions.remove(Permission.objects.get(codename="view_personal_data"))
    client.force_login(staff)
    job = upload(client, xlsx([household("901", name="欧阳娜娜", phone="13912345678")]))
    page = client.get(reverse("admin:imports_importjob_change", args=[job.pk])).content.decode()
    assert "欧阳娜娜" not in page and "13912345678" not in page


# --- Exports are logged -----------------------------------------------------------------------


def test_every_export_is_logged_and_the_auditor_reads_the_log(office, registers, client):
    response = office.post(
        reverse("admin:residents_household_export"),
        {
            "format": "0",
            "resource": "0",
            **{f"householdresource_{f}": "on" for f in ("neighbourhood", "room", "phone")},
        },
    )
    assert response.status_code == 200, response.content.decode()[:500]
    log = ExportLog.objects.get()
    assert log.user == office.user and log.rows == 3 and log.model == "residents.household"
    assert log.file_format == "xlsx" and log.personal_data

    auditor = make_user(Role.AUDITOR)
    client.force_login(auditor)
    page = client.get(reverse("admin:imports_exportlog_changelist"))
    assert page.status_code == 200 and office.user.username in page.content.decode()
    assert client.get(reverse("admin:imports_exportlog_add")).status_code == 403


# --- Buildings -----------------------------------------------------------------------------------

BUILDING_HEADERS = ["社区", "小区", "楼栋号", "层数", "单元数", "电梯"]


def test_buildings_are_imported_and_cannot_shrink_below_their_households(office, registers):
    html = office.get(reverse("admin:residents_building_changelist")).content.decode()
    assert reverse("admin:imports_importjob_upload", args=["buildings"]) in html
    content = xlsx(
        [
            ["城关社区", "桃园小区", "2", 7, 3, "是"],  # new
            ["城关社区", "桃园小区", "1", 6, 1, "否"],  # household 101 is in unit 1: fine
            ["城关社区", "桃园小区", "2", 5, 2, "否"],  # the same building twice
            ["城关社区", "桃园小区", "3", 5, 2, "也许"],  # not yes or no
        ],
        headers=BUILDING_HEADERS,
        sheet="楼栋",
    )
    job = upload(office, content, name="楼栋.xlsx", kind="buildings")
    errors = {row["row"]: row["errors"] for row in job.preview["rows"]["invalid"]}
    assert set(errors) == {4, 5}
    assert errors[5][0][0] == "电梯"

    registers.a.building.refresh_from_db()
    good = xlsx([["城关社区", "桃园小区", "2", 7, 3, "是"]], headers=BUILDING_HEADERS, sheet="楼栋")
    job = confirm(office, upload(office, good, name="楼栋.xlsx", kind="buildings"))
    assert job.state == ImportJob.State.DONE
    added = registers.a.neighbourhood.buildings.get(number="2")
    assert (added.floors, added.units, added.has_elevator) == (7, 3, True)

    registers.a.household.floor = 5
    registers.a.household.save()
    shrink = xlsx(
        [["城关社区", "桃园小区", "1", 4, 2, "否"]], headers=BUILDING_HEADERS, sheet="楼栋"
    )
    job = upload(office, shrink, name="楼栋.xlsx", kind="buildings")
    assert job.preview["rows"]["invalid"][0]["errors"][0][0] == "层数"


# --- Neighbourhoods -------------------------------------------------------------------------------

NEIGHBOURHOOD_HEADERS = [
    "社区", "小区名称", "地址", "建成年份", "房屋性质", "楼栋数", "户数", "人口",
    "建筑面积（平方米）",
]  # fmt: skip


def test_neighbourhoods_are_imported_into_the_communities_one_may_write_to(client, registers):
    from residents.models import Neighbourhood

    staff = make_user(Role.COMMUNITY, communities=[registers.a.community])
    client.force_login(staff)
    content = xlsx(
        [
            ["城关社区", "新建小区", "西街1号", 1998, "房改房", 4, 96, 280, "5200.5"],
            ["城关社区", "桃园小区", "东街2号", 1990, "商品房", 1, 1, 3, 800],  # an update
            ["江南社区", "别人的小区", "", 2000, "其他", 1, 1, 1, 1],  # not theirs
            ["城关社区", "年份不对小区", "", "九五年", "其他", 1, 1, 1, 1],
        ],
        headers=NEIGHBOURHOOD_HEADERS,
        sheet="小区",
    )
    job = upload(client, content, name="小区.xlsx", kind="neighbourhoods")
    errors = {row["row"]: row["errors"][0][0] for row in job.preview["rows"]["invalid"]}
    assert errors == {4: "社区", 5: "建成年份"}
    assert job.counts["new"] == 1 and job.counts["updated"] == 1

    fixed = xlsx(
        [
            ["城关社区", "新建小区", "西街1号", 1998, "房改房", 4, 96, 280, "5200.5"],
            ["城关社区", "桃园小区", "东街2号", 1990, "商品房", 1, 1, 3, 800],
        ],
        headers=NEIGHBOURHOOD_HEADERS,
        sheet="小区",
    )
    job = confirm(client, upload(client, fixed, name="小区.xlsx", kind="neighbourhoods"))
    assert job.state == ImportJob.State.DONE, job.message
    made = Neighbourhood.objects.get(name="新建小区")
    assert (made.community, made.household_count, str(made.floor_area)) == (
        registers.a.community,
        96,
        "5200.50",
    )
    registers.a.neighbourhood.refresh_from_db()
    assert registers.a.neighbourhood.housing_type == Neighbourhood.HousingType.COMMERCIAL


# --- Visit records --------------------------------------------------------------------------------

VISIT_HEADERS = [
    "社区", "小区", "楼栋号", "单元", "房号", "走访日期", "走访结果", "改造需求", "其他需求和意见",
    "是否支持改造", "备注",
]  # fmt: skip


def test_visit_records_are_imported_with_their_needs_and_history(client, registers):
    from surveys.models import Visit

    from .factories import CatalogueKindFactory, VisitTeamFactory

    CatalogueKindFactory(code="eco_parking", name_zh="生态停车位")
    CatalogueKindFactory(code="charging_pile", name_zh="新能源汽车充电桩")
    member = make_user(Role.VISITOR)
    team = VisitTeamFactory(neighbourhoods=[registers.a.neighbourhood], members=[member])
    client.force_login(member)
    where = ["城关社区", "桃园小区", "1", 1]
    first = [
        *where,
        "101",
        "2026-05-01",
        "Reached",
        "生态停车位、新能源汽车充电桩",
        "充电",
        "是",
        "",
    ]
    content = xlsx(
        [
            first,
            [*where, "999", "2026/5/2", "Reached", "", "", "", ""],
            [*where, "101", "2099-01-01", "Reached", "", "", "", ""],
            [*where, "101", "2026年5月3日", "Reached", "游泳池", "", "", ""],
        ],
        headers=VISIT_HEADERS,
        sheet="走访记录",
    )
    job = upload(client, content, name="走访.xlsx", kind="visits")
    errors = {row["row"]: row["errors"][0][0] for row in job.preview["rows"]["invalid"]}
    assert errors == {3: "房号", 4: "走访日期", 5: "改造需求"}

    good = xlsx([first], headers=VISIT_HEADERS, sheet="走访记录")
    job = confirm(client, upload(client, good, name="走访.xlsx", kind="visits"))
    assert job.state == ImportJob.State.DONE, job.message
    visit = Visit.objects.get(household=registers.a.household)
    assert (visit.outcome, visit.team, visit.visitor, visit.supports_renovation) == (
        Visit.Outcome.REACHED,
        team,
        member,
        True,
    )
    assert set(visit.needs.values_list("code", flat=True)) == {"eco_parking", "charging_pile"}
    assert visit.history.get().history_user == member

    again = upload(client, good, name="走访.xlsx", kind="visits")
    assert again.counts["unchanged"] == 1


# --- Task items -----------------------------------------------------------------------------------

TASK_HEADERS = ["项目名称", "改造内容", "说明", "计划数量", "已完成数量", "预算（元）", "负责人"]


def test_task_items_are_imported_by_project_kind_and_description(office, registers):
    from projects.models import TaskItem

    from .factories import CatalogueKindFactory, ProjectFactory

    project = ProjectFactory(neighbourhood=registers.a.neighbourhood, name="桃园小区改造")
    CatalogueKindFactory(code="eco_parking", name_zh="生态停车位")
    content = xlsx(
        [
            ["桃园小区改造", "生态停车位", "东侧", 20, 5, 160000, "李工"],
            ["桃园小区改造", "eco_parking", "东侧", 20, 5, 160000, ""],  # the same item
            ["没有的项目", "生态停车位", "", 1, 0, 0, ""],
            ["桃园小区改造", "游泳池", "", 1, 0, 0, ""],
            ["桃园小区改造", "生态停车位", "西侧", -3, 0, 0, ""],
        ],
        headers=TASK_HEADERS,
        sheet="改造内容",
    )
    job = upload(office, content, name="改造内容.xlsx", kind="task_items")
    errors = {row["row"]: row["errors"][0][0] for row in job.preview["rows"]["invalid"]}
    assert errors == {3: "说明", 4: "项目名称", 5: "改造内容", 6: "计划数量"}

    good = xlsx(
        [["桃园小区改造", "生态停车位", "东侧", 20, 5, 160000, "李工"]],
        headers=TASK_HEADERS,
        sheet="改造内容",
    )
    job = confirm(office, upload(office, good, name="改造内容.xlsx", kind="task_items"))
    assert job.state == ImportJob.State.DONE, job.message
    item = TaskItem.objects.get(project=project)
    assert (item.planned_quantity, item.completed_quantity, item.status) == (20, 5, "in_progress")

    done = xlsx(
        [["桃园小区改造", "生态停车位", "东侧", 20, 20, 160000, "李工"]],
        headers=TASK_HEADERS,
        sheet="改造内容",
    )
    job = confirm(office, upload(office, done, name="改造内容.xlsx", kind="task_items"))
    item.refresh_from_db()
    assert (item.completed_quantity, item.status) == (20, "done")
    latest = item.history.first()
    assert latest.project_id == project.pk and latest.history_user == office.user


@pytest.mark.parametrize(
    "model, resource, headings",
    [
        ("residents_building", "BuildingResource", ["小区", "楼号", "层数"]),
        ("surveys_visit", "VisitResource", ["走访日期", "户主", "走访结果"]),
        ("projects_taskitem", "TaskItemResource", ["改造项目", "任务类型", "计划工程量"]),
    ],
)
def test_the_other_lists_export_with_chinese_headings_and_are_logged(
    client, registers, model, resource, headings
):
    from imports.models import ExportLog
    from projects.resources import TaskItemResource
    from residents.resources import BuildingResource
    from surveys.resources import VisitResource

    from .factories import ProjectFactory, TaskItemFactory, VisitFactory

    VisitFactory(household=registers.a.household)
    TaskItemFactory(project=ProjectFactory(neighbourhood=registers.a.neighbourhood))
    staff = make_user(Role.OFFICE)
    client.force_login(staff)
    resource_class = {
        "BuildingResource": BuildingResource,
        "VisitResource": VisitResource,
        "TaskItemResource": TaskItemResource,
    }[resource]
    selected = {f"{resource.lower()}_{name}": "on" for name in resource_class.Meta.export_order}
    response = client.post(
        reverse(f"admin:{model}_export"), {"format": "0", "resource": "0", **selected}
    )
    assert response.status_code == 200, response.content.decode()[:500]
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    for heading in headings:
        assert any(heading in str(cell) for cell in header), (heading, header)
    assert ExportLog.objects.get(user=staff).rows == sheet.max_row - 1 >= 1


def test_an_exported_household_list_imports_back_unchanged(office, registers):
    from residents.resources import HouseholdResource

    selected = {f"householdresource_{name}": "on" for name in HouseholdResource.Meta.export_order}
    exported = office.post(
        reverse("admin:residents_household_export"), {"format": "0", "resource": "0", **selected}
    ).content
    job = upload(office, exported)
    assert job.state == ImportJob.State.CHECKED, job.message
    assert job.counts == {"new": 0, "updated": 0, "unchanged": 3, "invalid": 0}


# --- Regions --------------------------------------------------------------------------------------


def test_towns_and_communities_are_imported_under_their_parents(office, county):
    from residents.models import Region

    content = xlsx(
        [
            ["石泉县", "城关镇", "town", "610922100"],
            ["城关镇", "东关社区", "community", ""],  # its town is on the row above
            ["不存在镇", "西关社区", "community", ""],
            ["石泉县", "石泉县", "county", ""],
            ["石泉县", "池河镇", "town", "610922100"],  # a code already on row 2
        ],
        headers=["上级", "名称", "级别", "区划代码"],
        sheet="行政区划",
    )
    job = upload(office, content, name="区划.xlsx", kind="regions")
    errors = {row["row"]: row["errors"][0][0] for row in job.preview["rows"]["invalid"]}
    assert set(errors) == {4, 5, 6}

    good = xlsx(
        [["石泉县", "城关镇", "town", "610922100"], ["城关镇", "东关社区", "community", ""]],
        headers=["上级", "名称", "级别", "区划代码"],
        sheet="行政区划",
    )
    job = confirm(office, upload(office, good, name="区划.xlsx", kind="regions"))
    assert job.state == ImportJob.State.DONE, job.message
    community = Region.objects.get(name="东关社区")
    assert (community.level, community.parent.name, community.parent.parent) == (
        "community",
        "城关镇",
        county,
    )
    assert upload(office, good, name="区划.xlsx", kind="regions").counts["unchanged"] == 2


def test_an_export_without_fields_says_so_in_chinese_naming_the_list(office, registers):
    response = office.post(
        reverse("admin:residents_household_export"), {"format": "0", "resource": "0"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and not ExportLog.objects.exists()
    assert "请至少选择一个要导出的“住户”字段" in page and "HouseholdResource" not in page
