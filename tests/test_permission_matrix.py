"""The permission matrix: what every page of the site answers to every kind of visitor.

Visitors: anonymous, a resident (holding a household's link, /h/<token>/…), and one user of
each role of ``residents.roles`` (community staff and the visit team work in 东城社区).
The expectations are written out below, by hand: ``ADMIN_MODELS`` says what each staff role
may do with each model in the admin, ``SITE`` what every other page answers. A URL pattern or
admin model without a row fails ``test_every_url_and_admin_model_has_a_row``.

Community staff's scope is tried on every door of every model they may read whose rows belong
to a community: the list, each row by its URL (own and another community's), the export and
every autocomplete field offering such rows; ``test_scoping_doors`` adds the actions and the
import.

The world is the demo county, loaded once for the module inside a transaction rolled back at
its end.
"""

import datetime
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse

from residents.roles import Role

from .conftest import make_user
from .factories import VisitTeamFactory
from .formdata import form_data

pytestmark = pytest.mark.django_db

VISITORS = (
    "anonymous",
    "resident",
    "office",
    "community",
    "visitor",
    "inspector",
    "auditor",
    "leader",
)
STAFF = ("office", "community", "visitor", "inspector", "auditor")
ROLES = {
    "office": Role.OFFICE,
    "community": Role.COMMUNITY,
    "visitor": Role.VISITOR,
    "inspector": Role.INSPECTOR,
    "auditor": Role.AUDITOR,
    "leader": Role.LEADER,
}
OWN_COMMUNITY = "东城社区"
UNKNOWN_TOKEN = "x" * 32

# Where a row's community lies, for the models whose rows belong to one community.
COMMUNITY_PATHS = {
    "residents.neighbourhood": "community",
    "residents.building": "neighbourhood__community",
    "residents.household": "building__neighbourhood__community",
    "residents.ownerscommittee": "community",
    "residents.buildinghead": "neighbourhood__community",
    "residents.visitteam": "neighbourhoods__community",
    "residents.staffprofile": "communities",
    "projects.photo": "project__neighbourhood__community",
    "projects.disclosure": "project__neighbourhood__community",
    "projects.taskitem": "project__neighbourhood__community",
    "projects.fundingline": "project__neighbourhood__community",
    "projects.project": "neighbourhood__community",
    "surveys.visit": "household__building__neighbourhood__community",
    "surveys.discussion": "project__neighbourhood__community",
    "surveys.householdlink": "household__building__neighbourhood__community",
    "surveys.publicnotice": "project__neighbourhood__community",
    "surveys.objection": "notice__project__neighbourhood__community",
    "surveys.residentrequest": "neighbourhood__community",
    "acceptance.acceptancecheck": "project__neighbourhood__community",
    "acceptance.satisfactionanswer": "respondent__household__building__neighbourhood__community",
    "acceptance.acceptancedecision": "project__neighbourhood__community",
    "acceptance.surveyround": "project__neighbourhood__community",
    "cycle.dispatch": "project__neighbourhood__community",
    "cycle.inspection": "project__neighbourhood__community",
    "cycle.finding": "inspection__project__neighbourhood__community",
    "cycle.ranking": "project__neighbourhood__community",
    "cycle.projectsnapshot": "project__neighbourhood__community",
    "governance.partymember": "neighbourhood__community",
    "governance.residentsmeeting": "neighbourhood__community",
    "imports.importjob": "uploaded_by__staff_profile__communities",
    "imports.exportlog": "user__staff_profile__communities",
}


