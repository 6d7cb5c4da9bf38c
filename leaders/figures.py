"""What the leader pages make of the month's figures (``cycle.snapshots``' schema): the two
batches, changes against the previous month, percentages, amounts in 10,000 yuan. Plain
functions over the figures already read: no query."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from cycle.bulletin import percent as percent_of  # noqa: F401  (one rounding with the bulletin)
from projects.models import CatalogueKind, Project

Status = Project.Status

#: The two batches shown side by side (``cycle.snapshots.BATCHES``, which the county's outputs
#: are summed by): the projects accepted (and handed over), and the current batch (every
#: project past the draft and not yet accepted).
BATCHES = {
    "accepted": {"label": _("Accepted projects"), "statuses": tuple(Project.FINISHED_STATUSES)},
    "current": {
        "label": _("Current batch"),
        "statuses": (Status.CONSULTING, *Project.ACTIVE_STATUSES),
    },
}


def plain(value) -> str:
    """A quantity without trailing zeros ("312.00" → "312", "12.50" → "12.5")."""
    if value in (None, ""):
        return "—"
    text = f"{Decimal(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def wan(value) -> Decimal:
    """Yuan as 10,000 yuan (万元), two places."""
    return (Decimal(value or 0) / 10000).quantize(Decimal("0.01"), ROUND_HALF_UP)


def change(now, before) -> str | None:
    """``now - before`` signed ("+3", "-1.5", "±0"), or None when there is nothing before."""
    if before is None or now is None:
        return None
    difference = Decimal(str(now)) - Decimal(str(before))
    text = plain(difference)
    if not difference:
        return "±0"
    return f"+{text}" if difference > 0 else text


def outputs_by_batch(county_outputs: dict) -> list[dict]:
    """Per catalogue kind (in the catalogue's order): its name and unit, and per batch the
    quantities planned and completed, as the county's figures hold them."""
    rows = []
    for code, kind in sorted(county_outputs.items(), key=lambda pair: pair[1]["order"]):
        by_batch = kind.get("by_batch", {})
        rows.append(
            {
                "code": code,
                "name": kind["name"],
                "name_en": kind["name_en"],
                "unit": CatalogueKind.Unit(kind["unit"]).label if kind["unit"] else "",
                **{
                    key: {
                        name: plain(by_batch.get(key, {}).get(name, 0))
                        for name in ("planned", "completed")
                    }
                    for key in BATCHES
                },
            }
        )
    return rows
