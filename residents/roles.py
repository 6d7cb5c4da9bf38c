"""The roles of Anju as Django groups, and the permissions each one holds.

Each role lists permission patterns (``app_label.codename``, shell-style wildcards), so models
added later fall into the right roles when ``sync_roles`` runs again: a migration that adds
models ends with ``migrations.RunPython(sync_roles_migration, migrations.RunPython.noop)``.
"""

from fnmatch import fnmatchcase

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

OUR_APPS = ("residents", "projects", "surveys", "acceptance", "cycle", "imports", "governance")


class Role(TextChoices):
    """Group names, in the county's own words (they are shown in the admin)."""

    OFFICE = "县改造办", _("County office staff")
    COMMUNITY = "社区工作人员", _("Community staff")
    VISITOR = "民间小组成员", _("Visit-team member")
    INSPECTOR = "督查人员", _("Inspector")
    LEADER = "县领导", _("Leader")
    AUDITOR = "审计人员", _("Auditor")


#: Roles that work in the admin site (their accounts are staff accounts).
ADMIN_ROLES = {Role.OFFICE, Role.COMMUNITY, Role.VISITOR, Role.INSPECTOR, Role.AUDITOR}

#: The link between a household and its satisfaction answer: readable by the auditor only,
#: and written by no one through the admin (answers come through ``acceptance.services``).
_ANSWERS = "acceptance.*_satisfactionanswer"
#: Likewise the households' evaluations of their property firm: counted, never shown.
_EVALUATIONS = "governance.*_evaluationanswer"

_READ_EVERYTHING = [*(f"{app}.view_*" for app in OUR_APPS), f"-{_ANSWERS}", f"-{_EVALUATIONS}"]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.OFFICE: [
        *(f"{app}.*" for app in OUR_APPS),
        f"-{_ANSWERS}",
        f"-{_EVALUATIONS}",
        # The log of exports is written by the exports themselves, never by hand.
        "-imports.add_exportlog",
        "-imports.change_exportlog",
        "-imports.delete_exportlog",
        # The schedule of the monthly cycle: seen, switched on and off, re-timed; adding or
        # removing its technical entries is left to an administrator.
        "django_celery_beat.view_*",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.change_crontabschedule",
        "admin.view_logentry",
        "auth.view_user",  # to pick the members of visit teams and the owners of staff profiles
        # The login lockout: who was paused, and lifting a pause by deleting its record.
        "axes.view_*",
        "axes.delete_accessattempt",
    ],
    Role.COMMUNITY: [
        "residents.view_personal_data",
        "residents.view_region",
        "residents.view_propertycompany",
        "residents.view_visitteam",
        "residents.*_neighbourhood",
        "residents.*_building",
        "residents.*_household",
        "residents.*_buildinghead",
        "residents.*_ownerscommittee",
        "residents.*_committeemember",
        "-residents.delete_neighbourhood",
        "-residents.view_all_neighbourhoods",
        # Projects of their neighbourhoods: follow them, report progress, post photos and
        # documents; the county office creates projects, moves them and manages funds.
        "projects.view_*",
        "projects.change_taskitem",
        "projects.*_photo",
        "projects.*_disclosure",
        # Consultation in their neighbourhoods: meetings, notices, objections, requests.
        "surveys.*",
        "-surveys.delete_*",
        # Acceptance in their neighbourhoods: follow it, and enter the satisfaction answers
        # collected on paper or door to door.
        "acceptance.view_*",
        "acceptance.enter_answers",
        f"-{_ANSWERS}",
        # The monthly cycle: report their projects' monthly dispatch, read the inspections
        # and record the rectification of findings; read the reports the cycle produces.
        "cycle.view_*",
        "cycle.change_dispatch",
        "cycle.*_dispatchline",
        "cycle.change_finding",
        "-cycle.view_jobrun",
        # Imports of their neighbourhoods' registers (their own uploads).
        "imports.add_importjob",
        "imports.view_importjob",
        # Self-governance in their neighbourhoods (1+3+N): the party members who serve
        # them, the convention and the four meetings (一约四会); the firms' files read only.
        "governance.*_partymember",
        "governance.*_residentsmeeting",
        "governance.view_servicecontract",
        "governance.view_bigpropertyarea",
        "governance.view_areaneighbourhood",
    ],
    Role.VISITOR: [
        "residents.view_region",
        "residents.view_neighbourhood",
        "residents.view_building",
        "residents.view_household",
        "residents.view_visitteam",
        "projects.view_project",
        "projects.view_cataloguekind",
        "surveys.view_visit",
        "surveys.add_visit",
        "surveys.change_visit",
        # Their visit sheets, imported (their own uploads).
        "imports.add_importjob",
        "imports.view_importjob",
    ],
    Role.INSPECTOR: [
        *_READ_EVERYTHING,
        "-residents.view_personal_data",
        # 一月一督查: inspections and their findings.
        "cycle.*_inspection",
        "cycle.*_finding",
        "-cycle.delete_*",
        "-imports.*",
    ],
    Role.LEADER: [
        *_READ_EVERYTHING,
        "-residents.view_personal_data",
        "-imports.*",
    ],
    Role.AUDITOR: [
        *_READ_EVERYTHING,
        "acceptance.view_satisfactionanswer",
        "governance.view_evaluationanswer",
        "django_celery_beat.view_*",
        "admin.view_logentry",
        "auth.view_user",
        "auth.view_group",
        "axes.view_*",
    ],
}


def permission_names(role: Role, available: list[str]) -> set[str]:
    """The ``app_label.codename`` names that ``role`` holds among ``available``.

    Patterns are applied in order; a pattern starting with ``-`` removes what it matches.
    """
    held: set[str] = set()
    for pattern in ROLE_PERMISSIONS[role]:
        if pattern.startswith("-"):
            held -= {name for name in held if fnmatchcase(name, pattern[1:])}
        else:
            held |= {name for name in available if fnmatchcase(name, pattern)}
    return held


def sync_roles(apps) -> None:
    """Create the role groups and give each exactly the permissions of its patterns.

    ``apps`` is an app registry: the historical one inside a migration, or
    ``django.apps.apps``.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    by_name = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set([by_name[name] for name in permission_names(role, list(by_name))])


def sync_roles_migration(apps, schema_editor):
    sync_roles(apps)
