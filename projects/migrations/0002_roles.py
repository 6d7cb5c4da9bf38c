"""Give the roles their permissions on the projects app (see residents/roles.py)."""

from django.db import migrations

from residents.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        ("residents", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles_migration, migrations.RunPython.noop)]