def _extra_rows(users):
    """Rows of the models the demo county leaves empty."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.core.files.base import ContentFile
    from django_celery_beat.models import ClockedSchedule, IntervalSchedule, SolarSchedule

    from governance.models import CompanyDecision
    from imports.models import ExportLog, ImportJob
    from residents.models import Household, PropertyCompany

    ClockedSchedule.objects.create(clocked_time=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC))
    SolarSchedule.objects.create(event="sunrise", latitude=33, longitude=108)
    IntervalSchedule.objects.create(every=1, period="days")
    LogEntry.objects.log_actions(
        user_id=users["office"].pk,
        queryset=Household.objects.all()[:1],
        action_flag=CHANGE,
        change_message="changed room",
    )
    for uploader in (users["community"], users["office"]):
        job = ImportJob(
            kind="households", file_name="户.xlsx", uploaded_by=uploader, state="checked"
        )
        job.file.save("户.xlsx", ContentFile(b"x"), save=False)
        job.report.save("户-结果.xlsx", ContentFile(b"x"), save=False)
        job.save()
        ExportLog.objects.create(
            user=uploader,
            model="residents.household",
            file_format="csv",
            rows=1,
            personal_data=False,
        )
    AccessAttempt.objects.create(username="clerk", ip_address="192.0.2.9", failures_since_start=2)
    AccessLog.objects.create(username="clerk", ip_address="192.0.2.9")
    AccessFailureLog.objects.create(username="clerk", ip_address="192.0.2.9", locked_out=False)
    CompanyDecision.objects.create(
        company=PropertyCompany.objects.first(),
        kind="blacklist",
        decided_on=datetime.date(2025, 1, 1),
        reason="违规",
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The demo county, one user of each role (community staff and the visit team in
    东城社区), a household link held by a resident of 东城社区, and for every admin model an
    ``own`` row (in 东城社区 for rows of a community) and an ``other`` one (elsewhere)."""
    from residents.models import Household, Neighbourhood, Region
    from surveys.links import issue_link

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        own = Region.objects.get(name=OWN_COMMUNITY)
        users = {
            name: make_user(
                role, username=f"matrix-{name}", communities=[own] if name == "community" else ()
            )
            for name, role in ROLES.items()
        }
        VisitTeamFactory(
            neighbourhoods=Neighbourhood.objects.filter(community=own), members=[users["visitor"]]
        )
        _extra_rows(users)
        household = Household.objects.filter(building__neighbourhood__community=own).first()
        token = issue_link(household, by=users["office"])
        rows = {}
        for model in admin.site._registry:
            label = model._meta.label_lower
            rows_of = model._default_manager.order_by("pk")
            if path := COMMUNITY_PATHS.get(label):
                rows[label] = (
                    rows_of.filter(**{path: own}).first(),
                    rows_of.exclude(**{path: own}).first(),
                )
            else:
                rows[label] = (rows_of.first(), None)
            for row in rows[label]:
                if hasattr(row, "history") and not row.history.exists():
                    row.save()  # rows written in bulk have no history record yet
        yield SimpleNamespace(users=users, token=token, rows=rows, own=own, household=household)
        transaction.set_rollback(True)


def _own(w, label):
    return w.rows[label][0]


def _admin(name, *args):
    return reverse(f"admin:{name}", args=args)


