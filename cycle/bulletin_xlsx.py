"""The monthly bulletin as a workbook (openpyxl): one sheet per section — the summary, the
projects' progress, the ranking, the inspection findings and the overdue rectifications —
with Chinese headers, every figure a number (money in yuan, exact), and no text that a
spreadsheet would take for a formula: a cell that begins with ``=``, ``+``, ``-``, ``@`` (or a
tab or a carriage return) is written with a leading apostrophe, so a project named
"=cmd|…" stays text.

``bulletin_workbook(content)`` returns the file's bytes from the content that
``cycle.bulletin.bulletin_content`` made.
"""

import datetime
import io

from django.conf import settings
from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from residents.resources import spreadsheet_safe

from .bulletin import (
    category_label,
    decimal,
    percent,
    severity_label,
    source_label,
    status_label,
    unit_label,
)

MONEY_FORMAT = "#,##0.00"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
TITLE_FONT = Font(bold=True, size=14)


def number(value):
    """A stored decimal ("312.00") as a number for the sheet, None when there is none."""
    return decimal(value)


def _day(value):
    """An ISO date ("2026-11-20") as a date for the sheet; anything else as it is."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return value


def _yes_no(value) -> str | None:
    if value is None:
        return None
    return "是" if value else "否"


def _write(sheet, row: int, values, *, bold=False, formats=None) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=spreadsheet_safe(value))
        if bold:
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        elif formats and column in formats:
            cell.number_format = formats[column]


def _table(sheet, start: int, header, rows, *, formats=None) -> int:
    """``header`` then ``rows`` from row ``start``; returns the next free row."""
    _write(sheet, start, header, bold=True)
    row = start
    for row, values in enumerate(rows, start=start + 1):
        _write(sheet, row, values, formats=formats)
    return row + 1


def _widths(sheet, widths) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _summary(workbook, content: dict) -> None:
    sheet = workbook.active
    sheet.title = "概况"
    sheet.cell(row=1, column=1, value=spreadsheet_safe(content["title"])).font = TITLE_FONT
    sheet.cell(row=2, column=1, value=f"{content['year']}年第{content['number']}期")
    sheet.cell(row=2, column=3, value=f"统计月份：{content['month']}")
    _widths(sheet, (26, 16, 16, 16, 16, 16))
    headline = content["headline"]
    if headline is None:
        sheet.cell(row=4, column=1, value="本月全县汇总数据未冻结。")
        return
    funds, change = headline["funds"], headline["funds_change"]
    rows = [
        ("项目总数（个）", headline["projects"], headline["projects_change"]),
        *(
            (f"其中：{status_label(row['status'])}", row["count"], row["change"])
            for row in headline["by_status"]
        ),
        (
            "平均完成进度（%）",
            number(headline["percent_complete"]),
            number(headline["percent_complete_change"]),
        ),
        ("计划投资（元）", number(funds.get("planned")), number(change.get("planned"))),
        ("到位资金（元）", number(funds.get("arrived")), number(change.get("arrived"))),
        ("已支付（元）", number(funds.get("spent")), number(change.get("spent"))),
        (
            "资金到位率（%）",
            number(percent(funds.get("arrived"), funds.get("planned"))),
            None,
        ),
        (
            "惠及居民（户）",
            headline["households_benefited"],
            headline["households_benefited_change"],
        ),
        ("惠及居民（人）", headline["people_benefited"], headline["people_benefited_change"]),
        ("进度滞后项目（个）", headline["behind_schedule"], None),
    ]
    money = {2: MONEY_FORMAT, 3: MONEY_FORMAT}
    next_row = _table(sheet, 4, ["指标", "本月", "较上月"], rows)
    for row in range(5, next_row):  # money rows read with separators
        if "（元）" in str(sheet.cell(row=row, column=1).value):
            for column, fmt in money.items():
                sheet.cell(row=row, column=column).number_format = fmt

    next_row = _table(
        sheet,
        next_row + 1,
        ["资金来源", "计划（元）", "到位（元）", "已支付（元）"],
        [
            (
                source_label(row["source"]),
                number(row["planned"]),
                number(row["arrived"]),
                number(row["spent"]),
            )
            for row in headline["funds_by_source"]
        ]
        + [
            (
                "合计",
                number(funds.get("planned")),
                number(funds.get("arrived")),
                number(funds.get("spent")),
            )
        ],
        formats={2: MONEY_FORMAT, 3: MONEY_FORMAT, 4: MONEY_FORMAT},
    )
    _table(
        sheet,
        next_row + 1,
        ["改造内容", "单位", "计划", "已完成", "完成率（%）", "本月新增"],
        [
            (
                row["name"],
                unit_label(row["unit"]),
                number(row["planned"]),
                number(row["completed"]),
                number(row["percent"]),
                number(row["completed_change"]),
            )
            for row in headline["outputs"]
        ],
    )


def _projects(workbook, content: dict) -> None:
    sheet = workbook.create_sheet("项目进展")
    header = [
        "序号",
        "项目名称",
        "小区",
        "所属社区",
        "阶段",
        "完成进度（%）",
        "较上月（百分点）",
        "计划投资（元）",
        "到位资金（元）",
        "已支付（元）",
        "进度滞后",
        "逾期节点（个）",
        "本月调度已报送",
        "本月督查问题（个）",
        "未整改问题（个）",
        "逾期未整改（个）",
        "逾期诉求（件）",
        "名次",
        "总分",
    ]
    _table(
        sheet,
        1,
        header,
        [
            (
                index,
                row["name"],
                row["neighbourhood"],
                row["community"],
                status_label(row["status"]),
                number(row["percent_complete"]),
                number(row["percent_change"]),
                number(row["planned"]),
                number(row["arrived"]),
                number(row["spent"]),
                _yes_no(row["behind_schedule"]),
                row["late_milestones"],
                _yes_no(row["dispatch_reported"]),
                row["findings_month"],
                row["findings_open"],
                row["findings_overdue"],
                row["requests_overdue"],
                row["rank"],
                number(row["total"]),
            )
            for index, row in enumerate(content["projects"], start=1)
        ],
        formats={8: MONEY_FORMAT, 9: MONEY_FORMAT, 10: MONEY_FORMAT},
    )
    sheet.freeze_panes = "C2"
    _widths(sheet, (6, 28, 20, 14, 14, *([12] * (len(header) - 5))))


def _ranking(workbook, content: dict) -> None:
    sheet = workbook.create_sheet("评比排名")
    criteria = content["criteria"]
    _table(
        sheet,
        1,
        ["名次", "项目名称", "所属社区", *(f"{c['name']}" for c in criteria), "总分"],
        [
            (
                row["rank"],
                row["name"],
                row["community"],
                *(number(row["scores"].get(c["code"])) for c in criteria),
                number(row["total"]),
            )
            for row in content["ranking"]
        ],
    )
    sheet.freeze_panes = "C2"
    _widths(sheet, (6, 28, 14, *([12] * (len(criteria) + 1))))


def _findings(workbook, content: dict) -> None:
    inspection = content["inspection"] or {"findings": [], "overdue": []}
    sheet = workbook.create_sheet("督查问题")
    _table(
        sheet,
        1,
        ["序号", "项目名称", "督查日期", "类别", "程度", "问题描述", "整改期限", "已整改"],
        [
            (
                index,
                row["project"],
                _day(row["date"]),
                category_label(row["category"]),
                severity_label(row["severity"]),
                row["description"],
                _day(row["deadline"]),
                _yes_no(row["rectified"]),
            )
            for index, row in enumerate(inspection["findings"], start=1)
        ],
    )
    sheet.freeze_panes = "B2"
    _widths(sheet, (6, 28, 12, 14, 8, 48, 12, 8))

    sheet = workbook.create_sheet("逾期整改")
    _table(
        sheet,
        1,
        ["序号", "项目名称", "问题描述", "整改期限", "逾期天数"],
        [
            (
                index,
                row["project"],
                row["description"],
                _day(row["deadline"]),
                row["days_overdue"],
            )
            for index, row in enumerate(inspection["overdue"], start=1)
        ],
    )
    sheet.freeze_panes = "B2"
    _widths(sheet, (6, 28, 48, 12, 10))


def bulletin_workbook(content: dict) -> bytes:
    """The .xlsx of a bulletin's ``content``."""
    with translation.override(settings.LANGUAGE_CODE):
        workbook = Workbook()
        workbook.properties.title = f"{content['title']}（{content['month']}）"
        workbook.properties.language = "zh-CN"
        _summary(workbook, content)
        _projects(workbook, content)
        _ranking(workbook, content)
        _findings(workbook, content)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
