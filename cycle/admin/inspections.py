"""Admin of 一月一督查: inspections with their findings, the findings' rectification, and the
monthly inspection reports.

Inspectors and the county office record an inspection and its findings on one page; every
photo goes through ``projects.images.process_upload`` (re-encoded, no metadata, size and pixel
limits), and a refused upload keeps the page with its message, nothing stored. A finding's own
page shows where its rectification stands: the staff responsible (community staff of the
project's neighbourhood, or the county office) record what was done with a photo as proof
("Record the rectification", ``inspections.rectify``); an inspector may reopen a rectification
that did not hold (``inspections.reopen``). A rectified finding is no longer edited.

The monthly report (``inspections.produce_report``) is read on its own page, printable and
readable on a phone; community staff see the rows of their own neighbourhoods in it.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from projects.admin.history import ScopedHistoryAdmin
from projects.images import process_upload
from projects.models import Project
from residents.admin import (
    AnjuInlineFormSet,
    AnjuModelAdmin,
    AnjuTabularInline,
    CommunityListFilter,
    ScopedModelAdmin,
)
from residents.auth import PERMISSIONS_BACKEND
from residents.scoping import sees_every_neighbourhood

from .. import inspections
from ..models import Finding, Inspection, InspectionReport
from ..periods import Month

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"
EXCERPT_CHARS = 40

#: Who may record findings and reopen a rectification (inspectors and the county office).
RECORD_FINDINGS = "cycle.add_finding"


def _photo_link(image, alt, width=240):
    if not image:
        return "—"
    return format_html(
        '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" width="{}"></a>',
        image.url,
        image.url,
        alt,
        width,
    )


def finding_state(finding: Finding, today: datetime.date | None = None) -> str:
    """Where a finding stands, in words: rectified (when), overdue (by how long) or open."""
    if finding.rectified_at is not None:
        return _("Rectified on %(date)s") % {
            "date": formats.date_format(timezone.localdate(finding.rectified_at))
        }
    today = today or timezone.localdate()
    if finding.deadline < today:
        days = (today - finding.deadline).days
        return ngettext("Overdue by %(days)d day", "Overdue by %(days)d days", days) % {
            "days": days
        }
    return _("Open, due %(date)s") % {"date": formats.date_format(finding.deadline)}


class PhotoUploadMixin:
    """A ModelForm whose image fields (``image_fields``) are plain file fields: an upload is
    opened once, by ``process_upload`` with its limits, and what is stored is the re-encoded
    image (``self.processed[name]`` keeps the ``ProcessedImage``)."""

    image_fields = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.processed = {}
        for name in self.image_fields:
            if name in self.fields:
                self.fields[name].max_length = None  # the stored name is process_upload's
                self.fields[name].widget.attrs["accept"] = IMAGE_ACCEPT

    def _clean_image(self, name):
        upload = self.cleaned_data.get(name)
        if isinstance(upload, UploadedFile):
            self.processed[name] = process_upload(upload)
            return self.processed[name].image
        return upload


# --- Inspections, with their findings inline ----------------------------------------------------


class InspectionForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ["project", "inspector", "date", "summary"]

    def clean(self):
        cleaned = super().clean()
        if "project" in cleaned and "date" in cleaned:
            for reason in inspections.inspection_refusals(
                project=cleaned["project"], date=cleaned["date"]
            ):
                self.add_error("date", reason)
        return cleaned


class FindingForm(PhotoUploadMixin, forms.ModelForm):
    """A finding on its inspection's page; its photo stored only as a safe image."""

    image_fields = ("photo",)

    class Meta:
        model = Finding
        fields = ["category", "severity", "description", "deadline", "photo"]
        field_classes = {"photo": forms.FileField}
        widgets = {"description": forms.Textarea(attrs={"rows": 2, "cols": 30})}

    def clean_photo(self):
        return self._clean_image("photo")

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.rectified_at is not None and self.has_changed():
            raise forms.ValidationError(
                _("A rectified finding is no longer changed: reopen it first."),
                code="rectified",
            )
        return cleaned