# Pages beyond each admin model's list, add, change, delete and history: how to reach each.
PAGES = {
    "home": lambda w: reverse("home"),
    "healthz": lambda w: reverse("healthz"),
    "login": lambda w: reverse("login"),
    "logout": lambda w: reverse("logout"),
    "set_language": lambda w: reverse("set_language"),
    "projects:notice_index": lambda w: reverse("projects:notice_index"),
    "projects:notice_detail": lambda w: reverse(
        "projects:notice_detail", args=[_own(w, "surveys.publicnotice").project_id]
    ),
    "cycle:bulletin_list": lambda w: reverse("cycle:bulletin_list"),
    "cycle:bulletin_detail": lambda w: reverse("cycle:bulletin_detail", args=[_bulletin(w)]),
    "cycle:bulletin_docx": lambda w: reverse("cycle:bulletin_docx", args=[_bulletin(w)]),
    "cycle:bulletin_xlsx": lambda w: reverse("cycle:bulletin_xlsx", args=[_bulletin(w)]),
    "cycle:meeting_list": lambda w: reverse("cycle:meeting_list"),
    "cycle:meeting_detail": lambda w: reverse("cycle:meeting_detail", args=[_quarter(w)]),
    "cycle:meeting_docx": lambda w: reverse("cycle:meeting_docx", args=[_quarter(w)]),
    "leaders:overview": lambda w: reverse("leaders:overview"),
    "leaders:overview_month": lambda w: reverse("leaders:overview_month", args=[_bulletin(w)]),
    "leaders:project_list": lambda w: reverse("leaders:project_list", args=[_bulletin(w)]),
    "leaders:output_items": lambda w: reverse(
        "leaders:output_items", args=[_bulletin(w), _own(w, "projects.cataloguekind").code]
    ),
    "leaders:funding_lines": lambda w: reverse("leaders:funding_lines", args=[_bulletin(w)]),
    "leaders:requests": lambda w: reverse("leaders:requests", args=[_bulletin(w)]),
    "leaders:inspections": lambda w: reverse("leaders:inspections", args=[_bulletin(w)]),
    "leaders:ranking": lambda w: reverse("leaders:ranking"),
    "leaders:ranking_month": lambda w: reverse("leaders:ranking_month", args=[_bulletin(w)]),
    "leaders:project_detail": lambda w: reverse(
        "leaders:project_detail", args=[_own(w, "projects.project").pk]
    ),
    "leaders:governance": lambda w: reverse("leaders:governance"),
    "leaders:firm": lambda w: reverse(
        "leaders:firm", args=[_own(w, "residents.propertycompany").pk]
    ),
    # A resident holds the household's link; everyone else tries a token that opens nothing.
    "surveys:household_home": lambda w: f"/h/{w.token}/",
    "surveys:household_opinion": lambda w: f"/h/{w.token}/opinion/",
    "surveys:household_objection": lambda w: f"/h/{w.token}/objection/",
    "h/<str:token>/<path:rest>/": lambda w: f"/h/{w.token}/elsewhere/",
    "acceptance:household_survey": lambda w: f"/h/{w.token}/satisfaction/",
    "governance:household_evaluation": lambda w: f"/h/{w.token}/property/",
    "acceptance_report:page": lambda w: reverse(
        "acceptance_report:page", args=[_own(w, "acceptance.acceptancedecision").project_id]
    ),
    "acceptance_report:docx": lambda w: reverse(
        "acceptance_report:docx", args=[_own(w, "acceptance.acceptancedecision").project_id]
    ),
    "admin:index": lambda w: _admin("index"),
    "admin:login": lambda w: _admin("login"),
    "admin:logout": lambda w: _admin("logout"),
    "admin:password_change": lambda w: _admin("password_change"),
    "admin:password_change_done": lambda w: _admin("password_change_done"),
    "admin:autocomplete": lambda w: (
        _admin("autocomplete") + "?app_label=residents&model_name=household&field_name=building"
    ),
    "admin:jsi18n": lambda w: _admin("jsi18n"),
    "admin:view_on_site": lambda w: _view_on_site(w),
    "admin:app_list": lambda w: reverse("admin:app_list", args=["residents"]),
    "admin/(?P<url>.*)$": lambda w: "/admin/no-such-page/",
    "admin:auth_user_password_change": lambda w: _admin(
        "auth_user_password_change", _own(w, "auth.user").pk
    ),
    "admin:residents_neighbourhood_export": lambda w: _admin("residents_neighbourhood_export"),
    "admin:residents_building_export": lambda w: _admin("residents_building_export"),
    "admin:residents_household_export": lambda w: _admin("residents_household_export"),
    "admin:projects_taskitem_export": lambda w: _admin("projects_taskitem_export"),
    "admin:surveys_visit_export": lambda w: _admin("surveys_visit_export"),
    "admin:projects_project_transition": lambda w: _admin(
        "projects_project_transition", _own(w, "projects.project").pk, "start"
    ),
    "admin:projects_project_plan_schedule": lambda w: _admin(
        "projects_project_plan_schedule", _own(w, "projects.project").pk
    ),
    "admin:projects_project_audit": lambda w: _admin(
        "projects_project_audit", _own(w, "projects.project").pk
    ),
    "admin:surveys_visit_coverage": lambda w: _admin("surveys_visit_coverage"),
    "admin:surveys_visit_work_list": lambda w: _admin("surveys_visit_work_list"),
    "admin:surveys_discussion_close": lambda w: _admin(
        "surveys_discussion_close", _own(w, "surveys.discussion").pk
    ),
    "admin:surveys_residentrequest_step": lambda w: _admin(
        "surveys_residentrequest_step", _own(w, "surveys.residentrequest").pk, "answer"
    ),
    "admin:surveys_householdlink_cards": lambda w: _admin("surveys_householdlink_cards"),
    "admin:surveys_householdlink_building_cards": lambda w: _admin(
        "surveys_householdlink_building_cards", w.household.building_id
    ),
    "admin:acceptance_acceptancecheck_recheck": lambda w: _admin(
        "acceptance_acceptancecheck_recheck", _own(w, "acceptance.acceptancecheck").pk
    ),
    "admin:acceptance_surveyround_close": lambda w: _admin(
        "acceptance_surveyround_close", _own(w, "acceptance.surveyround").pk
    ),
    "admin:acceptance_surveyround_answer": lambda w: _admin(
        "acceptance_surveyround_answer", _own(w, "acceptance.surveyround").pk
    ),
    "admin:cycle_finding_rectify": lambda w: _admin(
        "cycle_finding_rectify", _own(w, "cycle.finding").pk
    ),
    "admin:cycle_finding_reopen": lambda w: _admin(
        "cycle_finding_reopen", _own(w, "cycle.finding").pk
    ),
    "admin:imports_importjob_upload": lambda w: _admin("imports_importjob_upload", "households"),
    "admin:imports_importjob_template": lambda w: _admin(
        "imports_importjob_template", "households"
    ),
    "admin:imports_importjob_import": lambda w: _admin(
        "imports_importjob_import", _own(w, "imports.importjob").pk
    ),
    "admin:imports_importjob_report": lambda w: _admin(
        "imports_importjob_report", _own(w, "imports.importjob").pk
    ),
}


