"""Admin of 一月一通报 and the quarterly meeting: the monthly bulletins and the leading group's
meetings with their decisions.

A bulletin is produced by the month close (``cycle.jobs.close_month``); here it is read, with
links to its page, its .docx and its .xlsx, and the county office may produce it again after a
correction ("Produce again", ``cycle.bulletin.produce_bulletin``): the row and its files are
replaced, never duplicated.

A meeting's pack is prepared at the end of its quarter (``cycle.meetings.prepare_pack``) and
shown read-only, with its .docx; the county office records when the meeting was held, its
minutes and its decisions (owner, deadline, follow-up, done on). Decisions not done are
carried into the next packs until they are.
"""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from projects.admin.history import ScopedHistoryAdmin
from residents.admin import AnjuModelAdmin, AnjuTabularInline

from ..bulletin import produce_bulletin, wan
from ..meetings import prepare_pack
from ..models import Bulletin, LeadershipMeeting, MeetingDecision
from ..periods import Month, Quarter


def _link(url, text):
    return format_html('<a href="{}">{}</a>', url, text)


@admin.register(Bulletin)
class BulletinAdmin(AnjuModelAdmin):
    """The monthly bulletins, read-only; the county office may produce one again."""

    list_display = ["month_key", "generated_at", "page_link", "docx_link", "xlsx_link"]
    date_hierarchy = "month"
    fields = ["month_key", "generated_at", "headline", "page_link", "docx_link", "xlsx_link"]
    readonly_fields = fields
    actions = ["produce_again"]

    def get_queryset(self, request):
        # The content is read only on a bulletin's own page.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("content")
        return queryset

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_produce_permission(self, request):
        return request.user.has_perm("cycle.change_bulletin")

    @admin.display(description=_("month"), ordering="month")
    def month_key(self, obj):
        return Month.of(obj.month).key

    @admin.display(description=_("page"))
    def page_link(self, obj):
        return _link(reverse("cycle:bulletin_detail", args=[Month.of(obj.month)]), _("Read"))

    @admin.display(description=_(".docx"))
    def docx_link(self, obj):
        if not obj.docx:
            return "—"
        return _link(reverse("cycle:bulletin_docx", args=[Month.of(obj.month)]), "Word")

    @admin.display(description=_(".xlsx"))
    def xlsx_link(self, obj):
        if not obj.xlsx:
            return "—"
        return _link(reverse("cycle:bulletin_xlsx", args=[Month.of(obj.month)]), "Excel")

    @admin.display(description=_("headline figures"))
    def headline(self, obj):
        headline = (obj.content or {}).get("headline")
        if not headline:
            return _("The county's figures of this month were not frozen.")
        funds = headline.get("funds") or {}
        lines = [
            (_("projects"), headline.get("projects")),
            (_("average completion (%)"), headline.get("percent_complete") or "—"),
            (_("funds arrived (10,000 yuan)"), wan(funds.get("arrived"))),
            (_("funds spent (10,000 yuan)"), wan(funds.get("spent"))),
            (_("households benefited"), headline.get("households_benefited")),
            (_("projects behind schedule"), headline.get("behind_schedule")),
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", lines))

    @admin.action(description=_("Produce the selected bulletins again"), permissions=["produce"])
    def produce_again(self, request, queryset):
        produced = []
        for month in queryset.order_by("month").values_list("month", flat=True):
            with transaction.atomic():
                produced.append(produce_bulletin(Month.of(month))["bulletin"])
        self.message_user(
            request,
            ngettext(
                "Produced again: %(months)s.",
                "Produced again: %(months)s.",
                len(produced),
            )
            % {"months": ", ".join(produced)},
            messages.SUCCESS,
        )


class MeetingDecisionInline(AnjuTabularInline):
    model = MeetingDecision
    fields = ["text", "owner", "deadline", "follow_up", "done_on"]
    extra = 1


@admin.register(LeadershipMeeting)
class LeadershipMeetingAdmin(ScopedHistoryAdmin, AnjuModelAdmin):
    """The quarterly meetings: the pack read-only; the date, minutes and decisions edited."""

    list_display = [
        "quarter",
        "prepared_at",
        "held_on",
        "open_decisions",
        "page_link",
        "docx_link",
    ]
    fields = [
        "quarter",
        "prepared_at",
        "pack_summary",
        "page_link",
        "docx_link",
        "held_on",
        "minutes",
    ]
    readonly_fields = ["quarter", "prepared_at", "pack_summary", "page_link", "docx_link"]
    inlines = [MeetingDecisionInline]
    actions = ["prepare_again"]

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .annotate(n_open=Count("decisions", filter=Q(decisions__done_on__isnull=True)))
        )
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("pack")
        return queryset

    def has_add_permission(self, request):
        return False  # a meeting is created with its pack, at the end of its quarter

    @admin.display(description=_("decisions not done"), ordering="n_open")
    def open_decisions(self, obj):
        return obj.n_open

    @admin.display(description=_("page"))
    def page_link(self, obj):
        return _link(reverse("cycle:meeting_detail", args=[obj.quarter]), _("Read"))

    @admin.display(description=_("pack (.docx)"))
    def docx_link(self, obj):
        if not obj.docx:
            return "—"
        return _link(reverse("cycle:meeting_docx", args=[obj.quarter]), "Word")

    @admin.display(description=_("meeting pack"))
    def pack_summary(self, obj):
        pack = obj.pack or {}
        problems = pack.get("problems") or {}
        months = [
            (
                Month.parse(row["month"]),
                _("%(projects)s projects, %(percent)s%% complete on average")
                % {"projects": row.get("projects"), "percent": row.get("percent_complete") or "—"},
            )
            for row in pack.get("months", [])
            if row.get("available")
        ]
        lines = [
            (_("overdue rectifications"), len(problems.get("overdue_findings", []))),
            (_("projects behind schedule"), len(problems.get("behind_schedule", []))),
            (_("dispatches not reported"), len(problems.get("unreported_dispatches", []))),
            (_("earlier decisions not done"), len(pack.get("decisions", []))),
        ]
        return format_html(
            "<ul>{}{}</ul>",
            format_html_join("", "<li>{}: {}</li>", months),
            format_html_join("", "<li>{}: {}</li>", lines),
        )

    @admin.action(description=_("Prepare the selected packs again"), permissions=["change"])
    def prepare_again(self, request, queryset):
        prepared = []
        for quarter in queryset.order_by("quarter").values_list("quarter", flat=True):
            with transaction.atomic():
                prepared.append(prepare_pack(Quarter.parse(quarter))["meeting"])
        self.message_user(
            request,
            ngettext(
                "Pack prepared again: %(quarters)s.",
                "Packs prepared again: %(quarters)s.",
                len(prepared),
            )
            % {"quarters": ", ".join(prepared)},
            messages.SUCCESS,
        )
