"""Admin of the consultation: visits (一访) and residents' meetings (一议).

Every page reads through the models' ``visible_to(user)`` filters, so community staff and
visit-team members reach only the visits and meetings of their own neighbourhoods, in lists,
by direct URL, in autocompletes and in the choices of a form. Residents' names are masked for
roles without ``residents.view_personal_data``.

Beside the visits: the live coverage of each neighbourhood (``visit/coverage/``) and a team's
printable work list of the households still to visit (``visit/work-list/``). A meeting is
closed by its button or a bulk action, both through ``surveys.services.close_discussion``;
once closed it is read-only. The rules themselves live in ``surveys.rules``.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.admin.history import ScopedHistoryAdmin
from projects.admin.steps import report_step
from projects.models import CatalogueKind, Project, TaskItem
from residents.admin import (
    CommunityListFilter,
    NeighbourhoodListFilter,
    PersonalDataMixin,
    RegisterExportMixin,
    ScopedModelAdmin,
)
from residents.masking import can_view_personal_data, mask_name, name_for, phone_for
from residents.models import (
    BuildingHead,
    CommitteeMember,
    Household,
    Neighbourhood,
    OwnersCommittee,
    VisitTeam,
    count_of,
)
from surveys.resources import VisitResource

from .. import rules, services
from ..models import Discussion, Visit

# --- Visits (一访) ------------------------------------------------------------------------------


class VisitNeighbourhoodFilter(NeighbourhoodListFilter):
    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(household__building__neighbourhood__pk=self.value())
        return queryset


class VisitTeamFilter(admin.SimpleListFilter):
    """Filter by visit team, offering only the teams the user may see."""

    title = _("visit team")
    parameter_name = "team"

    def lookups(self, request, model_admin):
        return [
            (str(pk), name)
            for pk, name in VisitTeam.objects.visible_to(request.user).values_list("pk", "name")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(team__pk=value)
        if value:  # a hand-edited URL: show nothing rather than fail
            return queryset.none()
        return queryset


def own_team_id(user) -> int | None:
    """The id of the one visit team ``user`` belongs to, or None (none, or several)."""
    teams = list(VisitTeam.objects.filter(members=user).values_list("pk", flat=True)[:2])
    return teams[0] if len(teams) == 1 else None


def kinds_offered(current=()):
    """The catalogue kinds a form offers: those in use, and any already chosen."""
    return CatalogueKind.objects.filter(Q(is_active=True) | Q(pk__in=list(current)))


class VisitForm(forms.ModelForm):
    """A visit: the needs are ticked among the catalogue kinds in use; it cannot be dated
    after today (county calendar)."""

    class Meta:
        model = Visit
        fields = [
            "household",
            "visited_on",
            "team",
            "outcome",
            "needs",
            "needs_text",
            "supports_renovation",
            "notes",
        ]
        widgets = {"needs": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        needs = self.fields.get("needs")
        if needs is not None:
            current = self.instance.needs.values_list("pk", flat=True) if self.instance.pk else ()
            needs.queryset = kinds_offered(current)

    def clean_visited_on(self):
        day = self.cleaned_data["visited_on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("A visit cannot be dated after today."))
        return day


@admin.register(Visit)
class VisitAdmin(RegisterExportMixin, PersonalDataMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    resource_classes = [VisitResource]
    form = VisitForm
    personal_fields = {
        "head_of_household": "masked_head_of_household",
        "household__head_name": "masked_head_of_household",
    }
    list_display = [
        "visited_on",
        "household_address",
        "head_of_household",
        "outcome",
        "needs_named",
        "supports_renovation",
        "team",
        "visitor",
    ]
    list_display_links = ["visited_on", "household_address"]
    list_filter = ["outcome", CommunityListFilter, VisitNeighbourhoodFilter, VisitTeamFilter]
    list_select_related = ["household__building__neighbourhood", "team", "visitor"]
    search_fields = [
        "household__building__neighbourhood__name",
        "=household__room",
        "household__head_name",
    ]
    autocomplete_fields = ["household"]
    fields = [
        "household",
        "head_of_household",
        "visited_on",
        "team",
        "outcome",
        "needs",
        "needs_text",
        "supports_renovation",
        "notes",
        "visitor",
        "created_at",
    ]
    readonly_fields = ["head_of_household", "masked_head_of_household", "visitor", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("needs")

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:  # nothing recorded yet: no head of household, recorder or time to show
            hidden = {"head_of_household", "masked_head_of_household", "visitor", "created_at"}
            fields = [f for f in fields if f not in hidden]
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "team" not in initial:
            initial["team"] = own_team_id(request.user)  # a member records for their team
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.visitor = request.user  # who recorded it; later corrections keep it
        super().save_model(request, obj, form, change)

    @admin.display(description=_("address"), ordering="household__building__neighbourhood__name")
    def household_address(self, obj):
        return obj.household.address

    @admin.display(description=_("head of household"))
    def head_of_household(self, obj):
        return obj.household.head_name if obj and obj.pk else ""

    @admin.display(description=_("head of household"))
    def masked_head_of_household(self, obj):
        return mask_name(obj.household.head_name) if obj and obj.pk else ""

    @admin.display(description=_("needs named"))
    def needs_named(self, obj):
        return "、".join(kind.name for kind in obj.needs.all()) or "—"

    # --- Coverage and work lists -------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("coverage/", view(self.coverage_view), name="{}_{}_coverage".format(*info)),
            path("work-list/", view(self.work_list_view), name="{}_{}_work_list".format(*info)),
            *super().get_urls(),
        ]

    def _page_context(self, request, title):
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "has_view_permission": True,
        }

    def coverage_view(self, request):
        """The live visit coverage of each neighbourhood the user may see: one query."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        neighbourhoods = rules.coverage_by_neighbourhood(
            Neighbourhood.objects.visible_to(request.user).select_related("community")
        ).order_by("community__name", "name", "pk")
        rows = list(neighbourhoods)
        for row in rows:
            row.coverage_percent = rules.percent(row.households_visited, row.households_total)
        visited = sum(row.households_visited for row in rows)
        total = sum(row.households_total for row in rows)
        context = {
            **self._page_context(request, _("Visit coverage")),
            "rows": rows,
            "visited": visited,
            "total": total,
            "coverage_percent": rules.percent(visited, total),
        }
        return TemplateResponse(request, "admin/surveys/visit/coverage.html", context)

    def work_list_view(self, request):
        """A team's households still to visit, by building, ready to print."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = request.GET.copy()
        if not data.get("team") and (team_id := own_team_id(request.user)):
            data["team"] = str(team_id)  # a team member's own list straight away
        form = WorkListForm(data if data.get("team") else None, user=request.user)
        households = None
        if form.is_valid():
            households = list(
                rules.work_list(
                    form.cleaned_data["team"],
                    neighbourhood=form.cleaned_data.get("neighbourhood"),
                    user=request.user,
                )
            )
            clear = can_view_personal_data(request.user)
            for household in households:
                household.short_address = rules.short_address(
                    household.building.number, household.unit, household.room
                )
                household.shown_name = (
                    household.head_name if clear else mask_name(household.head_name)
                )
                household.shown_phone = phone_for(request.user, household.phone)
        context = {
            **self._page_context(request, _("Work list")),
            "form": form,
            "team": form.cleaned_data["team"] if households is not None else None,
            "households": households,
            "today": timezone.localdate(),
        }
        return TemplateResponse(request, "admin/surveys/visit/work_list.html", context)


class WorkListForm(forms.Form):
    team = forms.ModelChoiceField(
        label=capfirst(_("visit team")), queryset=VisitTeam.objects.none()
    )
    neighbourhood = forms.ModelChoiceField(
        label=capfirst(_("neighbourhood")),
        queryset=Neighbourhood.objects.none(),
        required=False,
        empty_label=_("All its neighbourhoods"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = VisitTeam.objects.visible_to(user)
        self.fields["neighbourhood"].queryset = (
            Neighbourhood.objects.visible_to(user).filter(visit_teams__isnull=False).distinct()
        )

    def clean(self):
        cleaned = super().clean()
        team, neighbourhood = cleaned.get("team"), cleaned.get("neighbourhood")
        if team and neighbourhood and not team.neighbourhoods.filter(pk=neighbourhood.pk).exists():
            self.add_error("neighbourhood", _("The team is not assigned to this neighbourhood."))
        return cleaned


# --- Residents' meetings (一议) -------------------------------------------------------------------


class ClosedFilter(admin.SimpleListFilter):
    title = _("closed")
    parameter_name = "closed"

    def lookups(self, request, model_admin):
        return [
            ("yes", pgettext_lazy("meeting", "Closed")),
            ("no", pgettext_lazy("meeting", "Open")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(closed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(closed_at__isnull=True)
        return queryset


class MemberChoiceField(forms.ModelMultipleChoiceField):
    """Committee members by name (masked unless the user may see names), position and
    committee."""

    user = None

    def label_from_instance(self, obj):
        return _("%(name)s, %(position)s of %(committee)s") % {
            "name": name_for(self.user, obj.name),
            "position": obj.get_position_display(),
            "committee": obj.committee.name,
        }


class TaskItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        quantity = formats.number_format(obj.planned_quantity.normalize())
        label = _("%(kind)s: %(quantity)s %(unit)s") % {
            "kind": obj.kind.name,
            "quantity": quantity,
            "unit": obj.kind.get_unit_display(),
        }
        return f"{label} ({obj.description})" if obj.description else label


#: Choices that belong to the meeting's project: offered once the project is known.
PROJECT_BOUND = (
    "committee_members",
    "building_heads",
    "households",
    "proposed_items",
    "adopted_items",
)


class DiscussionForm(forms.ModelForm):
    """A meeting: representatives and plan items are offered from its project (its
    neighbourhood and merged compounds, its task items) within the user's scope."""

    user = None  # set by DiscussionAdmin.get_form

    class Meta:
        model = Discussion
        fields = [
            "project",
            "held_on",
            "place",
            "agenda",
            "attendee_count",
            "committee_members",
            "building_heads",
            "households",
            "proposed_items",
            "adopted_items",
            "votes_for",
            "votes_against",
            "votes_abstaining",
            "minutes",
        ]
        field_classes = {
            "committee_members": MemberChoiceField,
            "proposed_items": TaskItemChoiceField,
            "adopted_items": TaskItemChoiceField,
        }
        widgets = {
            "committee_members": forms.CheckboxSelectMultiple,
            "proposed_items": forms.CheckboxSelectMultiple,
            "adopted_items": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "committee_members" in self.fields:
            self.fields["committee_members"].user = self.user
        self.project = self._project()
        for name in PROJECT_BOUND:
            field = self.fields.get(name)
            if field is None:
                continue
            field.queryset = self._choices(name, field.queryset)
            if self.project is None:
                field.help_text = _("Choose the project and save: its choices follow.")
            if name.endswith("_items") and hasattr(field.widget, "can_add_related"):
                # Items are added to the plan on the project's page, not from a meeting.
                field.widget.can_add_related = False
                field.widget.can_change_related = False
                field.widget.can_view_related = False

    def _project(self):
        if self.instance.project_id:
            return self.instance.project
        value = self.data.get(self.add_prefix("project")) or self.initial.get("project")
        value = getattr(value, "pk", value)
        if not str(value or "").isdigit():
            return None
        return Project.objects.visible_to(self.user).filter(pk=value).first()

    def _choices(self, name, queryset):
        project = self.project
        if project is None:
            return queryset.none()
        neighbourhoods = Neighbourhood.objects.filter(
            Q(pk=project.neighbourhood_id) | Q(merged_projects=project)
        ).values("pk")
        if name == "committee_members":
            committees = OwnersCommittee.objects.filter(neighbourhoods__in=neighbourhoods)
            return queryset.filter(committee__in=committees.values("pk")).select_related(
                "committee"
            )
        if name == "building_heads":
            return queryset.filter(neighbourhood__in=neighbourhoods).select_related(
                "neighbourhood", "building__neighbourhood"
            )
        if name == "households":
            return queryset.filter(building__neighbourhood__in=neighbourhoods).select_related(
                "building__neighbourhood"
            )
        return queryset.filter(project=project).select_related("kind").order_by("pk")

    def clean(self):
        cleaned = super().clean()
        attendees = cleaned.get("attendee_count") or 0
        votes = sum(
            cleaned.get(name) or 0 for name in ("votes_for", "votes_against", "votes_abstaining")
        )
        if votes > attendees:
            raise forms.ValidationError(
                _("%(votes)d votes were counted but only %(attendees)d people attended.")
                % {"votes": votes, "attendees": attendees}
            )
        return cleaned


@admin.register(Discussion)
class DiscussionAdmin(ScopedHistoryAdmin, ScopedModelAdmin):
    form = DiscussionForm
    list_display = [
        "held_on",
        "project",
        "place",
        "attendee_count",
        "adopted_total",
        "closed_at",
    ]
    list_filter = [ClosedFilter, CommunityListFilter]
    list_select_related = ["project"]
    search_fields = ["project__name", "place"]
    autocomplete_fields = ["project", "building_heads", "households"]
    fieldsets = [
        (None, {"fields": ["project", ("held_on", "place"), "agenda"]}),
        (
            _("Who attended"),
            {"fields": ["attendee_count", "committee_members", "building_heads", "households"]},
        ),
        (
            _("Plan and decision"),
            {
                "fields": [
                    "proposed_items",
                    "adopted_items",
                    ("votes_for", "votes_against", "votes_abstaining"),
                    "minutes",
                ]
            },
        ),
        (_("Closing"), {"fields": ["closed_at", "closed_by"]}),
    ]
    readonly_fields = ["closed_at", "closed_by"]
    actions = ["close_discussions"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_adopted=count_of(Discussion.adopted_items.through, "discussion"))
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # A closed meeting is shown read-only, its lists by name: read each in one query.
            prefetch_related_objects(
                [obj],
                Prefetch("committee_members", CommitteeMember.objects.select_related("committee")),
                Prefetch(
                    "building_heads",
                    BuildingHead.objects.select_related("neighbourhood", "building__neighbourhood"),
                ),
                Prefetch("households", Household.objects.select_related("building__neighbourhood")),
                Prefetch("proposed_items", TaskItem.objects.select_related("kind")),
                Prefetch("adopted_items", TaskItem.objects.select_related("kind")),
            )
        return obj

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.user = request.user
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "committee_members":
            kwargs["queryset"] = CommitteeMember.objects.filter(
                committee__in=OwnersCommittee.objects.visible_to(request.user).values("pk")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:  # a meeting stays with the project it was held for
            readonly.append("project")
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_closed:
            return False  # a closed meeting is on record as it was closed
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_closed:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=pgettext_lazy("count", "items adopted"), ordering="n_adopted")
    def adopted_total(self, obj):
        return obj.n_adopted

    # --- Closing ----------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/close/",
                self.admin_site.admin_view(self.close_view),
                name="{}_{}_close".format(*info),
            ),
            *super().get_urls(),
        ]

    def close_view(self, request, object_id):
        """POST: close the meeting through ``services.close_discussion``, then back to it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        discussion = self.get_object(request, unquote(object_id))
        if discussion is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request):
            raise PermissionDenied
        self.close_one(request, discussion)
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:surveys_discussion_change", args=[discussion.pk])
        )

    @admin.action(description=_("Close the selected meetings"), permissions=["change"])
    def close_discussions(self, request, queryset):
        for discussion in queryset.order_by("pk"):
            self.close_one(request, discussion)

    def close_one(self, request, discussion):
        return report_step(
            self,
            request,
            lambda: services.close_discussion(discussion, by=request.user),
            refused=lambda reasons: (
                _("“%(discussion)s” was not closed: %(reasons)s")
                % {"discussion": discussion, "reasons": reasons}
            ),
            done=lambda _closed: (
                _(
                    "“%(discussion)s” is closed: it counts for the approval and can no longer be "
                    "changed."
                )
                % {"discussion": discussion}
            ),
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if (
            change
            and obj is not None
            and not obj.is_closed
            and super().has_change_permission(request, obj)
        ):
            context["closing"] = {
                "url": reverse(f"{self.admin_site.name}:surveys_discussion_close", args=[obj.pk]),
                "reasons": rules.closing_refusals(obj),
            }
        return super().render_change_form(request, context, add, change, form_url, obj)
