"""Reading an uploaded register, .xlsx or .csv, streamed and within bounds.

Whatever is uploaded, reading it costs bounded time and memory: the file's size is capped;
an .xlsx is checked as a zip archive first (its parts' uncompressed size is capped, so a
decompression bomb is refused before anything is inflated), only the expected sheet is read,
and its extent is checked before it is loaded: a sheet that declares more rows than the cap is
refused at once, and its rows and cells' references are scanned as it is inflated (a chunk at
a time), so a stray cell a million rows down or a sheet padded with empty rows is refused in
bounded memory. Then calamine (python-calamine, in Rust) reads it, ten times faster than
openpyxl. A .csv is decoded as
UTF-8 (with or without the byte-order mark Excel writes) or GB18030 (what Excel writes on a
Chinese Windows), else refused.

A problem with the file as a whole is a ``Rejected`` with a message in the user's language.
"""

import codecs
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from residents.resources import FORMULA_STARTS

#: Kinds of file accepted, by extension.
FORMATS = ("xlsx", "csv")


class Rejected(Exception):
    """The file cannot be read as a register: nothing is imported. ``message`` says why, in the
    user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """The rows of the sheet read: ``headers`` as found on its first row, and ``rows``, an
    iterator of ``(row number, values)`` (row numbers as the spreadsheet shows them; fully
    empty rows are skipped, but counted against the cap)."""

    headers: list[str]
    rows: Iterator[tuple[int, list]]
    sheet: str = ""
    ignored_sheets: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    #: The largest uncompressed size of an .xlsx's parts, in bytes.
    max_unpacked: int
    max_columns: int = 100


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}"


def open_table(upload, *, name: str, limits: Limits, sheet_names=()) -> Table:
    """The table of ``upload`` (a binary file object), read as its ``name``'s extension says.
    ``sheet_names`` are the names the expected sheet may have (else the first sheet)."""
    kind = extension(name)
    if kind not in FORMATS:
        raise Rejected(
            _("Only .xlsx and .csv files can be imported; this file is “%(name)s”.")
            % {"name": name}
        )
    size = _size(upload)
    if size == 0:
        raise Rejected(_("The file is empty."))
    if size > limits.max_bytes:
        raise Rejected(
            _("The file is %(size)s MB; at most %(limit)s MB can be imported at once.")
            % {"size": megabytes(size), "limit": megabytes(limits.max_bytes)}
        )
    if kind == "xlsx":
        return _xlsx(upload, limits, sheet_names)
    return _csv(upload, limits)


def _size(upload) -> int:
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


# --- .xlsx ------------------------------------------------------------------------------------


def _xlsx(upload, limits: Limits, sheet_names) -> Table:
    """The sheet read by calamine (python-calamine), once its extent is known to be within
    bounds: calamine holds a sheet's whole range in memory, so a stray cell a million rows
    down must be refused before it is loaded."""
    from python_calamine import CalamineWorkbook

    _check_archive(upload, limits)
    names, parts = _sheets(upload)
    chosen = next((n for n in names if n in sheet_names), names[0] if names else None)
    if chosen is None:
        raise Rejected(_("The workbook has no sheet."))
    _check_extent(upload, parts.get(chosen), chosen, limits)
    upload.seek(0)
    try:
        workbook = CalamineWorkbook.from_filelike(upload)
        rows = workbook.get_sheet_by_name(chosen).iter_rows()
        first = next(rows, None)
    except Exception as error:  # calamine raises its own errors for a broken workbook
        raise Rejected(_("The file is not a readable .xlsx workbook.")) from error
    if first is None or not any(_cell(value) is not None for value in first):
        raise Rejected(_("The sheet “%(sheet)s” is empty.") % {"sheet": chosen})
    headers = [_header(_cell(value)) for value in first[: limits.max_columns]]
    width = limits.max_columns
    numbered = (
        (number, [_cell(value) for value in values[:width]])
        for number, values in enumerate(rows, start=2)
    )
    return Table(
        headers=headers,
        rows=_counted(numbered, limits),
        sheet=chosen,
        ignored_sheets=[n for n in names if n != chosen],
    )


_NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "pkg": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _sheets(upload) -> tuple[list[str], dict[str, str]]:
    """The workbook's sheet names in order, and the archive part of each."""
    # defusedxml: a workbook is a stranger's XML; entity declarations (the "billion laughs")
    # and external references are refused instead of expanded or fetched.
    from defusedxml import DefusedXmlException, ElementTree

    try:
        with zipfile.ZipFile(upload) as archive:
            book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError, DefusedXmlException) as error:
        raise Rejected(_("The file is not a readable .xlsx workbook.")) from error
    targets = {
        rel.get("Id"): rel.get("Target", "") for rel in rels.findall("pkg:Relationship", _NS)
    }
    names, parts = [], {}
    for sheet in book.iter(f"{{{_NS['main']}}}sheet"):
        name = sheet.get("name", "")
        target = targets.get(sheet.get(f"{{{_NS['rel']}}}id"), "")
        names.append(name)
        parts[name] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return names, parts


