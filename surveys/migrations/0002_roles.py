"""Give the roles their permissions on the surveys app (see residents/roles.py)."""

from django.db import migrations

from residents.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("projects", "0006_review_fixes"),
    ]

    operations = [migrations.RunPython(sync_roles_migration, migrations.RunPython.noop)]