def _bulletin(w):
    from cycle.models import Bulletin

    return Bulletin.objects.order_by("month").first().month.strftime("%Y-%m")


def _quarter(w):
    from cycle.models import LeadershipMeeting

    return LeadershipMeeting.objects.first().quarter


def _view_on_site(w):
    from django.contrib.contenttypes.models import ContentType

    notice = _own(w, "surveys.publicnotice")
    return _admin("view_on_site", ContentType.objects.get_for_model(notice).pk, notice.pk)


def _visit(client, w, visitor, url):
    cache.clear()  # the household pages' rate limits
    client.logout()
    if visitor not in ("anonymous", "resident"):
        client.force_login(w.users[visitor])
    if visitor != "resident":
        url = url.replace(w.token, UNKNOWN_TOKEN)
    return answer(client.get(url))


# What each staff role may do with each model in the admin: v(iew), a(dd), c(hange),
# d(elete), "-" where it may not. Anonymous visitors, residents and leaders have no staff
# account: every admin page sends them to the admin's login.
#                                      office  community visitor inspector auditor
ADMIN_MODELS = {
    "auth.group":                        ("----", "----", "----", "----", "v---"),
    "auth.user":                         ("v---", "----", "----", "----", "v---"),
    "admin.logentry":                    ("v---", "----", "----", "----", "v---"),
    "django_celery_beat.periodictask":   ("v-c-", "----", "----", "----", "v---"),
    "django_celery_beat.crontabschedule": ("v-c-", "----", "----", "----", "v---"),
    "django_celery_beat.clockedschedule": ("v---", "----", "----", "----", "v---"),
    "django_celery_beat.solarschedule":  ("v---", "----", "----", "----", "v---"),
    "django_celery_beat.intervalschedule": ("v---", "----", "----", "----", "v---"),
    "axes.accessattempt":                ("v--d", "----", "----", "----", "v---"),
    "axes.accesslog":                    ("v---", "----", "----", "----", "v---"),
    "axes.accessfailurelog":             ("v---", "----", "----", "----", "v---"),
    "residents.region":                  ("vacd", "v---", "v---", "v---", "v---"),
    "residents.neighbourhood":           ("vacd", "vac-", "v---", "v---", "v---"),
    "residents.building":                ("vacd", "vacd", "v---", "v---", "v---"),
    "residents.household":               ("vacd", "vacd", "v---", "v---", "v---"),
    "residents.ownerscommittee":         ("vacd", "vacd", "----", "v---", "v---"),
    "residents.buildinghead":            ("vacd", "vacd", "----", "v---", "v---"),
    "residents.visitteam":               ("vacd", "v---", "v---", "v---", "v---"),
    "residents.staffprofile":            ("vacd", "----", "----", "v---", "v---"),
    "residents.propertycompany":         ("vacd", "v---", "----", "v---", "v---"),
    "projects.project":                  ("vac-", "v---", "v---", "v---", "v---"),
    "projects.phaseduration":            ("v-c-", "v---", "----", "v---", "v---"),
    "projects.cataloguekind":            ("vac-", "v---", "v---", "v---", "v---"),
    "projects.taskitem":                 ("vac-", "v-c-", "----", "v---", "v---"),
    "projects.fundingline":              ("vacd", "v---", "----", "v---", "v---"),
    "projects.photo":                    ("vacd", "vacd", "----", "v---", "v---"),
    "projects.disclosure":               ("vacd", "vacd", "----", "v---", "v---"),
    "surveys.visit":                     ("vacd", "vac-", "vac-", "v---", "v---"),
    "surveys.householdlink":             ("v-c-", "v-c-", "----", "v---", "v---"),
    "surveys.discussion":                ("vac-", "vac-", "----", "v---", "v---"),
    "surveys.publicnotice":              ("vac-", "vac-", "----", "v---", "v---"),
    "surveys.objection":                 ("vac-", "vac-", "----", "v---", "v---"),
    "surveys.residentrequest":           ("vac-", "vac-", "----", "v---", "v---"),
    "acceptance.checklisttemplateitem":  ("vac-", "v---", "----", "v---", "v---"),
    "acceptance.acceptancecheck":        ("vac-", "v---", "----", "v---", "v---"),
    "acceptance.surveyround":            ("vac-", "v---", "----", "v---", "v---"),
    "acceptance.satisfactionanswer":     ("----", "----", "----", "----", "v---"),
    "acceptance.acceptancedecision":     ("v---", "v---", "----", "v---", "v---"),
    "cycle.dispatch":                    ("v-c-", "v-c-", "----", "v---", "v---"),
    "cycle.inspection":                  ("vacd", "v---", "----", "vac-", "v---"),
    "cycle.finding":                     ("v-cd", "v-c-", "----", "v-c-", "v---"),
    "cycle.inspectionreport":            ("v---", "v---", "----", "v---", "v---"),
    "cycle.rankingcriterion":            ("v-c-", "v---", "----", "v---", "v---"),
    "cycle.ranking":                     ("v---", "v---", "----", "v---", "v---"),
    "cycle.projectsnapshot":             ("v---", "v---", "----", "v---", "v---"),
    "cycle.countysnapshot":              ("v---", "v---", "----", "v---", "v---"),
    "cycle.bulletin":                    ("v---", "v---", "----", "v---", "v---"),
    "cycle.leadershipmeeting":           ("v-cd", "v---", "----", "v---", "v---"),
    "cycle.jobrun":                      ("v---", "----", "----", "v---", "v---"),
    "imports.importjob":                 ("v--d", "v---", "v---", "----", "v---"),
    "imports.exportlog":                 ("v---", "----", "----", "----", "v---"),
    "governance.grade":                  ("vacd", "----", "----", "v---", "v---"),
    "governance.negativeitem":           ("vacd", "----", "----", "v---", "v---"),
    "governance.creditrecord":           ("vacd", "----", "----", "v---", "v---"),
    "governance.assessment":             ("v-c-", "----", "----", "v---", "v---"),
    "governance.companydecision":        ("vacd", "----", "----", "v---", "v---"),
    "governance.evaluationround":        ("vac-", "----", "----", "v---", "v---"),
    "governance.partymember":            ("vacd", "vacd", "----", "v---", "v---"),
    "governance.residentsmeeting":       ("vacd", "vacd", "----", "v---", "v---"),
    "governance.bigpropertyarea":        ("vacd", "v---", "----", "v---", "v---"),
}  # fmt: skip

