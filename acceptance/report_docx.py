"""The acceptance report as a Word document (python-docx), laid out as a county government
document (GB/T 9704 in spirit): A4 with the standard margins, the title in bold 宋体 (the
standard 小标宋 is missing on many machines), headings in 黑体 and 楷体, the text in 仿宋,
tables in 宋体 with full borders and a header row repeated on every page, the page number
centred at the foot ("— 1 —").

Chinese text takes the East Asian font of each style (``w:eastAsia``); Latin letters and
digits take Times New Roman. ``report_document(report)`` returns the file's bytes; what it
says comes from ``acceptance.report.acceptance_report``, the same as the page.
"""

import io

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .models import Result
from .report import LABELS, AcceptanceReport, RoundLine
from .rules import SurveyNumbers

LATIN_FONT = "Times New Roman"
TITLE_FONT = "宋体"  # bold: 方正小标宋 is not on every machine that opens the file
HEADING_FONT = "黑体"
BODY_FONT = "仿宋"
TABLE_FONT = "宋体"
BLACK = RGBColor(0, 0, 0)
TABLE_STYLE = "Anju Table Text"


def _fonts(style, east_asian: str, size: float, *, latin: str = LATIN_FONT, bold=False):
    """Give ``style`` its fonts: ``latin`` for Latin text, ``east_asian`` (``w:eastAsia``)
    for Chinese, no theme font over them, black, ``size`` points."""
    style.font.name = latin
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = BLACK
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:cs"), latin)


def _spacing(style, *, before=0, after=0, line=None):
    fmt = style.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    if line is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)


def _set_up(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)

    styles = document.styles
    normal = styles["Normal"]
    _fonts(normal, BODY_FONT, 16)  # 三号仿宋
    _spacing(normal, line=28)
    normal.paragraph_format.first_line_indent = Pt(32)  # two characters

    title = styles.add_style("Anju Title", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    _fonts(title, TITLE_FONT, 22, bold=True)  # 二号小标宋
    _spacing(title, before=0, after=12, line=36)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)

    subtitle = styles.add_style("Anju Subtitle", WD_STYLE_TYPE.PARAGRAPH)
    subtitle.base_style = normal
    _fonts(subtitle, BODY_FONT, 14)
    _spacing(subtitle, after=12, line=24)
    subtitle.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle.paragraph_format.first_line_indent = Pt(0)

    for name, size in (("Heading 1", 16), ("Heading 2", 16)):
        heading = styles[name]
        heading.base_style = normal
        if name == "Heading 1":
            _fonts(heading, HEADING_FONT, size, latin=LATIN_FONT)  # 三号黑体
        else:
            _fonts(heading, "楷体", size)  # 三号楷体
        _spacing(heading, before=6, after=6, line=28)
        heading.paragraph_format.first_line_indent = Pt(32)
        heading.paragraph_format.keep_with_next = True

    table_text = styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = normal
    _fonts(table_text, TABLE_FONT, 10.5)  # 五号宋体
    _spacing(table_text, before=2, after=2)
    table_text.paragraph_format.first_line_indent = Pt(0)

    _page_number_footer(section)


def _field(run, instruction: str) -> None:
    """A Word field (``PAGE``) in ``run``, computed when the document is shown."""
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(text)
    run._r.append(end)


