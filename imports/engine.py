"""Checking and importing a file: read, check every row in bulk, then write all or nothing.

``check(job)`` is the dry run: it classifies each row (new, updated, unchanged, invalid),
keeps a preview and writes the result report, and changes no register. ``apply(job)`` checks
again (the registers may have changed since) and, only when no row is invalid, writes every
new and changed record in one transaction with its change history: a file with one bad row
changes nothing, and importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import datetime
import io
import logging
import zipfile

from defusedxml.ElementTree import ParseError
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import consultation, registers, work  # noqa: F401  (they register their kinds)
from .kinds import KINDS, OUTCOMES, Kind, Row
from .models import ImportJob
from .sources import Limits, Rejected, open_table

logger = logging.getLogger(__name__)

#: Rows of each outcome kept for the preview (all invalid rows up to ``PREVIEW_INVALID``).
PREVIEW_ROWS = 20
PREVIEW_INVALID = 500
#: Hours an uploaded file waits for its import to be confirmed before it is deleted.
KEEP_UNCONFIRMED_HOURS = 24
#: How often (rows read) the job's progress is saved.
PROGRESS_EVERY = 5000


def limits() -> Limits:
    return Limits(
        max_bytes=settings.ANJU_IMPORT_MAX_BYTES,
        max_rows=settings.ANJU_IMPORT_MAX_ROWS,
        max_unpacked=settings.ANJU_IMPORT_MAX_BYTES * 20,
    )


def kind_of(job: ImportJob) -> Kind:
    return KINDS[job.kind](job.uploaded_by)


def check(job: ImportJob) -> ImportJob:
    """The dry run: nothing is written but the job's findings."""
    return _run(job, write=False)


def apply(job: ImportJob, by) -> ImportJob:
    """Check again and, when every row is valid, import."""
    job.imported_by = by
    return _run(job, write=True)


def _run(job: ImportJob, *, write: bool) -> ImportJob:
    kind = kind_of(job)
    try:
        rows = _read(job, kind)
        _set(job, phase="checking")
        kind.prepare(rows)
        for row in rows:
            kind.check(row)
    except Rejected as rejected:
        return _finish(job, state=ImportJob.State.REJECTED, message=rejected.message)
    counts = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        counts[row.outcome] += 1
    job.counts = counts
    job.preview = _preview(kind, rows)
    job.checked_at = timezone.now()
    _save_report(job, kind, rows)
    if counts["invalid"]:
        return _finish(
            job,
            state=ImportJob.State.INVALID,
            message=_(
                "%(n)s rows are invalid: nothing was imported. Correct them and upload the "
                "file again."
            )
            % {"n": counts["invalid"]},
        )
    if not write:
        if not (counts["new"] or counts["updated"]):
            return _finish(
                job,
                state=ImportJob.State.CHECKED,
                message=_(
                    "Every row is already in the register as the file has it: nothing to import."
                ),
            )
        return _finish(job, state=ImportJob.State.CHECKED, message="")
    new = [row for row in rows if row.outcome == "new"]
    updated = [row for row in rows if row.outcome == "updated"]
    _set(job, phase="writing")
    try:
        with transaction.atomic():
            kind.write(new, updated, file_name=job.file_name)
    except IntegrityError:
        logger.warning("Import %s met a concurrent change and was rolled back.", job.pk)
        return _finish(
            job,
            state=ImportJob.State.FAILED,
            message=_(
                "The register changed while the file was being imported: nothing was "
                "imported. Check the file again and import it."
            ),
        )
    job.imported_at = timezone.now()
    _save_report(job, kind, rows)
    return _finish(
        job,
        state=ImportJob.State.DONE,
        message=_("%(new)s new and %(updated)s updated records imported; %(unchanged)s unchanged.")
        % counts,
    )


def _read(job: ImportJob, kind: Kind) -> list[Row]:
    _set(job, phase="reading", rows_read=0)
    with job.file.open("rb") as upload:
        table = open_table(upload, name=job.file_name, limits=limits(), sheet_names=(kind.sheet,))
        positions = _columns(kind, table.headers, table.sheet)
        rows = []
        try:
            for number, values in table.rows:
                cells = {
                    key: values[index] if index < len(values) else None
                    for key, index in positions.items()
                }
                rows.append(Row(number=number, cells=cells))
                if len(rows) % PROGRESS_EVERY == 0:
                    _set(job, rows_read=len(rows))
        except (zipfile.BadZipFile, ParseError, KeyError, EOFError, OSError) as error:
            raise Rejected(_("The file is not a readable .xlsx workbook.")) from error
    if not rows:
        raise Rejected(_("The file has no rows under its headings."))
    _set(job, rows_read=len(rows))
    return rows