#: Models whose admin shows community staff and visit teams only the rows of their own
#: communities and neighbourhoods: another community's row is "missing" (back to the index).
SCOPED = set(COMMUNITY_PATHS) - {"residents.staffprofile", "imports.exportlog", "imports.importjob"}

#: Models whose demo row is settled (a task item done, a discussion closed, a check concluded,
#: a survey round closed, a dispatch reported, an assessment final): nobody changes it.
SETTLED = {
    "projects.taskitem",
    "surveys.discussion",
    "acceptance.acceptancecheck",
    "acceptance.surveyround",
    "cycle.dispatch",
    "governance.assessment",
}

#: Where a page answers otherwise than its model's letters say, and why.
EXCEPTIONS = {
    # A visitor's own row of the import jobs is community staff's upload, which is not theirs:
    # the job's page answers 404, and the history "missing, back to the index".
    ("imports.importjob", "change own", "visitor"): "404",
    ("imports.importjob", "history own", "visitor"): "index",
    # Community staff see their own uploads only, not the county office's.
    ("imports.importjob", "change other", "community"): "404",
    ("imports.importjob", "history other", "community"): "index",
    ("imports.importjob", "change other", "visitor"): "404",
    ("imports.importjob", "history other", "visitor"): "index",
}

# The other pages of the site, for: anonymous, resident (holding the household's link),
# office, community, visitor, inspector, auditor, leader. "login" and "admin" are
# redirects to the site's and the admin's login, "index" one to the admin's index, "home" to
# the home page, "redirect" one elsewhere (the page itself under a month, or a POST-only
# page's way back to its object).
SITE = {
    "home":                          "login login 200 200 200 200 200 200",
    "healthz":                       "200 200 200 200 200 200 200 200",
    "login":                         "200 200 200 200 200 200 200 200",
    "logout":                        "405 405 405 405 405 405 405 405",
    "set_language":                  "home home home home home home home home",
    "projects:notice_index":         "200 200 200 200 200 200 200 200",
    "projects:notice_detail":        "200 200 200 200 200 200 200 200",
    "cycle:bulletin_list":           "login login 200 200 403 200 200 200",
    "cycle:bulletin_detail":         "login login 200 200 403 200 200 200",
    "cycle:bulletin_docx":           "login login 200 200 403 200 200 200",
    "cycle:bulletin_xlsx":           "login login 200 200 403 200 200 200",
    "cycle:meeting_list":            "login login 200 200 403 200 200 200",
    "cycle:meeting_detail":          "login login 200 200 403 200 200 200",
    "cycle:meeting_docx":            "login login 200 200 403 200 200 200",
    "leaders:overview":              "login login 200 403 403 200 200 200",
    "leaders:overview_month":        "login login 200 403 403 200 200 200",
    "leaders:project_list":          "login login 200 403 403 200 200 200",
    "leaders:output_items":          "login login 200 403 403 200 200 200",
    "leaders:funding_lines":         "login login 200 403 403 200 200 200",
    "leaders:requests":              "login login 200 403 403 200 200 200",
    "leaders:inspections":           "login login 200 403 403 200 200 200",
    "leaders:ranking":               "login login redirect 403 403 redirect redirect redirect",
    "leaders:ranking_month":         "login login 200 403 403 200 200 200",
    "leaders:project_detail":        "login login 200 403 403 200 200 200",
    "leaders:governance":            "login login 200 403 403 200 200 200",
    "leaders:firm":                  "login login 200 403 403 200 200 200",
    "surveys:household_home":        "404 200 404 404 404 404 404 404",
    "surveys:household_opinion":     "404 redirect 404 404 404 404 404 404",
    "surveys:household_objection":   "404 redirect 404 404 404 404 404 404",
    "h/<str:token>/<path:rest>/":    "404 404 404 404 404 404 404 404",
    "acceptance:household_survey":   "404 200 404 404 404 404 404 404",
    "governance:household_evaluation": "404 200 404 404 404 404 404 404",
    "acceptance_report:page":        "admin admin 200 200 200 200 200 admin",
    "acceptance_report:docx":        "admin admin 200 200 200 200 200 admin",
    "acceptance_report:page other":  "admin admin 200 404 404 200 200 admin",
    "admin:index":                   "admin admin 200 200 200 200 200 admin",
    "admin:login":                   "200 200 index index index index index 200",
    "admin:logout":                  "index index 405 405 405 405 405 index",
    "admin:password_change":         "admin admin 200 200 200 200 200 admin",
    "admin:password_change_done":    "admin admin 200 200 200 200 200 admin",
    "admin:autocomplete":            "admin admin 200 200 200 200 200 admin",
    "admin:jsi18n":                  "admin admin 200 200 200 200 200 admin",
    "admin:view_on_site":            "admin admin 404 404 404 404 404 admin",
    "admin:app_list":                "admin admin 200 200 200 200 200 admin",
    "admin/(?P<url>.*)$":            "admin admin 404 404 404 404 404 admin",
    "admin:auth_user_password_change": "admin admin 403 403 403 403 403 admin",
    "admin:residents_neighbourhood_export": "admin admin 200 200 200 200 200 admin",
    "admin:residents_building_export": "admin admin 200 200 200 200 200 admin",
    "admin:residents_household_export": "admin admin 200 200 200 200 200 admin",
    "admin:projects_taskitem_export": "admin admin 200 200 200 200 200 admin",
    "admin:surveys_visit_export":    "admin admin 200 200 200 200 200 admin",
    "admin:projects_project_transition": "admin admin 405 405 405 405 405 admin",
    "admin:projects_project_plan_schedule": "admin admin 405 405 405 405 405 admin",
    "admin:projects_project_audit":  "admin admin 200 200 200 200 200 admin",
    "admin:surveys_visit_coverage":  "admin admin 200 200 200 200 200 admin",
    "admin:surveys_visit_work_list": "admin admin 200 200 200 200 200 admin",
    "admin:surveys_discussion_close": "admin admin 405 405 405 405 405 admin",
    "admin:surveys_residentrequest_step": "admin admin 405 405 405 405 405 admin",
    "admin:surveys_householdlink_cards": "admin admin 200 200 403 403 403 admin",
    "admin:surveys_householdlink_building_cards": "admin admin 200 200 403 403 403 admin",
    "admin:acceptance_acceptancecheck_recheck": "admin admin 405 405 405 405 405 admin",
    "admin:acceptance_surveyround_close": "admin admin redirect 403 403 403 403 admin",
    "admin:acceptance_surveyround_answer": "admin admin redirect redirect 403 403 403 admin",
    "admin:cycle_finding_rectify":   "admin admin redirect redirect 403 redirect 403 admin",
    "admin:cycle_finding_reopen":    "admin admin 200 403 403 200 403 admin",
    "admin:imports_importjob_upload": "admin admin 200 200 403 403 403 admin",
    "admin:imports_importjob_template": "admin admin 200 200 403 403 403 admin",
    "admin:imports_importjob_import": "admin admin 404 404 404 404 404 admin",
    "admin:imports_importjob_report": "admin admin 200 200 404 403 200 admin",
}  # fmt: skip

