"""The county's task catalogue (filled in below)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("projects", "0003_phase_durations")]

    operations = []
