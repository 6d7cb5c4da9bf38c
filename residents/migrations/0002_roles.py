"""Create the six roles of Anju as groups with their permissions (see residents/roles.py)."""

from django.db import migrations

from residents.roles import sync_roles_migration


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(sync_roles_migration, migrations.RunPython.noop)]
