"""The standard phase durations from which milestones are planned backwards (editable)."""

from django.db import migrations

DEFAULT_DAYS = {
    "consultation": 30,
    "approval": 15,
    "tendering": 30,
    "construction": 150,
    "acceptance": 20,
}


def install(apps, schema_editor):
    PhaseDuration = apps.get_model("projects", "PhaseDuration")
    for phase, days in DEFAULT_DAYS.items():
        PhaseDuration.objects.get_or_create(phase=phase, defaults={"days": days})


class Migration(migrations.Migration):
    dependencies = [("projects", "0002_roles")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
