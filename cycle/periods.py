"""Months and quarters of the county's calendar (Asia/Shanghai), and their keys.

A month is keyed ``"2026-11"``, a quarter ``"2026-Q4"``, a day ``"2026-11-26"``: the keys by
which each monthly job is run once (``cycle.models.JobRun``) and by which its results are
stored.
"""

import datetime
import re
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.translation import gettext as _

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month: ``first`` is its first day."""

    first: datetime.date

    @classmethod
    def of(cls, day: datetime.date) -> "Month":
        return cls(day.replace(day=1))

    @classmethod
    def current(cls, today: datetime.date | None = None) -> "Month":
        """The month of ``today`` on the county's calendar."""
        return cls.of(today or timezone.localdate())

    @classmethod
    def parse(cls, key: str) -> "Month":
        """``"2026-11"`` → November 2026; ValueError for anything else."""
        match = _MONTH.match(key or "")
        if not match or not 1 <= int(match[2]) <= 12:
            raise ValueError(f"not a month: {key!r} (expected YYYY-MM)")
        return cls(datetime.date(int(match[1]), int(match[2]), 1))

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def last(self) -> datetime.date:
        return self.next().first - datetime.timedelta(days=1)

    def next(self) -> "Month":
        year, month = divmod(self.first.month, 12)
        return Month(datetime.date(self.first.year + year, month + 1, 1))

    def previous(self) -> "Month":
        return Month.of(self.first - datetime.timedelta(days=1))

    @property
    def quarter(self) -> "Quarter":
        return Quarter(self.first.year, (self.first.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return formats.date_format(self.first, "YEAR_MONTH_FORMAT")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def current(cls, today: datetime.date | None = None) -> "Quarter":
        return Month.current(today).quarter

    @classmethod
    def parse(cls, key: str) -> "Quarter":
        match = _QUARTER.match(key or "")
        if not match:
            raise ValueError(f"not a quarter: {key!r} (expected YYYY-Qn)")
        return cls(int(match[1]), int(match[2]))

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def months(self) -> tuple[Month, Month, Month]:
        first = 3 * (self.number - 1) + 1
        return tuple(Month(datetime.date(self.year, first + i, 1)) for i in range(3))

    @property
    def first(self) -> datetime.date:
        return self.months[0].first

    @property
    def last(self) -> datetime.date:
        return self.months[2].last

    def previous(self) -> "Quarter":
        return self.months[0].previous().quarter

    def next(self) -> "Quarter":
        return self.months[2].next().quarter

    def __str__(self) -> str:
        return _("Q%(number)s %(year)s") % {"number": self.number, "year": self.year}


def months_between(start: Month, end: Month) -> list[Month]:
    """``start`` to ``end``, both included (empty when ``start`` is later)."""
    months = []
    month = start
    while month <= end:
        months.append(month)
        month = month.next()
    return months