class FindingFormSet(AnjuInlineFormSet):
    """Findings of one inspection: each due no earlier than the inspection; a new one is
    recorded through ``inspections.add_finding`` by ``recorded_by`` (set by the inline)."""

    recorded_by = None

    def clean_rows(self, forms):
        for form in forms:
            for reason in inspections.deadline_refusals(
                inspection_date=self.instance.date, deadline=form.cleaned_data.get("deadline")
            ):
                form.add_error("deadline", reason)

    def save_new(self, form, commit=True):
        data = form.cleaned_data
        return inspections.add_finding(
            self.instance,
            category=data["category"],
            severity=data["severity"],
            description=data["description"],
            deadline=data["deadline"],
            photo=form.processed.get("photo"),
            by=self.recorded_by,
        )


class FindingInline(AnjuTabularInline):
    model = Finding
    form = FindingForm
    formset = FindingFormSet
    fields = ["category", "severity", "description", "deadline", "photo", "state"]
    readonly_fields = ["state"]
    extra = 0
    show_change_link = True

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0  # a new inspection offers its first finding

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)  # a new class on each call
        formset.recorded_by = request.user
        return formset

    @admin.display(description=_("state"))
    def state(self, obj):
        return finding_state(obj) if obj and obj.pk else "—"


@admin.register(Inspection)
class InspectionAdmin(ScopedHistoryAdmin, ScopedModelAdmin):
    form = InspectionForm
    list_display = [
        "project",
        "date",
        "inspector_name",
        "community",
        "findings_count",
        "open_findings",
    ]
    list_filter = ["date", CommunityListFilter]
    list_select_related = ["project__neighbourhood__community", "inspector"]
    search_fields = ["project__name", "project__neighbourhood__name", "summary"]
    autocomplete_fields = ["project"]
    fields = ["project", "inspector", "date", "summary", "created_at"]
    readonly_fields = ["created_at"]
    inlines = [FindingInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_findings=Count("findings"),
                n_open=Count("findings", filter=Q(findings__rectified_at__isnull=True)),
            )
        )

    def get_changeform_initial_data(self, request):
        return {"inspector": request.user.pk, **super().get_changeform_initial_data(request)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "inspector":
            # The accounts that inspect (the inspectors, and the county office).
            kwargs["queryset"] = (
                get_user_model()
                .objects.with_perm(
                    "cycle.add_inspection",
                    is_active=True,
                    include_superusers=False,
                    backend=PERMISSIONS_BACKEND,
                )
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            edited = [name for name in form.changed_data if name in InspectionForm.Meta.fields]
            if edited:
                obj._history_user = request.user
                obj.save(update_fields=edited)
            return
        data = form.cleaned_data
        recorded = inspections.record_inspection(
            data["project"],
            inspector=data["inspector"],
            date=data["date"],
            summary=data.get("summary", ""),
            by=request.user,
        )
        # The admin goes on with ``obj`` (its findings, the log, the redirect): make it the
        # row the service recorded.
        obj.pk, obj.created_at, obj.summary = recorded.pk, recorded.created_at, recorded.summary
        obj._state.adding, obj._state.db = False, recorded._state.db

    @admin.display(description=_("inspector"), ordering="inspector__username")
    def inspector_name(self, obj):
        return obj.inspector.get_full_name() or obj.inspector.get_username()

    @admin.display(description=_("community"), ordering="project__neighbourhood__community__name")
    def community(self, obj):
        return obj.project.neighbourhood.community

    @admin.display(description=_("findings"), ordering="n_findings")
    def findings_count(self, obj):
        count = getattr(obj, "n_findings", 0)
        if not count:
            return 0
        url = reverse(f"{self.admin_site.name}:cycle_finding_changelist")
        return format_html('<a href="{}?inspection__id__exact={}">{}</a>', url, obj.pk, count)

    @admin.display(description=_("open findings"), ordering="n_open")
    def open_findings(self, obj):
        return getattr(obj, "n_open", 0)


# --- Findings and their rectification -----------------------------------------------------------


class FindingStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", pgettext_lazy("finding", "Open")),
            ("overdue", _("Overdue")),
            ("rectified", pgettext_lazy("finding", "Rectified")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "overdue":
            return queryset.overdue(timezone.localdate())
        if self.value() == "rectified":
            return queryset.filter(rectified_at__isnull=False)
        return queryset


class FindingChangeForm(FindingForm):
    """A finding on its own page: due no earlier than its inspection."""

    def clean(self):
        cleaned = super().clean()
        if "deadline" in cleaned:
            for reason in inspections.deadline_refusals(
                inspection_date=self.instance.inspection.date, deadline=cleaned["deadline"]
            ):
                self.add_error("deadline", reason)
        return cleaned


class RectifyForm(PhotoUploadMixin, forms.Form):
    image_fields = ("proof",)

    rectification = forms.CharField(
        label=capfirst(_("rectification done")),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
        help_text=_("What was done to rectify the finding, and when."),
    )
    proof = forms.FileField(
        label=capfirst(_("proof of rectification")),
        required=False,
        help_text=_("A photo of the rectified site (JPEG, PNG or WebP)."),
    )

    def clean_proof(self):
        return self._clean_image("proof")


class ReopenForm(forms.Form):
    deadline = forms.DateField(
        label=capfirst(_("new deadline")),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty to keep the deadline."),
    )


@admin.register(Finding)
class FindingAdmin(ScopedHistoryAdmin, ScopedModelAdmin):
    form = FindingChangeForm
    change_form_template = "admin/cycle/finding/change_form.html"
    step_form_template = "admin/cycle/finding/step_form.html"
    list_display = [
        "excerpt",
        "project",
        "community",
        "inspected_on",
        "category",
        "severity",
        "deadline",
        "state",
    ]
    list_filter = [FindingStateFilter, "category", "severity", CommunityListFilter]
    list_select_related = ["inspection__project__neighbourhood__community"]
    search_fields = [
        "description",
        "inspection__project__name",
        "inspection__project__neighbourhood__name",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "inspection_link",
                    "category",
                    "severity",
                    "description",
                    "deadline",
                    "photo",
                ]
            },
        ),
        (
            _("Rectification"),
            {
                "fields": [
                    "state",
                    "rectification",
                    "proof_preview",
                    "rectified_at",
                    "rectified_by",
                ]
            },
        ),
    ]
    #: Recorded only through the rectification's own page.
    rectification_fields = [
        "state",
        "rectification",
        "proof_preview",
        "rectified_at",
        "rectified_by",
    ]

    def has_add_permission(self, request):
        return False  # findings are recorded on their inspection's page

    def _edits_findings(self, request, obj) -> bool:
        return (
            obj is not None
            and obj.rectified_at is None
            and request.user.has_perm(RECORD_FINDINGS)
            and self.has_change_permission(request, obj)
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["inspection_link", "photo_preview", *self.rectification_fields]
        if not self._edits_findings(request, obj):
            readonly += ["category", "severity", "description", "deadline", "photo"]
        return readonly

    def get_fieldsets(self, request, obj=None):
        # The photo as a picture; an upload field beside it while the finding is edited.
        photo = ["photo_preview"]
        if self._edits_findings(request, obj):
            photo.append("photo")
        return [
            (
                name,
                {
                    "fields": [
                        shown
                        for field in options["fields"]
                        for shown in (photo if field == "photo" else [field])
                    ]
                },
            )
            for name, options in self.fieldsets
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = dict(extra_context or {})
        if obj is not None:
            if not self._edits_findings(request, obj):
                # Nothing to save on the page itself: the rectification has its own form.
                extra_context.update(
                    show_save=False, show_save_and_continue=False, show_save_and_add_another=False
                )
            extra_context["may_rectify"] = obj.rectified_at is None and self.has_change_permission(
                request, obj
            )
            extra_context["may_reopen"] = (
                obj.rectified_at is not None
                and request.user.has_perm(RECORD_FINDINGS)
                and self.has_change_permission(request, obj)
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # --- Columns --------------------------------------------------------------------------

    @admin.display(description=_("finding"))
    def excerpt(self, obj):
        return Truncator(obj.description).chars(EXCERPT_CHARS)

    @admin.display(description=_("project"), ordering="inspection__project__name")
    def project(self, obj):
        return obj.inspection.project

    @admin.display(
        description=_("community"),
        ordering="inspection__project__neighbourhood__community__name",
    )
    def community(self, obj):
        return obj.inspection.project.neighbourhood.community

    @admin.display(description=_("inspected on"), ordering="inspection__date")
    def inspected_on(self, obj):
        return obj.inspection.date

    @admin.display(description=_("state"), ordering="rectified_at")
    def state(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        text = finding_state(obj)
        if obj.rectified_at is None and obj.deadline < timezone.localdate():
            return format_html('<strong class="behind-schedule">{}</strong>', text)
        return text

    @admin.display(description=_("inspection"))
    def inspection_link(self, obj):
        url = reverse(f"{self.admin_site.name}:cycle_inspection_change", args=[obj.inspection_id])
        return format_html('<a href="{}">{}</a>', url, obj.inspection)

    @admin.display(description=_("photo"))
    def photo_preview(self, obj):
        return _photo_link(obj.photo, obj) if obj else "—"

    @admin.display(description=_("proof of rectification"))
    def proof_preview(self, obj):
        return _photo_link(obj.proof, obj) if obj else "—"

    # --- The rectification, and reopening it -----------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/rectify/",
                view(self.rectify_view),
                name="{}_{}_rectify".format(*info),
            ),
            path(
                "<path:object_id>/reopen/",
                view(self.reopen_view),
                name="{}_{}_reopen".format(*info),
            ),
            *super().get_urls(),
        ]

    def _changeable(self, request, object_id):
        """The finding, if the user may see it (else None) and change it (else 403)."""
        finding = self.get_object(request, unquote(object_id))
        if finding is not None and not self.has_change_permission(request, finding):
            raise PermissionDenied
        return finding

    def _change_url(self, finding):
        return reverse(f"{self.admin_site.name}:cycle_finding_change", args=[finding.pk])

    def _step_page(self, request, finding, form, *, title, intro, submit_label, run, done, logged):
        """A page whose form, once valid, runs a step of ``cycle.inspections``: a refusal
        becomes the form's error; success says so and goes back to the finding."""
        if request.method == "POST" and form.is_valid():
            try:
                changed = run(form.cleaned_data)
            except inspections.InspectionRefused as refusal:
                form.add_error(None, [str(reason) for reason in refusal.reasons])
            else:
                self.log_change(request, changed, [{"changed": {"fields": logged}}])
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(changed))
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(finding),
            "intro": intro,
            "submit_label": submit_label,
            "form": form,
            "finding": finding,
            "finding_state": finding_state(finding),
            "photo": _photo_link(finding.photo, finding),
            "opts": self.opts,
            "change_url": self._change_url(finding),
        }
        return TemplateResponse(request, self.step_form_template, context)

    def rectify_view(self, request, object_id):
        finding = self._changeable(request, object_id)
        if finding is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if finding.rectified_at is not None:
            self.message_user(request, _("The finding is already rectified."), messages.WARNING)
            return HttpResponseRedirect(self._change_url(finding))
        form = RectifyForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
        )
        return self._step_page(
            request,
            finding,
            form,
            title=_("Record the rectification"),
            intro=_(
                "Say what was done to rectify the finding and add a photo of the site as "
                "proof. Once confirmed, the finding counts as rectified, by you, today."
            ),
            submit_label=_("Confirm rectification"),
            run=lambda data: inspections.rectify(
                finding,
                by=request.user,
                rectification=data["rectification"],
                proof=form.processed.get("proof"),
            ),
            done=_("The rectification is recorded."),
            logged=["rectification done", "proof of rectification", "rectified"],
        )

    def reopen_view(self, request, object_id):
        finding = self._changeable(request, object_id)
        if finding is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not request.user.has_perm(RECORD_FINDINGS):
            raise PermissionDenied
        form = ReopenForm(request.POST if request.method == "POST" else None)
        return self._step_page(
            request,
            finding,
            form,
            title=_("Reopen the finding"),
            intro=_(
                "The rectification did not hold: the finding is open again and counts as "
                "overdue after its deadline. The rectification recorded stays in its history."
            ),
            submit_label=_("Reopen"),
            run=lambda data: inspections.reopen(
                finding, by=request.user, deadline=data.get("deadline")
            ),
            done=_("The finding is open again."),
            logged=["rectified", "rectify by"],
        )