PAGES["acceptance_report:page other"] = lambda w: reverse(
    "acceptance_report:page", args=[w.rows["acceptance.acceptancedecision"][1].project_id]
)

#: Admin pages named after the model they belong to ("admin:<app>_<model>_<view>").
MODEL_VIEWS = ("changelist", "add", "change", "history", "delete", "simple_history")


def answer(response) -> str:
    """A response in a word: its status, or where it redirects."""
    if response.status_code != 302:
        return str(response.status_code)
    to = response.url
    if to.startswith(reverse("admin:login")):
        return "admin"
    if to.startswith(resolve_url(settings.LOGIN_URL)):
        return "login"
    if to == reverse("admin:index"):
        return "index"
    if to == "/":
        return "home"
    return "redirect"


def _visit(client, w, visitor, url):
    """What ``visitor`` gets at ``url``."""
    cache.clear()  # the household pages' rate limits
    client.logout()
    if visitor in w.users:
        client.force_login(w.users[visitor])
    if visitor != "resident":
        url = url.replace(w.token, UNKNOWN_TOKEN)
    response = client.get(url)
    return answer(response), response


def _assert_answers(expected: dict, observed: dict, where: str):
    wrong = [
        f"{visitor}: expected {expected[visitor]}, got {observed[visitor]}"
        for visitor in observed
        if observed[visitor] != expected[visitor]
    ]
    assert not wrong, f"{where}\n" + "\n".join(wrong)


