"""The county's frozen outputs, summed by batch as well (``by_batch``: the accepted and the
current projects), from the projects' snapshots of the same month, so the leader pages read
one snapshot per month instead of summing every project's."""

from decimal import Decimal

from django.db import migrations

FINISHED = ("accepted", "handed_over")


def add_by_batch(apps, schema_editor):
    CountySnapshot = apps.get_model("cycle", "CountySnapshot")
    ProjectSnapshot = apps.get_model("cycle", "ProjectSnapshot")
    for county in CountySnapshot.objects.all():
        outputs = county.figures.get("outputs", {})
        sums = {
            code: {
                batch: {"planned": Decimal(0), "completed": Decimal(0)}
                for batch in ("accepted", "current")
            }
            for code in outputs
        }
        frozen = ProjectSnapshot.objects.filter(month=county.month).values_list(
            "figures", flat=True
        )
        for figures in frozen.iterator():
            batch = "accepted" if figures.get("status") in FINISHED else "current"
            for code, quantities in figures.get("outputs", {}).items():
                if code in sums:
                    for name in ("planned", "completed"):
                        sums[code][batch][name] += Decimal(quantities[name])
        for code, kind in outputs.items():
            kind["by_batch"] = {
                batch: {name: str(value.quantize(Decimal("0.01"))) for name, value in q.items()}
                for batch, q in sums[code].items()
            }
        county.save(update_fields=["figures"])


def drop_by_batch(apps, schema_editor):
    CountySnapshot = apps.get_model("cycle", "CountySnapshot")
    for county in CountySnapshot.objects.all():
        for kind in county.figures.get("outputs", {}).values():
            kind.pop("by_batch", None)
        county.save(update_fields=["figures"])


class Migration(migrations.Migration):
    dependencies = [("cycle", "0002_criteria_schedule_roles")]

    operations = [migrations.RunPython(add_by_batch, drop_by_batch)]
