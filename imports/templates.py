"""The template of each kind of import: an .xlsx whose first sheet has the headings (in
Chinese, as the county's spreadsheets have them) and whose second sheet explains each column
with an example. Only the first sheet is read when the file comes back."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .kinds import Kind

#: Columns typed as text in the template, whatever the kind.
TEXT_KEYS = {"building", "number", "room", "phone", "id_number", "code"}


def template_workbook(kind: Kind) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind.sheet
    sheet.append([column.header for column in kind.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(kind.columns, start=1):
        letter = sheet.cell(1, index).column_letter
        sheet.column_dimensions[letter].width = max(10, 2 * len(column.header) + 4)
        if column.as_text or column.key in TEXT_KEYS:
            # Typed as text: a room "0301" or an 18-digit ID number kept as the person typed.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet(_("How to fill in"))
    guide.append([_("Column"), _("Required"), _("Values or format"), _("Example")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in kind.columns:
        guide.append(
            [
                column.header,
                _("yes") if column.required else _("no"),
                column.hint(),
                "" if column.example is None else column.example,
            ]
        )
    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["C"].width = 40
    guide.column_dimensions["D"].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
