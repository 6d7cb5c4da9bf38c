"""Admin of the residents' request ledger (民情三本账).

One admin, three ledgers: the list of resident requests always shows one of them, chosen by
the ``ledger`` parameter and offered as three fixed entry links above the list: open
(received), in handling, and closed (answered or closed); without the parameter, the open
ledger. A request keeps one address whichever ledger it stands in, so a link to it never
breaks when it moves on; and the ledgers need no proxy models, no migration.

Requests from the suggestion box, the hotline and the opinion book are entered through the
add form (``ledger.record_request``). A request moves on by the buttons of its page and the
actions of its ledger (``ledger.start_handling``, ``ledger.close_request``); it is answered by
writing the answer on its page while it is in handling (``ledger.answer_request``). Overdue
requests are flagged in the list and can be filtered. Households are named as the user may
see them: the head of household masked without ``residents.view_personal_data``.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q, TextChoices
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from projects.admin.history import ScopedHistoryAdmin
from projects.admin.steps import report_step
from projects.images import process_upload
from residents.admin import CommunityListFilter, ScopedModelAdmin
from residents.auth import PERMISSIONS_BACKEND

from .. import ledger
from ..models import ResidentRequest
from .notices import HouseholdColumnMixin, excerpt

Status = ResidentRequest.Status


class Ledger(TextChoices):
    """The three books of the ledger, each a ``ResidentRequestQuerySet`` method."""

    OPEN = "open", _("Open (received)")
    HANDLING = "handling", _("In handling")
    CLOSED = "closed", _("Closed (answered or closed)")


LEDGER_QUERYSETS = {
    Ledger.OPEN: "open",
    Ledger.HANDLING: "in_handling",
    Ledger.CLOSED: "closed",
}

LEDGER_TITLES = {
    Ledger.OPEN: _("Open requests: received, not yet taken into handling"),
    Ledger.HANDLING: _("Requests in handling"),
    Ledger.CLOSED: _("Closed requests: answered or closed"),
}

#: The bulk actions offered in each ledger.
LEDGER_ACTIONS = {
    Ledger.OPEN: ["start_handling"],
    Ledger.HANDLING: [],
    Ledger.CLOSED: ["close"],
}


def ledger_of(request) -> Ledger:
    """The ledger the list shows: the ``ledger`` parameter, the open ledger without it."""
    value = request.GET.get(LedgerFilter.parameter_name)
    return Ledger(value) if value in Ledger.values else Ledger.OPEN


class LedgerFilter(admin.SimpleListFilter):
    """Always one of the three ledgers (there is no "all")."""

    title = _("ledger")
    parameter_name = "ledger"

    def lookups(self, request, model_admin):
        return Ledger.choices

    def value(self):
        value = super().value()
        return value if value in Ledger.values else Ledger.OPEN.value

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        return getattr(queryset, LEDGER_QUERYSETS[Ledger(self.value())])()


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        overdue = ResidentRequest.objects.overdue().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class RecordRequestForm(forms.ModelForm):
    """A request entered by staff, checked as ``ledger.record_request`` will; its photo is
    re-encoded by ``process_upload`` (or refused) before anything is stored."""

    class Meta:
        model = ResidentRequest
        fields = [
            "channel",
            "category",
            "received_at",
            "neighbourhood",
            "household",
            "text",
            "needs",
            "photo",
            "assignee",
            "due_on",
        ]
        field_classes = {"photo": forms.FileField}
        widgets = {"needs": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.processed_photo = None
        if "photo" in self.fields:
            self.fields["photo"].max_length = None  # the stored name is process_upload's
            self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"
        if "due_on" in self.fields:
            self.fields["due_on"].required = False
            self.fields["due_on"].help_text = _(
                "Leave empty for %(days)s days after the day received."
            ) % {"days": settings.ANJU_REQUEST_DUE_DAYS}

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if isinstance(photo, UploadedFile):
            self.processed_photo = process_upload(photo)
            return self.processed_photo.image
        return photo

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for reason in ledger.record_refusals(
                channel=cleaned.get("channel", ""),
                neighbourhood=cleaned.get("neighbourhood"),
                household=cleaned.get("household"),
                text=cleaned.get("text", ""),
                received_on=timezone.localdate(cleaned.get("received_at")),
                due_on=cleaned.get("due_on"),
            ):
                self.add_error(None, reason)
        return cleaned


class HandleRequestForm(forms.ModelForm):
    """A request on its page: the fields staff may still change, and the answer while it is
    in handling (checked as ``ledger.answer_request`` will)."""

    class Meta:
        model = ResidentRequest
        fields = ["category", "assignee", "due_on", "answer"]

    def clean_answer(self):
        answer = self.cleaned_data.get("answer", "")
        if "answer" in self.changed_data:
            reasons = ledger.answer_refusals(self.instance, answer)
            if reasons:
                raise ValidationError(reasons)
        return answer


def _step_action(name, description, service):
    """A bulk action taking one step on each selected request in turn."""

    def action(modeladmin, request, queryset):
        done = 0
        for resident_request in queryset.order_by("pk"):
            if modeladmin.take_step(request, resident_request, service, report_success=False):
                done += 1
        if done:
            modeladmin.message_user(
                request,
                ngettext("%(count)d request moved on.", "%(count)d requests moved on.", done)
                % {"count": done},
                messages.SUCCESS,
            )

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


def _start_handling(resident_request, user):
    return ledger.start_handling(resident_request, by=user)


def _close(resident_request, user):
    return ledger.close_request(resident_request, by=user)


#: The buttons of a request's page: (URL name part, service, label, the status it starts from).
STEPS = {
    "start-handling": (_start_handling, _("Take into handling"), Status.RECEIVED),
    "close": (_close, _("Close the request"), Status.ANSWERED),
}


@admin.register(ResidentRequest)
class ResidentRequestAdmin(HouseholdColumnMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    change_list_template = "admin/surveys/request_change_list.html"
    change_form_template = "admin/surveys/request_change_form.html"
    list_display = [
        "__str__",
        "channel",
        "neighbourhood",
        "household_column",
        "text_excerpt",
        "assignee",
        "due_on",
        "overdue",
        "status",
    ]
    list_filter = [LedgerFilter, OverdueFilter, "channel", "category", CommunityListFilter]
    list_select_related = ["neighbourhood", "household__building__neighbourhood", "assignee"]
    search_fields = ["text", "answer", "neighbourhood__name"]
    autocomplete_fields = ["neighbourhood", "household"]
    actions = [
        _step_action(
            "start_handling",
            _("Take the selected requests into handling"),
            _start_handling,
        ),
        _step_action("close", _("Close the selected answered requests"), _close),
    ]

    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "channel",
                    "category",
                    "received_at",
                    "neighbourhood",
                    "household",
                    "text",
                ]
            },
        ),
        (None, {"fields": ["needs", "photo"]}),
        (_("Handling"), {"fields": ["assignee", "due_on"]}),
    ]
    change_fieldsets = [
        (
            None,
            {
                "fields": [
                    ("channel", "category"),
                    "received_at",
                    "neighbourhood",
                    "household_column",
                    "text",
                    "needs",
                    "photo_preview",
                ]
            },
        ),
        (_("Handling"), {"fields": ["status", "assignee", ("due_on", "overdue")]}),
        (_("Answer"), {"fields": ["answer", "answered_at", "answered_by"]}),
    ]
    #: What was received stays as it was received.
    received_fields = [
        "channel",
        "received_at",
        "neighbourhood",
        "household_column",
        "text",
        "needs",
        "photo_preview",
        "status",
        "overdue",
        "answered_at",
        "answered_by",
    ]

    # --- Pages -------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        fieldsets = self.add_fieldsets if obj is None else self.change_fieldsets
        return [
            (name, {**options, "fields": self._with_household(request, options["fields"])})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = list(self.received_fields)
        if obj.status != Status.HANDLING:
            readonly.append("answer")
        if obj.status in (Status.ANSWERED, Status.CLOSED):
            readonly += ["category", "assignee", "due_on"]
        return self._with_household(request, readonly)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = RecordRequestForm if obj is None else HandleRequestForm
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "channel":
            kwargs["choices"] = [("", "---------")] + [
                (channel.value, channel.label) for channel in ledger.STAFF_CHANNELS
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            # The accounts that may handle requests.
            kwargs["queryset"] = (
                get_user_model()
                .objects.with_perm(
                    "surveys.change_residentrequest",
                    is_active=True,
                    include_superusers=False,
                    backend=PERMISSIONS_BACKEND,
                )
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        offered = LEDGER_ACTIONS[ledger_of(request)]
        return {name: action for name, action in actions.items() if name in offered}

    def has_delete_permission(self, request, obj=None):
        return False  # every request stays in the ledger, with its answer

    def changelist_view(self, request, extra_context=None):
        current = ledger_of(request)
        requests = ResidentRequest.objects
        # One query: how many requests of the user's neighbourhoods each ledger holds.
        counts = (
            self.get_queryset(request)
            .order_by()
            .aggregate(
                **{
                    key.value: Count(
                        "pk", filter=Q(pk__in=getattr(requests, method)().values("pk"))
                    )
                    for key, method in LEDGER_QUERYSETS.items()
                },
                overdue=Count("pk", filter=Q(pk__in=requests.overdue().values("pk"))),
            )
        )
        context = {
            "title": LEDGER_TITLES[current],
            "ledgers": [
                {
                    "label": key.label,
                    "query": f"?{LedgerFilter.parameter_name}={key.value}",
                    "count": counts[key.value],
                    "current": key == current,
                }
                for key in Ledger
            ],
            "overdue_count": counts["overdue"],
            "overdue_query": (
                f"?{LedgerFilter.parameter_name}={current.value}&{OverdueFilter.parameter_name}=yes"
            ),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # --- Columns -----------------------------------------------------------------------

    @admin.display(description=_("text"))
    def text_excerpt(self, obj):
        return excerpt(obj.text)

    @admin.display(description=_("overdue"), ordering="due_on")
    def overdue(self, obj):
        if obj and obj.pk and obj.is_overdue():
            days = (timezone.localdate() - obj.due_on).days
            return format_html(
                '<strong class="behind-schedule">{}</strong>',
                ngettext("Overdue by %(days)d day", "Overdue by %(days)d days", days)
                % {"days": days},
            )
        return "—"

    @admin.display(description=_("photo"))
    def photo_preview(self, obj):
        if not obj or not obj.photo:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" width="240"></a>',
            obj.photo.url,
            obj.photo.url,
            obj,
        )

    # --- Saving through the ledger's services --------------------------------------------

    def save_form(self, request, form, change):
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        return ledger.record_request(
            channel=data["channel"],
            category=data["category"],
            neighbourhood=data["neighbourhood"],
            household=data.get("household"),
            text=data["text"],
            needs=data.get("needs") or (),
            photo=form.processed_photo,
            assignee=data.get("assignee"),
            due_on=data.get("due_on"),
            received_at=data.get("received_at"),
            by=request.user,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return  # recorded whole by ledger.record_request
        edited = [name for name in form.changed_data if name in {"category", "assignee", "due_on"}]
        if edited:
            obj._history_user = request.user
            obj.save(update_fields=edited)
        if "answer" in form.changed_data:
            ledger.answer_request(obj, answer=form.cleaned_data["answer"], by=request.user)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    # --- Steps: buttons on a request's page, actions on the ledgers -----------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/step/<str:step>/",
                self.admin_site.admin_view(self.step_view),
                name="{}_{}_step".format(*info),
            ),
            *super().get_urls(),
        ]

    def step_view(self, request, object_id, step):
        """POST: take the step ``step`` of ``STEPS``, then back to the request's page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if step not in STEPS:
            raise Http404
        resident_request = self.get_object(request, unquote(object_id))
        if resident_request is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, resident_request):
            raise PermissionDenied
        self.take_step(request, resident_request, STEPS[step][0])
        return HttpResponseRedirect(
            reverse(
                f"{self.admin_site.name}:surveys_residentrequest_change",
                args=[resident_request.pk],
            )
        )

    def take_step(self, request, resident_request, service, report_success=True) -> bool:
        """Take one step through the ledger's service and tell the user what came of it."""
        return report_step(
            self,
            request,
            lambda: service(resident_request, request.user),
            refused=lambda reasons: (
                _("“%(request)s”: %(reasons)s") % {"request": resident_request, "reasons": reasons}
            ),
            done=(
                lambda moved: (
                    _("“%(request)s” is now “%(status)s”.")
                    % {"request": moved, "status": Status(moved.status).label}
                )
            )
            if report_success
            else None,
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None and self.has_change_permission(request, obj):
            context["request_steps"] = [
                {
                    "label": label,
                    "url": reverse(
                        f"{self.admin_site.name}:surveys_residentrequest_step",
                        args=[obj.pk, name],
                    ),
                }
                for name, (_service, label, source) in STEPS.items()
                if obj.status == source
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)
