"""A project's outputs and funds in a few figures, for the project page and the leader pages.

The rollups themselves are QuerySet methods (``projects/querysets.py``); this module gathers
them into small values that a page shows, and gives the expression that annotates a list of
projects with their completion in the same query.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import FundingLine, TaskItem
from .querysets import RATIO, share_of


def format_yuan(amount: Decimal) -> str:
    """``380000`` as "380,000.00": cents, thousands grouped, as on a Chinese budget sheet."""
    return f"{amount:,.2f}"


def format_share(share: Decimal | None) -> str:
    """``0.7368`` as "73.68%"; "—" when there is no share."""
    if share is None:
        return "—"
    return f"{share * 100:.2f}%"


@dataclass(frozen=True)
class FundingSummary:
    """The money of a project (or of any set of funding lines), in yuan."""

    planned: Decimal
    arrived: Decimal
    spent: Decimal
    residents_planned: Decimal

    @property
    def residents_share(self) -> Decimal | None:
        """Residents' own money ÷ all planned money, half-up to four places (None: no plan)."""
        return share_of(self.residents_planned, self.planned)

    @property
    def arrived_share(self) -> Decimal | None:
        """Arrived ÷ planned, half-up to four places (None: no plan)."""
        return share_of(self.arrived, self.planned)

    def __str__(self):
        return _(
            "planned %(planned)s yuan, arrived %(arrived)s, spent %(spent)s; "
            "residents' own money %(share)s of the plan"
        ) % {
            "planned": format_yuan(self.planned),
            "arrived": format_yuan(self.arrived),
            "spent": format_yuan(self.spent),
            "share": format_share(self.residents_share),
        }


def funding_summary(project) -> FundingSummary:
    """The funds of ``project`` (a project or its id): one query."""
    return FundingSummary(**FundingLine.objects.in_project(project).totals_with_residents())


@dataclass(frozen=True)
class OutputSummary:
    """The task items of a project (or of any set of them): how many, their budget, and how
    far they are done on average (0 to 1, four places; None when nothing is planned)."""

    items: int
    budget: Decimal
    completion: Decimal | None

    def __str__(self):
        return ngettext(
            "%(items)s item, budget %(budget)s yuan, %(completion)s done",
            "%(items)s items, budget %(budget)s yuan, %(completion)s done",
            self.items,
        ) % {
            "items": self.items,
            "budget": format_yuan(self.budget),
            "completion": format_share(self.completion),
        }


def output_summary(project) -> OutputSummary:
    """The task items of ``project`` (a project or its id) in three figures: one query."""
    return OutputSummary(**TaskItem.objects.in_project(project).figures())


def project_completion(outer_ref: str = "pk") -> Subquery:
    """The completion of the project at ``outer_ref``, to annotate a list of projects in its
    own query: ``Project.objects.annotate(completion=project_completion())``.

    Decimal 0 to 1 (four places), or None for a project with nothing planned.
    """
    completion = (
        TaskItem.objects.filter(project=OuterRef(outer_ref))
        .completion_by_project()
        .values("completion")
    )
    return Subquery(completion, output_field=RATIO)