def _page_number_footer(section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.add_run("— ")
    _field(paragraph.add_run(), "PAGE")
    paragraph.add_run(" —")
    for run in paragraph.runs:
        run.font.size = Pt(14)
        run.font.name = TABLE_FONT


def _repeat_as_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _shade(cell, fill="E7E6E6") -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _cell_text(cell, text, *, bold=False, align=None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = TABLE_STYLE
    if align is not None:
        paragraph.alignment = align
    lines = str(text).split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        run.bold = bold
        if i < len(lines) - 1:
            run.add_break()


def _widths(table, widths) -> None:
    """Fix the columns' widths (millimetres, adding up to the text width of 156 mm)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _table(document, header, rows, *, widths, numeric=()):
    """A table with full borders ("Table Grid"), ``header`` shaded and repeated on every
    page; columns whose index is in ``numeric`` are centred."""
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _repeat_as_header(table.rows[0])
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        _cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        _shade(cell)
    for row in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, row, strict=True)):
            align = WD_ALIGN_PARAGRAPH.CENTER if index in numeric else None
            _cell_text(cell, "" if text is None else text, align=align)
    _widths(table, widths)
    document.add_paragraph()  # air between a table and what follows
    return table


def _facts(document, rows):
    """A two-column table of labels and values."""
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in rows:
        label_cell, value_cell = table.add_row().cells
        _cell_text(label_cell, label, bold=True)
        _shade(label_cell)
        _cell_text(value_cell, value)
    _widths(table, (50, 106))
    document.add_paragraph()
    return table


def _date(value) -> str:
    return formats.date_format(value) if value else "—"


def _short_date(value) -> str:
    return formats.date_format(value, "Y-m-d") if value else "—"


def _datetime(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "—"


def _round_result(line: RoundLine) -> str:
    if line.passed is None:
        return str(LABELS["open"])
    return str(LABELS["thresholds_met"]) if line.passed else str(LABELS["thresholds_not_met"])


def _numbers_rows(numbers: SurveyNumbers):
    return [
        (str(LABELS["households_registered"]), str(numbers.households)),
        (str(LABELS["households_answered"]), str(numbers.answered)),
        (str(LABELS["turnout"]), numbers.turnout_percent),
        (str(LABELS["satisfied_answers"]), str(numbers.satisfied)),
        (str(LABELS["satisfaction"]), numbers.satisfaction_percent),
    ]


def _counting_note(basically_satisfied_counts: bool) -> str:
    if basically_satisfied_counts:
        return _("“Satisfied” and “basically satisfied” answers count as satisfied.")
    return _("Only “satisfied” answers count as satisfied.")


def report_document(report: AcceptanceReport) -> bytes:
    """The .docx of ``report``."""
    document = Document()
    _set_up(document)
    project = report.project
    properties = document.core_properties
    properties.title = _("Completion acceptance report: %(project)s") % {"project": project.name}
    properties.subject = _("Completion acceptance report")
    properties.language = "zh-CN"

    document.add_paragraph(
        _("Completion acceptance report: %(project)s") % {"project": project.name},
        style="Anju Title",
    )
    document.add_paragraph(
        _("%(community)s · batch %(year)s · made on %(date)s")
        % {
            "community": report.community,
            "year": report.batch_year,
            "date": _date(timezone.localdate(report.made_at)),
        },
        style="Anju Subtitle",
    )

    # 1. The project
    document.add_heading(_("1. The project"), level=1)
    _facts(
        document,
        [
            (str(LABELS["project"]), project.name),
            (str(LABELS["neighbourhood"]), report.neighbourhood),
            *([(str(LABELS["merged"]), "、".join(report.merged))] if report.merged else []),
            (str(LABELS["community"]), report.community),
            (str(LABELS["address"]), report.address or "—"),
            (str(LABELS["batch"]), str(report.batch_year)),
            (str(LABELS["status"]), str(report.status)),
        ],
    )

    # 2. The completion check
    document.add_heading(_("2. The completion check"), level=1)
    if report.check is None:
        document.add_paragraph(_("No completion check has been concluded yet."))
    else:
        document.add_paragraph(
            _("Check %(number)s of %(date)s: %(result)s.")
            % {
                "number": report.check.number,
                "date": _date(report.check.date),
                "result": report.check.result_label,
            }
        )
        _table(
            document,
            [
                str(LABELS["number"]),
                str(LABELS["item"]),
                str(LABELS["category"]),
                str(LABELS["result"]),
                str(LABELS["notes"]),
                str(LABELS["document"]),
            ],
            [
                (
                    str(index),
                    item.title,
                    str(item.category),
                    str(item.result_label),
                    item.notes,
                    item.document,
                )
                for index, item in enumerate(report.items, start=1)
            ],
            widths=(12, 38, 26, 16, 38, 26),
            numeric=(0, 3),
        )
    if report.check_rounds:
        document.add_heading(_("Rounds of the check"), level=2)
        _table(
            document,
            [
                str(LABELS["round"]),
                str(LABELS["date"]),
                str(LABELS["result"]),
                str(LABELS["rectification"]),
            ],
            [
                (
                    str(round_.number),
                    _date(round_.date),
                    str(round_.result_label),
                    round_.rectification if round_.result == Result.FAILED else "",
                )
                for round_ in report.check_rounds
            ],
            widths=(14, 32, 22, 88),
            numeric=(0, 1, 2),
        )

    # 3. Participants
    document.add_heading(_("3. Participants"), level=1)
    if report.participants:
        _table(
            document,
            [
                str(LABELS["role"]),
                str(LABELS["name"]),
                str(LABELS["organisation"]),
                str(LABELS["signature"]),
            ],
            [
                (str(person.role), person.name, person.organisation, "")
                for person in report.participants
            ],
            widths=(36, 30, 50, 40),
        )
    else:
        document.add_paragraph(_("Nobody is recorded as taking part."))

    # 4. The satisfaction survey
    document.add_heading(_("4. The satisfaction survey"), level=1)
    line = report.survey_round
    if line is None:
        document.add_paragraph(_("No satisfaction survey has been opened yet."))
    else:
        if line.closed_on:
            opening = _("Round %(number)s, opened on %(opened)s, closed on %(closed)s.")
        else:
            opening = _("Round %(number)s, opened on %(opened)s, still open: its numbers are live.")
        document.add_paragraph(
            opening
            % {
                "number": line.number,
                "opened": _date(line.opened_on),
                "closed": _date(line.closed_on),
            }
        )
        _facts(document, _numbers_rows(line.numbers))
        document.add_paragraph(_counting_note(report.basically_satisfied_counts))
        document.add_heading(_("Answers by level"), level=2)
        if not report.tally:
            document.add_paragraph(
                _("The answers by level are shown once the survey round is closed.")
            )
        else:
            _table(
                document,
                [str(LABELS["question"]), *(str(column) for column in report.tally_columns)],
                [
                    (capfirst(row.question), *(str(count) for count in row.counts))
                    for row in report.tally
                ],
                widths=(44, 28, 28, 28, 28),
                numeric=(1, 2, 3, 4),
            )
    if report.survey_rounds:
        document.add_heading(_("Every round of the survey"), level=2)
        _table(
            document,
            [
                str(LABELS["round"]),
                str(LABELS["opened"]),
                str(LABELS["closed"]),
                str(LABELS["households"]),
                str(LABELS["answered"]),
                str(LABELS["turnout"]),
                str(LABELS["satisfied"]),
                str(LABELS["satisfaction"]),
                str(LABELS["result"]),
            ],
            [
                (
                    str(round_.number),
                    _short_date(round_.opened_on),
                    _short_date(round_.closed_on),
                    str(round_.numbers.households),
                    str(round_.numbers.answered),
                    round_.numbers.turnout_percent,
                    str(round_.numbers.satisfied),
                    round_.numbers.satisfaction_percent,
                    _round_result(round_),
                )
                for round_ in report.survey_rounds
            ],
            widths=(11, 21, 21, 16, 16, 17, 16, 17, 21),
            numeric=tuple(range(9)),
        )

    # 5. The verdict
    document.add_heading(_("5. Verdict"), level=1)
    verdict = report.verdict
    if verdict.decided:
        paragraph = document.add_paragraph()
        paragraph.add_run(_("Accepted.")).bold = True
        paragraph.add_run(
            " "
            + _("Decided on %(when)s by %(who)s, on these numbers:")
            % {"when": _datetime(verdict.decided_at), "who": verdict.decided_by or "—"}
        )
        _facts(
            document,
            [
                (str(LABELS["check_date"]), _date(verdict.check_date)),
                (str(LABELS["items_passed"]), str(verdict.checklist_items)),
                *_numbers_rows(verdict.numbers),
            ],
        )
        document.add_paragraph(_counting_note(verdict.basically_satisfied_counts))
    else:
        paragraph = document.add_paragraph()
        paragraph.add_run(_("Not decided.")).bold = True
        paragraph.add_run(
            " " + _("The project has not been accepted. The acceptance gate as it stands now:")
        )
        _table(
            document,
            [str(LABELS["condition"]), str(LABELS["met"]), str(LABELS["detail"])],
            [
                (
                    str(check.label),
                    str(LABELS["yes"]) if check.ok else str(LABELS["no"]),
                    str(check.detail),
                )
                for check in verdict.checklist
            ],
            widths=(52, 14, 90),
            numeric=(1,),
        )
        if verdict.missing:
            document.add_paragraph(_("Still missing:"))
            for index, reason in enumerate(verdict.missing, start=1):
                document.add_paragraph(f"{index}. {reason}")

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