_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"(\d+)\"")
# A cell's column and row, found apart: each list then holds few distinct values (a sheet's
# dozen columns; one row number per row), so the largest is taken over a small set.
_CELL_COLUMN = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]{1,3})\d+\"")
_CELL_ROW = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"[A-Z]{1,3}(\d+)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*\d*:?([A-Z]{1,3})(\d+)\"")


def _check_extent(upload, part: str | None, sheet: str, limits: Limits) -> None:
    """Refuse a sheet whose extent (declared, or found by scanning its rows and cells'
    references as it is inflated, a chunk at a time) exceeds the limits."""
    if part is None:
        raise Rejected(_("The file is not a readable .xlsx workbook."))
    rows = last_row = last_column = 0
    tail = b""
    with zipfile.ZipFile(upload) as archive:
        try:
            stream = archive.open(part)
        except KeyError as error:
            raise Rejected(_("The file is not a readable .xlsx workbook.")) from error
        with stream:
            first = True
            while chunk := stream.read(2**20):
                text = tail + chunk
                if first:
                    declared = _DIMENSION.search(text)
                    if declared and int(declared.group(2)) - 1 > limits.max_rows:
                        _too_many(sheet, int(declared.group(2)), limits)
                    first = False
                # Count only the tags that end in this chunk; keep the rest for the next.
                cut = text.rfind(b"<")
                body, tail = text[:cut], text[cut:]
                rows += len(_ROW.findall(body))
                if row_numbers := _ROW_NUMBER.findall(body):
                    last_row = max(last_row, *map(int, row_numbers))
                if cell_rows := set(_CELL_ROW.findall(body)):
                    last_row = max(last_row, *map(int, cell_rows))
                if columns := set(_CELL_COLUMN.findall(body)):
                    last_column = max(last_column, *map(_column_number, columns))
                if max(rows, last_row) - 1 > limits.max_rows:
                    _too_many(sheet, max(rows, last_row), limits)
    if last_column > 16384 or last_column > limits.max_columns * 100:
        raise Rejected(
            _("The sheet “%(sheet)s” reaches column %(n)s; a register has a few dozen at most.")
            % {"sheet": sheet, "n": last_column}
        )


def _too_many(sheet: str, claimed: int, limits: Limits):
    raise Rejected(
        _(
            "The sheet “%(sheet)s” declares %(claimed)s rows; at most %(limit)s rows can be "
            "imported at once. Split the file, or delete the empty rows below the data."
        )
        % {"sheet": sheet, "claimed": f"{claimed:,}", "limit": f"{limits.max_rows:,}"}
    )


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_archive(upload, limits: Limits) -> None:
    """An .xlsx is a zip archive: refuse what is not one, and what would inflate beyond the
    limit (declared sizes read from the archive's directory; the reader stops at them)."""
    if not zipfile.is_zipfile(upload):
        upload.seek(0)
        raise Rejected(_("The file is not a readable .xlsx workbook."))
    upload.seek(0)
    with zipfile.ZipFile(upload) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    upload.seek(0)
    if unpacked > limits.max_unpacked:
        raise Rejected(
            _(
                "The workbook would unpack to %(size)s MB, more than the %(limit)s MB accepted: "
                "it is refused unread."
            )
            % {"size": megabytes(unpacked), "limit": megabytes(limits.max_unpacked)}
        )


# --- .csv -------------------------------------------------------------------------------------


def _csv(upload, limits: Limits) -> Table:
    raw = upload.read()
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = codecs.decode(raw, encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise Rejected(
            _("The file's text is neither UTF-8 nor GB18030: save it again as “CSV UTF-8”.")
        )
    if "\x00" in text:
        raise Rejected(_("The file is not a text .csv file."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader, None)
    except csv.Error as error:
        raise Rejected(_("The .csv file cannot be read: %(error)s") % {"error": error}) from error
    if first is None:
        raise Rejected(_("The file is empty."))
    headers = [_header(value) for value in first[: limits.max_columns]]

    def rows():
        try:
            for number, values in enumerate(reader, start=2):
                yield number, [_cell(value) for value in values[: limits.max_columns]]
        except csv.Error as error:
            raise Rejected(
                _("The .csv file cannot be read: %(error)s") % {"error": error}
            ) from error

    return Table(headers=headers, rows=_counted(rows(), limits))


# --- Cells and counting -----------------------------------------------------------------------


def _header(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _cell(value):
    """A cell as the importer reads it: text stripped (empty → None), a whole number stored
    as a float (how spreadsheets keep numbers) as an int, dates as dates."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value[:1] == "'" and value[1:2] in FORMULA_STARTS:
            value = value[1:]  # as our exports write a formula-looking text: read it back
        return value or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time.min:
        return value.date()
    return value


def _counted(rows, limits: Limits):
    """``rows`` without the fully empty ones, refused past ``limits.max_rows`` rows read
    (empty ones included)."""
    for read, (number, values) in enumerate(rows, start=1):
        if read > limits.max_rows:
            raise Rejected(
                ngettext(
                    "The file has more than %(limit)s row; split it.",
                    "The file has more than %(limit)s rows; split it.",
                    limits.max_rows,
                )
                % {"limit": f"{limits.max_rows:,}"}
            )
        if any(value is not None for value in values):
            yield number, values