@pytest.mark.parametrize("name", SITE)
def test_site_page(client, world, name):
    url = PAGES[name](world)
    expected = dict(zip(VISITORS, SITE[name].split(), strict=True))
    observed = {visitor: _visit(client, world, visitor, url)[0] for visitor in VISITORS}
    _assert_answers(expected, observed, f"{name} ({url})")


def _has_simple_history(label):
    try:
        reverse(f"admin:{label.replace('.', '_')}_simple_history", args=[1, 1])
    except NoReverseMatch:
        return False
    return True


def _model_pages():
    for label in ADMIN_MODELS:
        yield label, "changelist"
        yield label, "add"
        for which in ("own", "other") if label in COMMUNITY_PATHS else ("own",):
            for view in ("change", "history", "delete"):
                yield label, f"{view} {which}"
            if _has_simple_history(label):
                yield label, f"simple_history {which}"


def _expected(label, page, role):
    """The answer of ``page`` for a staff ``role``, from the model's letters."""
    if (label, page, role) in EXCEPTIONS:
        return EXCEPTIONS[label, page, role]
    view, _sep, which = page.partition(" ")
    may = ADMIN_MODELS[label][STAFF.index(role)]
    allowed = {"changelist": "v", "add": "a", "delete": "d"}.get(view, "v") in may
    if which == "other" and label in SCOPED and role in ("community", "visitor"):
        # Django's history pages look the row up before the permission.
        return "index" if allowed or "history" in view else "403"
    return "200" if allowed else "403"


def _model_url(w, label, page):
    view, _sep, which = page.partition(" ")
    info = label.replace(".", "_")
    if not which:
        return _admin(f"{info}_{view}")
    row = w.rows[label][0 if which == "own" else 1]
    if view == "simple_history":
        return _admin(f"{info}_simple_history", row.pk, row.history.first().history_id)
    return _admin(f"{info}_{view}", row.pk)


@pytest.mark.parametrize(("label", "page"), list(_model_pages()))
def test_admin_page(client, world, label, page):
    url = _model_url(world, label, page)
    # The county-wide roles see another community's rows as their own: only the scoped roles
    # are asked for them.
    roles = ("community", "visitor") if page.endswith("other") else STAFF
    expected = {role: _expected(label, page, role) for role in roles}
    observed = {}
    for role in roles:
        observed[role], response = _visit(client, world, role, url)
        if page == "change own" and observed[role] == "200":
            # The page is a form to save for those who may change the row, read-only for the rest.
            may_change = "c" in ADMIN_MODELS[label][STAFF.index(role)] and label not in SETTLED
            if response.context.get("has_change_permission", False) != may_change:
                observed[role] = "200 (read-only)" if may_change else "200 (changeable)"
    if not page.endswith("other"):
        expected |= dict.fromkeys(("anonymous", "resident", "leader"), "admin")
        observed |= {
            visitor: _visit(client, world, visitor, url)[0]
            for visitor in ("anonymous", "resident", "leader")
        }
    _assert_answers(expected, observed, f"{label} {page} ({url})")


