from django.db import migrations

from residents.roles import sync_roles_migration


class Migration(migrations.Migration):
    """The county office and the auditor read the login lockout's records; the office lifts a
    pause by deleting its record."""

    dependencies = [
        ("residents", "0003_committee_formation_party_members"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(sync_roles_migration, migrations.RunPython.noop)]
