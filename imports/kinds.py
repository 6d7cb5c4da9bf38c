"""What can be imported, column by column: each kind of register names its sheet, its columns
(with the Chinese headers of its template), its natural key, and how a batch of rows is
checked against the database and written.

A kind checks rows in bulk: ``prepare`` reads, in a few queries, everything the rows refer to
(the neighbourhoods, buildings and existing records named in the file), then ``check`` turns
each row into the values of its record, or errors naming the column, without a query. So
importing 100,000 rows costs a handful of queries, not one per row.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class CellError(ValueError):
    """A cell's value cannot be taken: the message says why, in the user's language."""


# --- Parsers: a cell's value → the field's value, or CellError ---------------------------------


def text(max_length: int):
    def parse(value):
        if isinstance(value, datetime.date):
            value = value.isoformat()
        value = str(value).strip()
        if len(value) > max_length:
            raise CellError(
                _("At most %(max)s characters (this has %(n)s).")
                % {"max": max_length, "n": len(value)}
            )
        return value

    return parse


def code_text(max_length: int):
    """Text that is often typed as a number (a room 301, a building 2): 301.0 reads "301"."""
    inner = text(max_length)

    def parse(value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return inner(value)

    return parse


def building_number(value):
    """A building's number as painted (1, 2, A): "7号楼", "7栋", "7幢" and "7号" read "7"."""
    number = code_text(20)(value)
    for suffix in ("号楼", "栋", "幢", "号"):
        if number.endswith(suffix) and len(number) > len(suffix):
            return number[: -len(suffix)].strip()
    return number


def phone_number(value):
    """A phone as people write it: spaces dropped, +86 or 86 before a mobile number too."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    number = "".join(str(value).split())
    for prefix in ("+86", "0086", "86"):
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            return number[len(prefix) :]
    return number


def id_number(value):
    """An ID number: a spreadsheet that kept it as a number has lost its last digits."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError(
            _(
                "The ID number was stored as a number, which loses its last digits: format "
                "the column as text and type it again."
            )
        )
    return code_text(18)(value).upper()


def integer(minimum: int | None = None, maximum: int | None = None):
    def parse(value):
        if isinstance(value, bool):
            raise CellError(_("A whole number is expected."))
        if isinstance(value, float):
            if not value.is_integer():
                raise CellError(_("A whole number is expected."))
            value = int(value)
        if isinstance(value, str):
            try:
                value = int(value.replace(",", "").strip())
            except ValueError:
                raise CellError(_("A whole number is expected.")) from None
        if not isinstance(value, int):
            raise CellError(_("A whole number is expected."))
        if minimum is not None and value < minimum:
            raise CellError(_("At least %(min)s.") % {"min": minimum})
        if maximum is not None and value > maximum:
            raise CellError(_("At most %(max)s.") % {"max": maximum})
        return value

    return parse


def decimal(places: int = 2, minimum: Decimal | None = Decimal(0)):
    def parse(value):
        try:
            number = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            raise CellError(_("A number is expected.")) from None
        if not number.is_finite():
            raise CellError(_("A number is expected."))
        if minimum is not None and number < minimum:
            raise CellError(_("At least %(min)s.") % {"min": minimum})
        return number.quantize(Decimal(1).scaleb(-places))

    return parse


def choice(choices):
    """One of ``choices`` (a TextChoices class), by its code or its label in Chinese or
    English."""
    names: dict[str, str] = {}

    def parse(value):
        if not names:  # built at the first cell: labels are translated when read
            from django.utils import translation

            for code, label in choices.choices:
                names[code.casefold()] = code
                for language in ("zh-hans", "en"):
                    with translation.override(language):
                        names[str(label).casefold()] = code
        code = names.get(str(value).strip().casefold())
        if code is None:
            raise CellError(
                _("One of: %(choices)s.")
                % {"choices": "、".join(str(label) for _code, label in choices.choices)}
            )
        return code

    parse.hint = lambda: "、".join(str(label) for _code, label in choices.choices)
    return parse


def day(value):
    """A date: a spreadsheet's date cell, or text as 2026-05-01, 2026/5/1 or 2026年5月1日."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = _DAY.match(str(value).strip())
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(_("A date such as 2026-05-01 is expected."))


day.hint = lambda: "2026-05-01"


_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def yes_no(value):
    wanted = str(value).strip().lower()
    if wanted in ("是", "有", "yes", "y", "true", "1"):
        return True
    if wanted in ("否", "无", "没有", "no", "n", "false", "0"):
        return False
    raise CellError(_("是 or 否 (yes or no) is expected."))


yes_no.hint = lambda: "是、否"


def validated(parse, *validators):
    """``parse``, then the model field's ``validators`` (their messages become the cell's)."""

    def run(value):
        value = parse(value)
        for validator in validators:
            try:
                validator(value)
            except ValidationError as error:
                raise CellError(" ".join(error.messages)) from None
        return value

    return run


# --- Columns and kinds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a kind's sheet. ``header`` is the template's (Chinese) heading; a sheet
    may also use ``aliases`` (the English heading, older wordings)."""

    key: str
    header: str
    label: str
    parse: object
    required: bool = False
    default: object = None
    aliases: tuple[str, ...] = ()
    example: object = None
    #: Personal data: masked in previews and never written to a report.
    personal: bool = False
    #: Typed as text in the template (numbers a spreadsheet would spoil: rooms, ID numbers).
    as_text: bool = False

    def hint(self) -> str:
        """The values or the format the column takes, for the template's guide."""
        hint = getattr(self.parse, "hint", None)
        return hint() if hint else ""

    def names(self) -> tuple[str, ...]:
        return (self.header, str(self.label), *self.aliases)