# --- The monthly inspection report --------------------------------------------------------------


DATE_KEYS = ("date", "inspected_on", "deadline", "rectified_on")


def _dated(row: dict) -> dict:
    """A report row with its ISO dates as dates (to be formatted in the reader's language)."""
    return {
        **row,
        **{
            key: datetime.date.fromisoformat(row[key])
            for key in DATE_KEYS
            if isinstance(row.get(key), str)
        },
    }


def _date_or_none(value):
    return datetime.date.fromisoformat(value) if value else None


def _labelled(rows):
    """Report rows with their category and severity named in the reader's language."""
    return [
        {
            **_dated(row),
            "category_label": Finding.Category(row["category"]).label,
            "severity_label": Finding.Severity(row["severity"]).label,
        }
        for row in rows
    ]


def report_page(content: dict, project_ids: set[int] | None = None) -> dict:
    """What the report's page shows: the stored content, named in the reader's language; with
    ``project_ids``, only the rows of those projects (and counts made of them)."""

    def kept(rows):
        return [row for row in rows if project_ids is None or row["project_id"] in project_ids]

    inspections_rows = kept(content.get("inspections", []))
    findings = content.get("findings", {})
    finding_rows = kept(findings.get("items", []))
    overdue_rows = kept(content.get("overdue", {}).get("items", []))
    rectified_rows = kept(content.get("rectified", {}).get("items", []))
    if project_ids is None:
        by_category = findings.get("by_category", {})
        by_severity = findings.get("by_severity", {})
    else:
        by_category = {
            category: {
                "total": sum(1 for row in finding_rows if row["category"] == category),
                **{
                    severity: sum(
                        1
                        for row in finding_rows
                        if row["category"] == category and row["severity"] == severity
                    )
                    for severity in Finding.Severity.values
                },
            }
            for category in Finding.Category.values
        }
        by_severity = {
            severity: sum(1 for row in finding_rows if row["severity"] == severity)
            for severity in Finding.Severity.values
        }
    severities = [(value, label) for value, label in Finding.Severity.choices]
    return {
        "severities": [label for _value, label in severities],
        "categories": [
            {
                "label": label,
                "counts": [by_category.get(value, {}).get(s, 0) for s, _label in severities],
                "total": by_category.get(value, {}).get("total", 0),
            }
            for value, label in Finding.Category.choices
        ],
        "severity_totals": [by_severity.get(s, 0) for s, _label in severities],
        "inspections": [_dated(row) for row in inspections_rows],
        "findings": _labelled(finding_rows),
        "findings_total": len(finding_rows),
        "overdue": _labelled(overdue_rows),
        "rectified": _labelled(rectified_rows),
        "as_of": _date_or_none(content.get("overdue", {}).get("as_of")),
    }


