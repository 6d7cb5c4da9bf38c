"""What the leader pages make of the month's figures (``cycle.snapshots``' schema): sums by
batch, changes against the previous month, amounts in 10,000 yuan. Plain functions over the
figures already read: no query."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from projects.models import CatalogueKind, Project

Status = Project.Status

#: The two batches shown side by side: the projects accepted (and handed over), and the
#: current batch (every project past the draft and not yet accepted).
BATCHES = {
    "accepted": {"label": _("Accepted projects"), "statuses": tuple(Project.FINISHED_STATUSES)},
    "current": {
        "label": _("Current batch"),
        "statuses": (Status.CONSULTING, *Project.ACTIVE_STATUSES),
    },
}


def batch_of(status: str) -> str | None:
    for key, batch in BATCHES.items():
        if status in batch["statuses"]:
            return key
    return None


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
    """``now - before`` signed ("+3", "-1.5", "0"), or None when there is nothing before."""
    if before is None or now is None:
        return None
    difference = Decimal(str(now)) - Decimal(str(before))
    text = plain(difference)
    return f"+{text}" if difference > 0 else text


def outputs_by_batch(county_outputs: dict, projects: dict) -> list[dict]:
    """Per catalogue kind (in the catalogue's order): its name and unit, and per batch the
    planned and completed quantities summed from the projects' figures."""
    sums = {
        code: {key: {"planned": Decimal(0), "completed": Decimal(0)} for key in BATCHES}
        for code in county_outputs
    }
    for figures in projects.values():
        batch = batch_of(figures["status"])
        if batch is None:
            continue
        for code, quantities in figures["outputs"].items():
            if code in sums:
                for name in ("planned", "completed"):
                    sums[code][batch][name] += Decimal(quantities[name])
    rows = []
    for code, kind in sorted(county_outputs.items(), key=lambda pair: pair[1]["order"]):
        rows.append(
            {
                "code": code,
                "name": kind["name"],
                "name_en": kind["name_en"],
                "unit": CatalogueKind.Unit(kind["unit"]).label if kind["unit"] else "",
                **{
                    key: {name: plain(value) for name, value in sums[code][key].items()}
                    for key in BATCHES
                },
            }
        )
    return rows