@dataclass
class Row:
    """One row of the file as checked: its number in the sheet, the values read by column
    key, then what the import makes of it."""

    number: int
    cells: dict
    outcome: str = ""  # new, updated, unchanged, invalid
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column header, message)
    key: tuple | None = None
    values: dict = field(default_factory=dict)
    existing: object = None  # the record to update (its pk) when there is one
    changed: list[str] = field(default_factory=list)
    #: How the record is named in the change history (its address, never a person's data).
    repr: str = ""

    def fail(self, column: Column | None, message: str) -> None:
        self.errors.append((column.header if column else "", str(message)))


OUTCOMES = {
    "new": gettext_lazy("new"),
    "updated": gettext_lazy("updated"),
    "unchanged": gettext_lazy("unchanged"),
    "invalid": gettext_lazy("invalid"),
}


class Kind:
    """A kind of register that can be imported. Subclasses set the class attributes and
    implement ``prepare``, ``check`` and ``write``."""

    #: Its code in URLs and the ``ImportJob``'s kind.
    code: str = ""
    label = ""
    #: What a row is matched on, as the upload page says it.
    key_description = ""
    #: The app label and model name whose add and change permissions an import needs.
    model = None
    #: The sheet of its template (read from a workbook when present, else the first sheet).
    sheet = ""
    columns: tuple[Column, ...] = ()

    def __init__(self, user):
        self.user = user

    def permissions(self) -> list[str]:
        meta = self.model._meta
        return [
            f"{meta.app_label}.add_{meta.model_name}",
            f"{meta.app_label}.change_{meta.model_name}",
        ]

    def allowed(self) -> bool:
        return self.user.has_perms(self.permissions())

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    # --- Per batch: to be written by each kind ------------------------------------------------

    def prepare(self, rows: list[Row]) -> None:
        """Read what the rows refer to, in a few queries."""

    def check(self, row: Row) -> None:
        """Set ``row.key`` and ``row.values`` (or add errors): no query."""
        raise NotImplementedError

    def write(self, new: list[Row], updated: list[Row]) -> None:
        """Create the new records and update the changed ones (inside the import's
        transaction), with their change history."""
        raise NotImplementedError

    # --- Shared steps ------------------------------------------------------------------------

    def parse(self, row: Row) -> dict:
        """The row's cells parsed by column; errors added to the row."""
        values = {}
        for column in self.columns:
            raw = row.cells.get(column.key)
            if raw is None:
                if column.required:
                    row.fail(column, _("Required."))
                else:
                    values[column.key] = column.default
                continue
            try:
                values[column.key] = column.parse(raw)
            except CellError as error:
                row.fail(column, str(error))
        return values

    def compare(self, row: Row, current: dict | None) -> None:
        """Classify a checked row against the record it names (``current``: its field
        values, or None when it does not exist yet)."""
        if row.errors:
            row.outcome = "invalid"
        elif current is None:
            row.outcome = "new"
        else:
            # A column left out of the file, or a cell left empty, keeps what the register
            # holds: only the values given change a record.
            given = {key for key, value in row.cells.items() if value is not None}
            row.values = {
                name: value if name in given else current.get(name, value)
                for name, value in row.values.items()
            }
            row.changed = [name for name, value in row.values.items() if current.get(name) != value]
            row.outcome = "updated" if row.changed else "unchanged"

    def shown(self, row: Row) -> list:
        """The row's cells as the stored preview keeps them: personal data masked whoever
        reads it (the preview outlives the file, and others may open the job)."""
        from residents.masking import mask_id_number, mask_name, mask_phone

        maskers = {"head_name": mask_name, "phone": mask_phone, "id_number": mask_id_number}
        cells = []
        for column in self.columns:
            value = row.cells.get(column.key)
            if value is not None and column.personal:
                masker = maskers.get(column.key)
                value = masker(str(value)) if masker else "***"
            cells.append("" if value is None else value)
        return cells

    def heading(self, name: str) -> str:
        """A field's name as the file heads its column (else the field's own name)."""
        for column in self.columns:
            if column.key == name:
                return column.header
        return str(self.model._meta.get_field(name).verbose_name)


#: The kinds of register that can be imported, by code (filled by ``register``).
KINDS: dict[str, type[Kind]] = {}


def register(kind: type[Kind]) -> type[Kind]:
    KINDS[kind.code] = kind
    return kind