@admin.register(InspectionReport)
class InspectionReportAdmin(AnjuModelAdmin):
    """The monthly reports, read-only: each is produced when its month closes (and again,
    replacing it, by the "Produce again" action of the county office)."""

    list_display = [
        "month_label",
        "inspection_count",
        "finding_count",
        "overdue_count",
        "generated_at",
    ]
    list_display_links = ["month_label"]
    actions = ["produce_again"]
    report_template = "cycle/inspection_report.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_produce_permission(self, request):
        return request.user.has_perm("cycle.change_inspectionreport")

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, obj):
        return str(Month(obj.month))

    @admin.display(description=_("inspections"))
    def inspection_count(self, obj):
        return len(obj.content.get("inspections", []))

    @admin.display(description=_("findings"))
    def finding_count(self, obj):
        return obj.content.get("findings", {}).get("total", 0)

    @admin.display(description=_("overdue rectifications"))
    def overdue_count(self, obj):
        return obj.content.get("overdue", {}).get("count", 0)

    @admin.action(description=_("Produce the selected reports again"), permissions=["produce"])
    def produce_again(self, request, queryset):
        months = list(queryset.order_by("month").values_list("month", flat=True))
        for month in months:
            inspections.produce_report(Month(month))
        self.message_user(
            request,
            ngettext(
                "%(count)d report produced again.", "%(count)d reports produced again.", len(months)
            )
            % {"count": len(months)},
            messages.SUCCESS,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The report as a page: read on a phone, printed on A4."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        report = self.get_object(request, unquote(object_id))
        if report is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        scoped = not sees_every_neighbourhood(request.user)
        project_ids = (
            set(Project.objects.visible_to(request.user).values_list("pk", flat=True))
            if scoped
            else None
        )
        month = Month(report.month)
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": _("Inspection report of %(month)s") % {"month": month},
            "opts": self.opts,
            "report": report,
            "page": report_page(report.content, project_ids),
            "scoped": scoped,
            "month": month,
            "inspection_url": f"{self.admin_site.name}:cycle_inspection_change",
            "finding_url": f"{self.admin_site.name}:cycle_finding_change",
        }
        return TemplateResponse(request, self.report_template, context)