def _patterns(resolver, prefix="", namespace=""):
    """(name, route) of every URL pattern under ``resolver``, through its includes."""
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern, route, inner)
        else:
            yield (f"{namespace}{pattern.name}" if pattern.name else None), route


def _model_of(name, route):
    """The model label an admin page belongs to ("admin:residents_household_change", or the
    unnamed "admin/residents/household/<path:object_id>/"), or None."""
    labels = {label.replace(".", "_"): label for label in ADMIN_MODELS}
    if name and name.startswith("admin:"):
        info, _sep, view = name.removeprefix("admin:").rpartition("_")
        if view == "history" and info.endswith("_simple"):
            info, view = info.removesuffix("_simple"), "simple_history"
        return labels.get(info) if view in MODEL_VIEWS else None
    if route.startswith("admin/") and route.endswith("/<path:object_id>/"):
        return labels.get(route.removeprefix("admin/").split("/<")[0].replace("/", "_"))
    return None


def test_every_url_and_admin_model_has_a_row():
    missing = [
        name or route
        for name, route in _patterns(get_resolver())
        if (name or route) not in SITE and _model_of(name, route) is None
    ]
    missing += [
        f"admin model {model._meta.label_lower}"
        for model in admin.site._registry
        if model._meta.label_lower not in ADMIN_MODELS
    ]
    assert not missing, "No row in the permission matrix for:\n" + "\n".join(missing)


def test_every_row_names_a_page_that_exists():
    names = {name or route for name, route in _patterns(get_resolver())}
    registered = {model._meta.label_lower for model in admin.site._registry}
    stale = [
        name.removesuffix(" other") for name in SITE if name.removesuffix(" other") not in names
    ]
    stale += [label for label in ADMIN_MODELS if label not in registered]
    assert not stale, "Rows of the permission matrix for no page:\n" + "\n".join(stale)


# --- Community staff's scope on the doors of every model they may see --------------------------

#: The models community staff may read whose rows belong to a community.
COMMUNITY_READS = [
    label
    for label, path in COMMUNITY_PATHS.items()
    if "v" in ADMIN_MODELS[label][STAFF.index("community")]
]


def _own_pks(w, label):
    rows = apps.get_model(label)._default_manager.filter(**{COMMUNITY_PATHS[label]: w.own})
    return set(rows.values_list("pk", flat=True))


@pytest.mark.parametrize("label", COMMUNITY_READS)
def test_community_staff_lists_and_exports_hold_only_their_community(client, world, label):
    client.force_login(world.users["community"])
    app_label, model_name = label.split(".")
    response = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200
    listed = set(response.context["cl"].queryset.values_list("pk", flat=True))
    own = _own_pks(world, label)
    assert listed <= own, f"{label}: rows of another community listed"
    if listed != own:  # a list may leave out rows of its own (closed ones), never add others
        assert response.context["cl"].full_result_count <= len(own)
    try:
        export_url = reverse(f"admin:{app_label}_{model_name}_export")
    except NoReverseMatch:
        return
    from imports.models import ExportLog

    before = ExportLog.objects.count()
    # The export form as a browser sends it: its first format, every field ticked.
    data = form_data(client.get(export_url).content.decode(), format="0")
    response = client.post(export_url, data)
    assert response.status_code == 200 and ExportLog.objects.count() == before + 1, label
    assert ExportLog.objects.latest("pk").rows == len(listed), label


def _autocomplete_doors():
    """(source model, field) of every autocomplete field that offers rows of a scoped model."""
    for model, model_admin in admin.site._registry.items():
        for name in model_admin.autocomplete_fields:
            target = model._meta.get_field(name).related_model._meta.label_lower
            if target in COMMUNITY_READS:
                yield model._meta.label_lower, name, target


@pytest.mark.parametrize(("source", "field", "target"), list(_autocomplete_doors()))
def test_community_staff_autocomplete_offers_only_their_community(
    client, world, source, field, target
):
    client.force_login(world.users["community"])
    app_label, model_name = source.split(".")
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field, "term": ""},
    )
    if response.status_code == 403:  # the field's form is not theirs to fill
        pytest.skip(f"{source}.{field}: community staff may not fill it")
    assert response.status_code == 200
    offered = {int(result["id"]) for result in response.json()["results"]}
    assert offered <= _own_pks(world, target), f"{source}.{field} offers another community"
