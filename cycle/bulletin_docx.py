"""The monthly bulletin as a Word document (python-docx), laid out as a county government
bulletin: the red head (红头) — the title in red, the issue "2026年第11期", the issuing office
and the date above a red rule — then the body in 仿宋 with headings in 黑体 and 楷体, tables
with full borders, and the page number at the foot ("— 1 —").

The page set-up, the styles (each with its East Asian font, ``w:eastAsia``) and the
page-number footer are those of the acceptance report (``acceptance.report_docx``), and so is
the look of the tables; they are built here on the table's XML, because a county's thousands
of projects would take python-docx minutes the ordinary way (a 2,000-project bulletin takes
about 12 s). The document is an official Chinese text: it is written in Chinese whatever the
reader's language, and the labels of statuses and sources are taken in Chinese too. The
meeting pack (``cycle.meetings``) uses the same pieces.

``bulletin_document(content)`` returns the file's bytes from the content that
``cycle.bulletin.bulletin_content`` made (the same as the page's).
"""

import copy
import datetime
import io

from django.conf import settings
from django.utils import translation
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell

from acceptance.report_docx import TABLE_STYLE, TITLE_FONT, _fonts, _set_up, _shade, _spacing

from .bulletin import (
    category_label,
    decimal,
    percent,
    severity_label,
    signed,
    source_label,
    status_label,
    unit_label,
    wan,
)

RED = RGBColor(0xE6, 0x00, 0x12)
RED_HEX = "E60012"
#: The width of the text between the margins of ``_set_up`` (210 − 28 − 26 mm).
TEXT_WIDTH = 156
CHINESE_NUMBERS = "一二三四五六七八九十"


def chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def section_number(index: int) -> str:
    """1 → "一", 12 → "十二" (headings of up to nineteen sections)."""
    if index <= 10:
        return CHINESE_NUMBERS[index - 1]
    return "十" + CHINESE_NUMBERS[index - 11]


def _rule_below(paragraph, color=RED_HEX, size=18) -> None:
    """A rule under ``paragraph`` (its bottom border): the red line of the red head."""
    properties = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size))  # eighths of a point
    bottom.set(qn("w:space"), "6")
    bottom.set(qn("w:color"), color)
    borders.append(bottom)
    properties.append(borders)


def new_document(title: str, subject: str):
    """A document with the county layout (A4, margins, styles, page numbers)."""
    document = Document()
    _set_up(document)
    red = document.styles.add_style("Anju Red Head", WD_STYLE_TYPE.PARAGRAPH)
    red.base_style = document.styles["Normal"]
    _fonts(red, TITLE_FONT, 26, bold=True)  # 一号, bold
    red.font.color.rgb = RED
    _spacing(red, before=0, after=6, line=40)
    red.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    red.paragraph_format.first_line_indent = Pt(0)
    properties = document.core_properties
    properties.title = title
    properties.subject = subject
    properties.language = "zh-CN"
    return document


def red_head(document, *, title: str, issue: str, issuer: str, day: datetime.date) -> None:
    """The red head: the title in red, the issue, then the office and the date above a red
    rule."""
    document.add_paragraph(title, style="Anju Red Head")
    number = document.add_paragraph(issue, style="Anju Subtitle")
    number.paragraph_format.space_after = Pt(6)
    line = document.add_paragraph(style="Anju Subtitle")
    line.alignment = WD_ALIGN_PARAGRAPH.LEFT
    line.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
    line.add_run(f"{issuer}\t{chinese_date(day)}")
    _rule_below(line)
    document.add_paragraph()


def heading(document, text: str, level: int = 1):
    return document.add_heading(text, level=level)


def paragraph(document, text: str):
    return document.add_paragraph(text)


def _text(cell, text, style_id: str, *, bold: bool, centred: bool) -> None:
    """``text`` in ``cell`` (its lines as line breaks), in the table style ``style_id``."""
    paragraph = cell.paragraphs[0]
    paragraph._p.style = style_id
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lines = str(text).split("\n")
    for number, line in enumerate(lines, start=1):
        run = paragraph.add_run(line)
        if bold:
            run.bold = True
        if number < len(lines):
            run.add_break()


