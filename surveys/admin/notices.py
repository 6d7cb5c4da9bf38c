"""Admin of the public notice (一公示) and the objections to it.

A notice is kept by the staff of its project's neighbourhood; its photo of the posted sheet is
stored only as ``projects.images.process_upload`` re-encodes it. Its objections are listed on
its page: their text read-only, the household named as the user may see it (masked without
``residents.view_personal_data``), the answer editable. Objections handed in on paper are
recorded through the objections list, whose add form checks the day against the notice period.
Every write calls ``surveys.notices``.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.admin.history import ScopedHistoryAdmin
from projects.images import process_upload
from residents.admin import (
    AnjuInlineFormSet,
    AnjuTabularInline,
    CommunityListFilter,
    ScopedModelAdmin,
)
from residents.masking import can_view_personal_data, mask_name

from .. import notices
from ..models import Objection, PublicNotice

#: The longest excerpt of a text shown in a list.
EXCERPT_CHARS = 40


class HouseholdColumnMixin:
    """Shows a row's household by address and head of household, the name masked for users
    without ``residents.view_personal_data``, and searchable by name only for those with it.

    Write ``"household_column"`` in ``list_display``, ``fields``/``fieldsets`` and
    ``readonly_fields``: it is replaced by the clear or the masked display for each request.
    The model's ``household`` must be fetched with ``building__neighbourhood``.
    """

    HOUSEHOLD_COLUMN = "household_column"
    NAME_SEARCH = "household__head_name"

    def _household_display(self, request):
        return "household_named" if can_view_personal_data(request.user) else "household_masked"

    def _with_household(self, request, names):
        shown = self._household_display(request)
        return [shown if name == self.HOUSEHOLD_COLUMN else name for name in names]

    def get_list_display(self, request):
        return self._with_household(request, super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return self._with_household(request, super().get_fields(request, obj))

    def get_fieldsets(self, request, obj=None):
        return [
            (name, {**options, "fields": self._with_household(request, options["fields"])})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_readonly_fields(self, request, obj=None):
        return self._with_household(request, super().get_readonly_fields(request, obj))

    def get_search_fields(self, request):
        fields = list(super().get_search_fields(request))
        if can_view_personal_data(request.user):
            fields.append(self.NAME_SEARCH)
        return fields

    @staticmethod
    def _household_text(obj, masked: bool):
        household = obj.household if obj else None
        if household is None:
            return _("Not named")
        name = mask_name(household.head_name) if masked else household.head_name
        return f"{household.address} · {name}"

    @admin.display(description=_("household"), ordering="household__building__neighbourhood__name")
    def household_column(self, obj):
        # Replaced on every page by one of the two below; masked, should it ever be shown.
        return self._household_text(obj, masked=True)

    @admin.display(description=_("household"), ordering="household__building__neighbourhood__name")
    def household_named(self, obj):
        return self._household_text(obj, masked=False)

    @admin.display(description=_("household"), ordering="household__building__neighbourhood__name")
    def household_masked(self, obj):
        return self._household_text(obj, masked=True)


def excerpt(text: str) -> str:
    return Truncator(text).chars(EXCERPT_CHARS)


# --- Objections on the notice's page ----------------------------------------------------------


class ObjectionAnswerForm(forms.ModelForm):
    """The answer to an objection: an answer once given cannot be emptied."""

    class Meta:
        model = Objection
        fields = ["answer"]

    def clean_answer(self):
        answer = self.cleaned_data.get("answer", "")
        if "answer" in self.changed_data:
            reasons = notices.answer_refusals(answer)
            if reasons:
                raise ValidationError(reasons)
        return answer


class ObjectionAnswerFormSet(AnjuInlineFormSet):
    """Saves a changed answer through ``notices.answer_objection`` (who answered, when).
    ``answered_by`` is set by ``ObjectionInline.get_formset`` to the user who sends the form."""

    answered_by = None

    def save_existing(self, form, obj, commit=True):
        return notices.answer_objection(
            obj, answer=form.cleaned_data["answer"], by=self.answered_by
        )


class ObjectionInline(HouseholdColumnMixin, AnjuTabularInline):
    model = Objection
    form = ObjectionAnswerForm
    formset = ObjectionAnswerFormSet
    fields = [
        "submitted_on",
        "channel",
        "household_column",
        "text",
        "answer",
        "answered_at",
        "answered_by",
    ]
    readonly_fields = [
        "submitted_on",
        "channel",
        "household_column",
        "text",
        "answered_at",
        "answered_by",
    ]
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("household__building__neighbourhood", "answered_by")
        )

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)  # a new class on each call
        formset.answered_by = request.user
        return formset

    def has_add_permission(self, request, obj=None):
        # Objections on paper are recorded through the objections list, which checks the day
        # they were handed in; objections by link come from the households.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Notices ---------------------------------------------------------------------------------


class PublicNoticeForm(forms.ModelForm):
    """A notice; its photo is stored as ``process_upload`` re-encodes it, or refused."""

    class Meta:
        model = PublicNotice
        fields = [
            "project",
            "content",
            "budget",
            "schedule",
            "posted_on",
            "period_days",
            "site_photo",
        ]
        # A plain file field: the image is opened once, by process_upload, with its limits.
        field_classes = {"site_photo": forms.FileField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "site_photo" in self.fields:
            self.fields["site_photo"].max_length = None  # the stored name is process_upload's
            self.fields["site_photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"

    def clean_site_photo(self):
        photo = self.cleaned_data.get("site_photo")
        if isinstance(photo, UploadedFile):
            return process_upload(photo).image
        return photo

    def clean_period_days(self):
        period_days = self.cleaned_data.get("period_days")
        reasons = notices.period_refusals(period_days)
        if reasons:
            raise ValidationError(reasons)
        return period_days


@admin.register(PublicNotice)
class PublicNoticeAdmin(ScopedHistoryAdmin, ScopedModelAdmin):
    form = PublicNoticeForm
    change_form_template = "admin/surveys/notice_change_form.html"
    list_display = [
        "__str__",
        "project",
        "community",
        "posted_on",
        "last_day_display",
        "status_display",
        "objection_total",
        "unanswered_total",
    ]
    list_filter = [CommunityListFilter]
    list_select_related = ["project__neighbourhood__community"]
    search_fields = ["project__name", "project__neighbourhood__name", "content"]
    autocomplete_fields = ["project"]
    fields = [
        "project",
        "content",
        "budget",
        "schedule",
        ("posted_on", "period_days"),
        ("last_day_display", "status_display"),
        "site_photo",
        "site_photo_preview",
    ]
    readonly_fields = ["last_day_display", "status_display", "site_photo_preview"]
    inlines = [ObjectionInline]

    def get_queryset(self, request):
        return notices.with_objection_counts(super().get_queryset(request))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would delete notices with objections too
        return actions

    def has_delete_permission(self, request, obj=None):
        # A notice residents objected to is part of the record of the consultation.
        if obj is not None and getattr(obj, "objection_count", 1):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("community"), ordering="project__neighbourhood__community__name")
    def community(self, obj):
        return obj.project.neighbourhood.community

    @admin.display(description=_("last day"))
    def last_day_display(self, obj):
        return obj.last_day if obj and obj.posted_on else "—"

    @admin.display(description=_("status"))
    def status_display(self, obj):
        if not obj or not obj.pk:
            return "—"
        return notices.notice_status(obj).label

    @admin.display(description=pgettext_lazy("count", "objections"), ordering="objection_count")
    def objection_total(self, obj):
        return obj.objection_count

    @admin.display(description=pgettext_lazy("count", "unanswered"), ordering="unanswered_count")
    def unanswered_total(self, obj):
        return obj.unanswered_count

    @admin.display(description=_("photo of the posted sheet"))
    def site_photo_preview(self, obj):
        if not obj or not obj.site_photo:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" width="240"></a>',
            obj.site_photo.url,
            obj.site_photo.url,
            obj,
        )


# --- Objections ------------------------------------------------------------------------------


class PaperObjectionForm(forms.ModelForm):
    """An objection handed in on paper, checked as ``notices.record_paper_objection`` will."""

    class Meta:
        model = Objection
        fields = ["notice", "household", "submitted_on", "text"]

    def clean(self):
        cleaned = super().clean()
        notice = cleaned.get("notice")
        if notice is not None and not self.has_error("submitted_on"):
            for reason in notices.paper_objection_refusals(
                notice,
                household=cleaned.get("household"),
                text=cleaned.get("text", ""),
                submitted_on=cleaned.get("submitted_on"),
            ):
                self.add_error(None, reason)
        return cleaned


class AnsweredFilter(admin.SimpleListFilter):
    title = _("answer")
    parameter_name = "answered"

    def lookups(self, request, model_admin):
        return [("no", _("Not answered")), ("yes", _("Answered"))]

    def queryset(self, request, queryset):
        if self.value() in {"no", "yes"}:
            return queryset.filter(answered_at__isnull=self.value() == "no")
        return queryset


@admin.register(Objection)
class ObjectionAdmin(HouseholdColumnMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    """Every objection in the user's neighbourhoods; the add form records one from paper."""

    list_display = [
        "__str__",
        "project",
        "household_column",
        "channel",
        "submitted_on",
        "text_excerpt",
        "answered",
    ]
    list_filter = [AnsweredFilter, "channel", CommunityListFilter]
    list_select_related = [
        "notice__project__neighbourhood__community",
        "household__building__neighbourhood",
    ]
    search_fields = ["text", "answer", "notice__project__name"]
    autocomplete_fields = ["household"]
    add_fields = ["notice", "household", "submitted_on", "text"]
    change_fields = [
        "notice",
        "project",
        "channel",
        "household_column",
        "submitted_on",
        "text",
        "recorded_by",
        "answer",
        "answered_at",
        "answered_by",
    ]

    def get_fields(self, request, obj=None):
        return self._with_household(request, self.add_fields if obj is None else self.change_fields)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # All but the answer: what was handed in stays as it was handed in.
        return self._with_household(
            request, [name for name in self.change_fields if name != "answer"]
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = PaperObjectionForm if obj is None else ObjectionAnswerForm
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "notice" and field is not None:
            field.queryset = field.queryset.select_related("project")
            field.label_from_instance = lambda notice: f"{notice.project} · {notice}"
        return field

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        return False  # every objection stays on record, answered

    def save_form(self, request, form, change):
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        return notices.record_paper_objection(
            data["notice"],
            household=data.get("household"),
            text=data["text"],
            submitted_on=data["submitted_on"],
            by=request.user,
        )

    def save_model(self, request, obj, form, change):
        if change and "answer" in form.changed_data:
            notices.answer_objection(obj, answer=form.cleaned_data["answer"], by=request.user)

    def save_related(self, request, form, formsets, change):
        if change:  # a new objection was written whole by record_paper_objection
            super().save_related(request, form, formsets, change)

    @admin.display(description=_("project"), ordering="notice__project__name")
    def project(self, obj):
        return obj.notice.project

    @admin.display(description=_("objection"))
    def text_excerpt(self, obj):
        return excerpt(obj.text)

    @admin.display(description=_("answered"), boolean=True, ordering="answered_at")
    def answered(self, obj):
        return obj.answered_at is not None
