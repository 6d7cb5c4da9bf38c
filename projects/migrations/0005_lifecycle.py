"""The lifecycle's last guard in the database: a project enters each status once, and a
status change changes the status."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_catalogue")]

    operations = [
        migrations.AddConstraint(
            model_name="projecttransition",
            constraint=models.UniqueConstraint(
                fields=("project", "to_status"),
                name="projects_projecttransition_once_per_status",
                violation_error_message="The project has already entered this status.",
            ),
        ),
        migrations.AddConstraint(
            model_name="projecttransition",
            constraint=models.CheckConstraint(
                condition=~models.Q(from_status=models.F("to_status")),
                name="projects_projecttransition_changes_status",
                violation_error_message="A status change must change the status.",
            ),
        ),
    ]
