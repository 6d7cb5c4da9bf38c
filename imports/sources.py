"""Reading an uploaded register, .xlsx or .csv, streamed and within bounds.

Whatever is uploaded, reading it costs bounded time and memory: the file's size is capped;
an .xlsx is checked as a zip archive first (its parts' uncompressed size is capped, so a
decompression bomb is refused before anything is inflated), only the expected sheet is opened
(read-only, streamed by openpyxl), a sheet that claims more rows than the cap is refused from
its declared dimension without reading a row, and rows are streamed and counted, empty ones
included, so a sheet padded with a million empty rows stops at the cap. A .csv is decoded as
UTF-8 (with or without the byte-order mark Excel writes) or GB18030 (what Excel writes on a
Chinese Windows), else refused.

A problem with the file as a whole is a ``Rejected`` with a message in the user's language.
"""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_archive(upload, limits)
    try:
        workbook = openpyxl.load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise Rejected(_("The file is not a readable .xlsx workbook.")) from error
    names = workbook.sheetnames
    chosen = next((n for n in names if n in sheet_names), names[0] if names else None)
    if chosen is None:
        raise Rejected(_("The workbook has no sheet."))
    sheet = workbook[chosen]
    claimed = sheet.max_row  # from the sheet's declared dimension, no row read
    if claimed is not None and claimed - 1 > limits.max_rows:
        raise Rejected(
            _(
                "The sheet “%(sheet)s” declares %(claimed)s rows; at most %(limit)s rows can be "
                "imported at once. Split the file, or delete the empty rows below the data."
            )
            % {"sheet": chosen, "claimed": f"{claimed:,}", "limit": f"{limits.max_rows:,}"}
        )
    rows = sheet.iter_rows(values_only=True, max_col=limits.max_columns)
    try:
        first = next(rows, None)
    except Exception as error:  # openpyxl raises whatever the broken XML gives
        raise Rejected(_("The file is not a readable .xlsx workbook.")) from error
    if first is None:
        raise Rejected(_("The sheet “%(sheet)s” is empty.") % {"sheet": chosen})
    headers = [_header(value) for value in first]
    return Table(
        headers=headers,
        rows=_counted(_numbered(rows, start=2), limits, workbook=workbook),
        sheet=chosen,
        ignored_sheets=[n for n in names if n != chosen],
    )


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


def _numbered(rows, *, start: int):
    for number, values in enumerate(rows, start=start):
        yield number, [_cell(value) for value in values]


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
        return value or None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time.min:
        return value.date()
    return value


def _counted(rows, limits: Limits, workbook=None):
    """``rows`` without the fully empty ones, refused past ``limits.max_rows`` rows read
    (empty ones included)."""
    try:
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
    finally:
        if workbook is not None:
            workbook.close()