def _repeat_as_header(tr) -> None:
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr.get_or_add_trPr().append(header)


def table(document, header, rows, *, widths, numeric=()):
    """A table as the acceptance report lays them out (full borders, the header shaded and
    repeated on every page, columns in ``numeric`` centred); ``widths`` in millimetres add up
    to the text width.

    The header and one body row are laid out through python-docx; every body row is then a
    copy of that row's XML with its texts put in. Laying out each cell through python-docx
    costs about a millisecond, so a province's ten thousand projects took a minute.
    """
    rows = list(rows)
    grid = document.add_table(rows=2, cols=len(header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Mm(width)
    sizes = [Mm(width) for width in widths]
    style_id = document.styles[TABLE_STYLE].style_id  # looked up once: by name it is slow
    head, template = grid._tbl.tr_lst
    _repeat_as_header(head)
    for number, (tr, values) in enumerate(((head, header), (template, ["x"] * len(header)))):
        for index, (tc, text) in enumerate(zip(tr.tc_lst, values, strict=True)):
            cell = _Cell(tc, grid)
            cell.width = sizes[index]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            centred = number == 0 or index in numeric
            _text(cell, "" if text is None else text, style_id, bold=number == 0, centred=centred)
            if number == 0:
                _shade(cell)
    body = grid._tbl
    body.remove(template)
    for values in rows:
        tr = copy.deepcopy(template)
        for tc, text in zip(tr.tc_lst, values, strict=True):
            _put_text(next(tc.iter(qn("w:r"))), "" if text is None else str(text))
        body.append(tr)
    document.add_paragraph()  # air between a table and what follows
    return grid


def _put_text(run, text: str) -> None:
    """``text`` as the content of ``run`` (a copied run holding one ``w:t``), its lines
    separated by line breaks."""
    first = run.find(qn("w:t"))
    lines = text.split("\n")
    first.text = lines[0]
    first.set(qn("xml:space"), "preserve")
    for line in lines[1:]:
        run.append(OxmlElement("w:br"))
        more = OxmlElement("w:t")
        more.text = line
        more.set(qn("xml:space"), "preserve")
        run.append(more)


def spread(fixed: list[float], count: int) -> list[float]:
    """``count`` equal widths filling what ``fixed`` leaves of the text width."""
    if not count:
        return []
    return [(TEXT_WIDTH - sum(fixed)) / count] * count


def to_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _or_dash(value) -> str:
    return "—" if value in (None, "") else str(value)


def plain(value) -> str:
    """A stored quantity without trailing zeros ("240.00" → "240", "12.50" → "12.5")."""
    number = decimal(value)
    if number is None:
        return "—"
    return f"{number.normalize():f}" if number == number.to_integral() else str(number)


def _count(value) -> str:
    return "0" if value is None else str(value)


def _change_words(change, unit: str = "") -> str:
    """ "（较上月+3个）", or nothing when there is no previous month to compare with."""
    if change is None:
        return ""
    if not decimal(change):
        return "（与上月持平）"
    return f"（较上月{signed(change)}{unit}）"


# --- The bulletin -----------------------------------------------------------------------------


def _overview(document, content: dict) -> None:
    headline = content["headline"]
    heading(document, f"{section_number(1)}、总体情况")
    if headline is None:
        paragraph(document, "本月全县汇总数据未冻结，暂无总体情况。")
        return
    stages = "、".join(
        f"{status_label(row['status'])}{row['count']}个" for row in headline["by_status"]
    )
    funds = headline["funds"]
    change = headline["funds_change"]
    sentences = [
        f"截至{content['year']}年{content['number']}月底，全县共有城镇老旧小区改造项目"
        f"{_count(headline['projects'])}个{_change_words(headline['projects_change'], '个')}"
        + (f"，其中{stages}" if stages else "")
        + "。",
    ]
    if headline["percent_complete"] is not None:
        sentences.append(
            f"在建项目平均完成进度{headline['percent_complete']}%"
            f"{_change_words(headline['percent_complete_change'], '个百分点')}。"
        )
    arrived_rate = percent(funds.get("arrived"), funds.get("planned"))
    spent_rate = percent(funds.get("spent"), funds.get("arrived"))
    sentences.append(
        f"计划总投资{wan(funds.get('planned'))}万元，到位资金{wan(funds.get('arrived'))}万元"
        + (f"（到位率{arrived_rate}%）" if arrived_rate else "")
        + f"，已支付{wan(funds.get('spent'))}万元"
        + (f"（支付率{spent_rate}%）" if spent_rate else "")
        + (f"，本月新增支付{wan(change.get('spent'))}万元" if decimal(change.get("spent")) else "")
        + "。"
    )
    sentences.append(
        f"已验收项目惠及居民{_count(headline['households_benefited'])}户、"
        f"{_count(headline['people_benefited'])}人"
        f"{_change_words(headline['households_benefited_change'], '户')}。"
    )
    sentences.append(
        f"本月进度滞后项目{headline['behind_schedule']}个。"
        if headline["behind_schedule"]
        else "本月无进度滞后项目。"
    )
    paragraph(document, "".join(sentences))

    heading(document, "（一）项目阶段分布", level=2)
    table(
        document,
        ["项目阶段", "项目数（个）", "较上月"],
        [
            (status_label(row["status"]), str(row["count"]), signed(row["change"]))
            for row in headline["by_status"]
        ]
        + [("合计", _count(headline["projects"]), signed(headline["projects_change"]))],
        widths=(60, 48, 48),
        numeric=(1, 2),
    )

    heading(document, "（二）资金到位和支付情况", level=2)
    table(
        document,
        ["资金来源", "计划（万元）", "到位（万元）", "已支付（万元）"],
        [
            (
                source_label(row["source"]),
                wan(row["planned"]),
                wan(row["arrived"]),
                wan(row["spent"]),
            )
            for row in headline["funds_by_source"]
        ]
        + [("合计", wan(funds.get("planned")), wan(funds.get("arrived")), wan(funds.get("spent")))],
        widths=(48, 36, 36, 36),
        numeric=(1, 2, 3),
    )

    heading(document, "（三）改造任务完成情况", level=2)
    if headline["outputs"]:
        table(
            document,
            ["改造内容", "单位", "计划", "已完成", "完成率（%）", "本月新增"],
            [
                (
                    row["name"],
                    unit_label(row["unit"]),
                    plain(row["planned"]),
                    plain(row["completed"]),
                    _or_dash(row["percent"]),
                    signed(row["completed_change"]),
                )
                for row in headline["outputs"]
            ],
            widths=(44, 18, 24, 24, 22, 24),
            numeric=(1, 2, 3, 4, 5),
        )
    else:
        paragraph(document, "暂无改造任务。")


def _progress(document, content: dict) -> None:
    heading(document, f"{section_number(2)}、各项目进展情况")
    projects = content["projects"]
    if not projects:
        paragraph(document, "本月未冻结项目数据。")
        return
    table(
        document,
        [
            "序号",
            "项目名称",
            "所属社区",
            "阶段",
            "完成进度（%）",
            "较上月",
            "已支付（万元）",
            "进度",
        ],
        [
            (
                str(index),
                row["name"],
                row["community"],
                status_label(row["status"]),
                _or_dash(row["percent_complete"]),
                signed(row["percent_change"]),
                wan(row["spent"]),
                "滞后" if row["behind_schedule"] else "正常",
            )
            for index, row in enumerate(projects, start=1)
        ],
        widths=(12, 36, 22, 22, 18, 14, 18, 14),
        numeric=(0, 4, 5, 6, 7),
    )


def _behind(document, content: dict) -> None:
    heading(document, f"{section_number(3)}、进度滞后项目")
    behind = content["behind_schedule"]
    if not behind:
        paragraph(document, "本月无进度滞后项目。")
        return
    paragraph(
        document,
        f"以下{len(behind)}个项目有计划节点逾期未完成，请责任单位倒排工期、加快推进：",
    )
    table(
        document,
        ["序号", "项目名称", "所属社区", "阶段", "逾期节点（个）", "完成进度（%）"],
        [
            (
                str(index),
                row["name"],
                row["community"],
                status_label(row["status"]),
                str(row["late_milestones"]),
                _or_dash(row["percent_complete"]),
            )
            for index, row in enumerate(behind, start=1)
        ],
        widths=(12, 42, 30, 24, 24, 24),
        numeric=(0, 4, 5),
    )


def _ranking(document, content: dict) -> None:
    heading(document, f"{section_number(4)}、月度评比排名")
    ranking = content["ranking"]
    if not ranking:
        paragraph(document, "本月评比排名尚未生成。")
        return
    criteria = content["criteria"]
    weights = "、".join(f"{c['name']}（权重{signed_plain(c['weight'])}）" for c in criteria)
    if weights:
        paragraph(document, f"本月评比按{weights}计分，总分为各项得分的加权平均。")
    fixed = [12, 40, 18]
    table(
        document,
        ["名次", "项目名称", *(c["name"] for c in criteria), "总分"],
        [
            (
                str(row["rank"]),
                row["name"],
                *(_or_dash(row["scores"].get(c["code"])) for c in criteria),
                _or_dash(row["total"]),
            )
            for row in ranking
        ],
        widths=(fixed[0], fixed[1], *spread(fixed, len(criteria)), fixed[2]),
        numeric=(0, *range(2, len(criteria) + 3)),
    )


def signed_plain(value) -> str:
    """A weight ("30.00") without trailing zeros ("30")."""
    number = decimal(value)
    return "—" if number is None else f"{number.normalize():f}"


def _inspection(document, content: dict) -> None:
    heading(document, f"{section_number(5)}、督查发现问题及整改情况")
    inspection = content["inspection"]
    if inspection is None:
        paragraph(document, "本月督查通报尚未生成。")
        return
    findings, overdue = inspection["findings"], inspection["overdue"]
    count = inspection["inspections"]
    severities = "、".join(
        f"{severity_label(row['severity'])}{row['count']}个"
        for row in inspection["by_severity"]
        if row["count"]
    )
    paragraph(
        document,
        (f"本月开展督查{count}次，" if count is not None else "本月")
        + f"发现问题{len(findings)}个"
        + (f"（其中{severities}）" if severities and findings else "")
        + f"，整改销号{inspection['rectified']}个；"
        + f"截至月底逾期未整改问题{len(overdue)}个。",
    )
    if findings:
        heading(document, "（一）本月发现问题", level=2)
        table(
            document,
            ["序号", "项目名称", "类别", "程度", "问题描述", "整改期限"],
            [
                (
                    str(index),
                    row["project"],
                    category_label(row["category"]),
                    severity_label(row["severity"]),
                    row["description"],
                    _or_dash(row["deadline"]),
                )
                for index, row in enumerate(findings, start=1)
            ],
            widths=(12, 34, 20, 14, 50, 26),
            numeric=(0, 3, 5),
        )
    if overdue:
        heading(document, "（二）逾期未整改问题", level=2)
        table(
            document,
            ["序号", "项目名称", "问题描述", "整改期限", "逾期天数"],
            [
                (
                    str(index),
                    row["project"],
                    row["description"],
                    _or_dash(row["deadline"]),
                    _or_dash(row["days_overdue"]),
                )
                for index, row in enumerate(overdue, start=1)
            ],
            widths=(12, 34, 60, 28, 22),
            numeric=(0, 3, 4),
        )


def bulletin_document(content: dict) -> bytes:
    """The .docx of a bulletin's ``content``."""
    with translation.override(settings.LANGUAGE_CODE):
        issue = f"{content['year']}年第{content['number']}期"
        document = new_document(f"{content['title']}（{issue}）", "月度通报")
        red_head(
            document,
            title=content["title"],
            issue=issue,
            issuer=content["issuer"],
            day=datetime.date.fromisoformat(content["generated_on"]),
        )
        document.add_paragraph(
            f"{content['year']}年{content['number']}月城镇老旧小区改造工作进展情况",
            style="Anju Title",
        )
        _overview(document, content)
        _progress(document, content)
        _behind(document, content)
        _ranking(document, content)
        _inspection(document, content)
        return to_bytes(document)
