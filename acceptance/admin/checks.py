"""Admin of the completion check (竣工验收): the county's checklist template, and the checks.

A check is started (its add page, or "Start a re-check" after a failure) and concluded (the
"Conclude the check" button) only through ``acceptance.services``; a refusal on the add page
is shown as the form's error with what was typed kept, and a refused conclusion keeps the
page's changes, which are saved first. While a check is in progress its date, notes,
rectification, checklist (result, notes, a document checked like a disclosure's) and
participants are edited on its page; once concluded it is read-only for good. The first check's
page suggests its participants (the community, the members of the neighbourhood's owners'
committee, its building heads) as rows filled in but not stored until the page is saved; a
re-check takes the participants of the check before it, and its page shows that check's
failed items and what was to be rectified. Community staff read the checks of their
neighbourhoods; the county office runs them. django-simple-history keeps every change of a
check, its items and its participants.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Max, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from projects.admin.history import ScopedHistoryAdmin
from projects.admin.steps import report_step
from projects.forms import DOCUMENT_EXTENSIONS, check_document
from projects.models import Project
from residents.admin import (
    AnjuInlineFormSet,
    AnjuModelAdmin,
    AnjuTabularInline,
    CommunityListFilter,
    ScopedModelAdmin,
)
from residents.models import BuildingHead, CommitteeMember, Neighbourhood

from .. import services
from ..models import AcceptanceCheck, CheckItem, ChecklistTemplateItem, Participant, Result
from .base import ServiceFormMixin, checkable_projects

# --- The checklist template -------------------------------------------------------------------


@admin.register(ChecklistTemplateItem)
class ChecklistTemplateItemAdmin(ScopedHistoryAdmin, AnjuModelAdmin):
    """The county office's checklist: copied into every check started afterwards."""

    list_display = ["title", "category", "order", "active", "code"]
    list_editable = ["order", "active"]
    list_filter = ["category", "active"]
    search_fields = ["title", "code", "standard"]
    fields = ["code", "title", "category", "standard", "order", "active"]
    ordering = ["order", "pk"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("code")  # the installer finds its lines by code
        return readonly

    def has_delete_permission(self, request, obj=None):
        # Switched off ("in use" unticked), never deleted: the checks keep what they copied,
        # and the checklist installer would only bring a deleted line back.
        return False


# --- A check's checklist and participants ---------------------------------------------------


class CheckItemForm(forms.ModelForm):
    """One line of a check; its document must be of a kind and size a disclosure may be
    (``projects.forms.check_document``) and is stored under a sanitised, unguessable name."""

    class Meta:
        model = CheckItem
        fields = ["title", "result", "notes", "document", "category"]
        # Narrow, so that the result is in view on a phone.
        widgets = {
            "title": forms.TextInput(attrs={"size": 14}),
            "notes": forms.Textarea(attrs={"rows": 2, "cols": 20}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "document" in self.fields:
            self.fields["document"].max_length = None  # the stored name is made by us
            self.fields["document"].widget.attrs["accept"] = ",".join(sorted(DOCUMENT_EXTENSIONS))

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if isinstance(document, UploadedFile):
            return check_document(document)
        return document


class CheckItemFormSet(AnjuInlineFormSet):
    def save_new(self, form, commit=True):
        if not form.instance.order:  # an item added by hand goes after the others
            last = self.instance.items.aggregate(last=Max("order"))["last"] or 0
            form.instance.order = last + 1
        return super().save_new(form, commit)


class InProgressOnlyMixin:
    """Rows of a check are added, changed and removed only while it is in progress."""

    def has_add_permission(self, request, obj=None):
        return not (obj is not None and obj.is_concluded) and super().has_add_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.is_concluded) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.is_concluded) and super().has_delete_permission(
            request, obj
        )


class CheckItemInline(InProgressOnlyMixin, AnjuTabularInline):
    model = CheckItem
    form = CheckItemForm
    formset = CheckItemFormSet
    fields = ["title", "result", "notes", "document", "category"]
    extra = 0


def suggested_participants(project) -> list[dict]:
    """Who usually takes part in the first check of ``project``, as rows of the participants'
    form: its community, then the members of the owners' committee and the building heads of
    its neighbourhood and merged compounds (three queries)."""
    areas = Neighbourhood.objects.filter(
        Q(pk=project.neighbourhood_id) | Q(pk__in=project.merged_neighbourhoods.values("pk"))
    )
    community = (
        Neighbourhood.objects.select_related("community").get(pk=project.neighbourhood_id).community
    )
    rows = [
        {
            "role": Participant.Role.COMMUNITY,
            "name": "",
            "organisation": community.name if community else "",
        }
    ]
    members = (
        CommitteeMember.objects.filter(committee__neighbourhoods__in=areas)
        .select_related("committee")
        .distinct()
        .order_by("committee__name", "position", "name")
    )
    rows += [
        {
            "role": Participant.Role.OWNERS_COMMITTEE,
            "name": member.name,
            "organisation": member.committee.name,
        }
        for member in members
    ]
    heads = (
        BuildingHead.objects.filter(neighbourhood__in=areas)
        .select_related("neighbourhood", "building__neighbourhood")
        .order_by("neighbourhood__name", "building__number", "name")
    )
    rows += [
        {
            "role": Participant.Role.BUILDING_HEAD,
            "name": head.name,
            "organisation": str(head.building) if head.building else head.neighbourhood.name,
        }
        for head in heads
    ]
    return rows


class ParticipantForm(forms.ModelForm):
    """One participant. A suggested row (filled in by the page, not yet stored) is saved as
    shown when the page is saved, unless its name is emptied; a blank row only when filled."""

    class Meta:
        model = Participant
        fields = ["role", "name", "organisation"]

    @property
    def suggested(self) -> bool:
        return self.instance.pk is None and bool(self.initial.get("role"))

    def has_changed(self):
        if self.suggested and self.is_bound:
            return bool(str(self.data.get(self.add_prefix("name"), "")).strip())
        return super().has_changed()


class ParticipantInline(InProgressOnlyMixin, AnjuTabularInline):
    model = Participant
    form = ParticipantForm
    fields = ["role", "name", "organisation"]
    extra = 0

    def suggestions(self, request, check) -> list[dict]:
        """The rows suggested on the page of ``check``: only on a first check in progress
        that has no participant yet, to a user who may add them (read once per request)."""
        if check is None or check.number != 1 or check.is_concluded:
            return []
        cache = request.__dict__.setdefault("_participant_suggestions", {})
        if check.pk not in cache:
            cache[check.pk] = (
                suggested_participants(check.project)
                if self.has_add_permission(request, check) and not check.participants.exists()
                else []
            )
        return cache[check.pk]

    def get_extra(self, request, obj=None, **kwargs):
        return len(self.suggestions(request, obj))


# --- Checks ---------------------------------------------------------------------------------


class StartCheckForm(forms.Form):
    project = forms.ModelChoiceField(
        label=capfirst(_("project")),
        queryset=Project.objects.none(),
        help_text=_(
            "Projects whose construction is complete, awaiting acceptance, with no check in "
            "progress and none passed."
        ),
        error_messages={
            "invalid_choice": _(
                "Choose a project from the list: this one is not complete, or it has a check "
                "in progress, or its check passed."
            )
        },
    )
    date = forms.DateField(
        label=capfirst(_("date of the check")),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = checkable_projects(user)
        self.fields["date"].initial = timezone.localdate


@admin.register(AcceptanceCheck)
class AcceptanceCheckAdmin(ServiceFormMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    list_display = ["project", "number", "date", "result", "concluded_at"]
    list_display_links = ["project", "number"]
    list_filter = ["result", CommunityListFilter]
    list_select_related = ["project"]
    search_fields = ["project__name", "project__neighbourhood__name"]
    fields = [
        "project",
        "number",
        "date",
        "result",
        "notes",
        "rectification",
        "created_at",
        "created_by",
        "concluded_at",
        "concluded_by",
    ]
    readonly_fields = [
        "project",
        "number",
        "result",
        "created_at",
        "created_by",
        "concluded_at",
        "concluded_by",
    ]
    inlines = [CheckItemInline, ParticipantInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "created_by", "concluded_by")

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, ParticipantInline):
            kwargs["initial"] = inline.suggestions(request, obj)
        return kwargs

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_concluded:
            return False  # a concluded check is on record as it was concluded
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # every round of the check is kept

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- Starting a check: the add page ------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StartCheckForm(
            request.POST if request.method == "POST" else None,
            user=request.user,
            initial=self.get_changeform_initial_data(request),
        )
        return self.service_form_view(
            request,
            form,
            title=_("Start a completion check"),
            intro=_(
                "The check takes the county's checklist (the items in use). A check after a "
                "failed one takes that check's items and participants: the items that passed "
                "stay passed, the failed ones are to be checked again."
            ),
            submit_label=_("Start the check"),
            run=lambda data: services.start_check(
                data["project"], by=request.user, date=data["date"]
            ),
            done=self._started_message,
        )

    @staticmethod
    def _started_message(check):
        return _(
            "Completion check %(number)s of “%(project)s” started on %(date)s: record the "
            "result of each item and who took part, then conclude the check."
        ) % {
            "number": check.number,
            "project": check.project,
            "date": formats.date_format(check.date),
        }

    # --- Concluding, and the re-check after a failure ------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/recheck/",
                self.admin_site.admin_view(self.recheck_view),
                name="{}_{}_recheck".format(*info),
            ),
            *super().get_urls(),
        ]

    def response_change(self, request, obj):
        """The button "Conclude the check" sends the page's form: its changes are saved
        first, then the check is concluded through the service, or the refusal says why."""
        if "_conclude" in request.POST:
            report_step(
                self,
                request,
                lambda: services.conclude_check(obj, by=request.user),
                refused=lambda reasons: (
                    _("Your changes are saved, but the check was not concluded: %(reasons)s")
                    % {"reasons": reasons}
                ),
                done=self._concluded_message,
            )
            return HttpResponseRedirect(self.change_url(obj))
        return super().response_change(request, obj)

    @staticmethod
    def _concluded_message(check):
        if check.result == Result.PASSED:
            return _("Check %(number)s of “%(project)s” passed.") % {
                "number": check.number,
                "project": check.project,
            }
        return _(
            "Check %(number)s of “%(project)s” failed: once the work is rectified, start a "
            "re-check."
        ) % {"number": check.number, "project": check.project}

    def recheck_view(self, request, object_id):
        """POST: start the next round after this failed check, then open it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        check = self.get_object(request, unquote(object_id))
        if check is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        started = []

        def start():
            started.append(services.start_check(check.project, by=request.user))
            return started[0]

        report_step(
            self,
            request,
            start,
            refused=lambda reasons: (
                _("No re-check was started: %(reasons)s") % {"reasons": reasons}
            ),
            done=self._started_message,
        )
        return HttpResponseRedirect(self.change_url(started[0] if started else check))

    def _is_latest(self, check) -> bool:
        return not AcceptanceCheck.objects.filter(
            project_id=check.project_id, number__gt=check.number
        ).exists()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            context["concluding"] = not obj.is_concluded and self.has_change_permission(
                request, obj
            )
            context["may_recheck"] = (
                obj.result == Result.FAILED
                and self.has_add_permission(request)
                and self._is_latest(obj)
            )
            # A re-check: what the check before it found, so that it is checked again here.
            previous = (
                AcceptanceCheck.objects.filter(
                    project_id=obj.project_id, number=obj.number - 1, result=Result.FAILED
                ).first()
                if obj.number > 1
                else None
            )
            context["previous_check"] = previous
            context["previous_failed_items"] = (
                list(previous.items.filter(result=Result.FAILED).order_by("order", "pk"))
                if previous is not None
                else []
            )
            context["participants_suggested"] = bool(
                ParticipantInline(self.model, self.admin_site).suggestions(request, obj)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)