def _columns(kind: Kind, headers: list[str], sheet: str = "") -> dict[str, int]:
    """Which position holds each of the kind's columns; a missing required column refuses the
    file. Other columns are not read."""
    positions = {}
    for column in kind.columns:
        names = {name.casefold() for name in column.names()}
        for index, header in enumerate(headers):
            if header.casefold() in names:
                positions[column.key] = index
                break
    missing = [
        column.header for column in kind.columns if column.required and column.key not in positions
    ]
    if missing:
        found = "、".join(header for header in headers if header)[:200] or "—"
        raise Rejected(
            _(
                "The sheet lacks the column(s) %(missing)s. Download the template to see the "
                "headings expected."
            )
            % {"missing": "、".join(missing)}
            + " "
            + _("(Sheet read: “%(sheet)s”; its first row holds: %(found)s.)")
            % {"sheet": sheet or "CSV", "found": found}
        )
    return positions


def _preview(kind: Kind, rows: list[Row]) -> dict:
    shown = {outcome: [] for outcome in OUTCOMES}
    for row in rows:
        limit = PREVIEW_INVALID if row.outcome == "invalid" else PREVIEW_ROWS
        if len(shown[row.outcome]) < limit:
            shown[row.outcome].append(
                {
                    "row": row.number,
                    "cells": [str(cell) for cell in kind.shown(row)],
                    "errors": row.errors,
                    "changed": [kind.heading(name) for name in row.changed],
                }
            )
    return {"headers": [column.header for column in kind.columns], "rows": shown}


#: The outcomes the result report lists row by row (new and unchanged rows are counted).
REPORTED = ("invalid", "updated")


def _save_report(job: ImportJob, kind: Kind, rows: list[Row]) -> None:
    """The result as an .xlsx: the counts, then every row that is invalid or changes a record,
    with its number, what changed and the errors, and the columns that locate the record (no
    personal data)."""
    from openpyxl import Workbook

    from residents.resources import spreadsheet_safe

    def safe(value):
        return spreadsheet_safe("" if value is None else value)

    located = [column for column in kind.columns if not column.personal]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Result"))
    counts = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        counts[row.outcome] += 1
    sheet.append([safe(job.file_name)])
    sheet.append([f"{OUTCOMES[name]}: {count}" for name, count in counts.items()])
    sheet.append([])
    sheet.append([_("Row"), _("Result"), *[c.header for c in located], _("Changed"), _("Errors")])
    for row in rows:
        if row.outcome not in REPORTED:
            continue
        sheet.append(
            [
                row.number,
                str(OUTCOMES[row.outcome]),
                *[safe(row.cells.get(c.key)) for c in located],
                safe("、".join(kind.heading(name) for name in row.changed)),
                safe(
                    "；".join(
                        f"{header}: {message}" if header else message
                        for header, message in row.errors
                    )
                ),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    if job.report:
        job.report.delete(save=False)
    job.report.save(f"import-{job.pk}-result.xlsx", ContentFile(buffer.getvalue()), save=False)


def _set(job: ImportJob, **fields) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def _finish(job: ImportJob, *, state: str, message: str) -> ImportJob:
    """Record the outcome. The uploaded file (names, phones, ID numbers) is kept only while
    it waits to be imported, and a day at most: once imported, refused, found invalid or with
    nothing to import, it is deleted; the report (no personal data) stays."""
    job.state = state
    job.message = message
    job.phase = ""
    job.save()
    if job.file and not job.importable:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
    forget_stale_files()
    return job


def forget_stale_files() -> int:
    """Delete the files of checks never imported, a day after they were uploaded: what waits
    for a confirmation that does not come is not kept. Returns how many were deleted."""
    stale = ImportJob.objects.filter(
        state=ImportJob.State.CHECKED,
        uploaded_at__lt=timezone.now() - datetime.timedelta(hours=KEEP_UNCONFIRMED_HOURS),
    ).exclude(file="")
    count = 0
    for job in stale:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(
            file="",
            state=ImportJob.State.FAILED,
            message=_("Not imported within a day: the file was deleted. Upload it again."),
        )
        count += 1
    return count
