import datetime

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from residents.admin import (
    AnjuModelAdmin,
    AnjuTabularInline,
    CommunityListFilter,
    PersonalDataMixin,
    PropertyCompanyAdmin,
    ScopedModelAdmin,
)
from residents.models import PropertyCompany

from . import evaluation, scoring
from .models import (
    AreaNeighbourhood,
    Assessment,
    BigPropertyArea,
    CompanyDecision,
    CompanyStaff,
    CreditRecord,
    EvaluationRound,
    Grade,
    NegativeItem,
    PartyMember,
    ResidentsMeeting,
    ServiceContract,
    needing_new_firm,
)


@admin.register(Grade)
class GradeAdmin(AnjuModelAdmin):
    list_display = ("name", "minimum", "below_standard")


@admin.register(NegativeItem)
class NegativeItemAdmin(AnjuModelAdmin):
    list_display = ("behaviour", "deduction", "active")
    list_filter = ("active",)
    search_fields = ("behaviour",)


class CreditRecordForm(forms.ModelForm):
    """A negative-list behaviour is a bad record worth its deduction, unless points are given."""

    class Meta:
        model = CreditRecord
        fields = ["company", "date", "kind", "source", "negative_item", "points", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "points" not in self.fields:  # shown read-only (a residents' evaluation's record)
            return
        self.fields["points"].required = False
        self.fields["kind"].required = False
        self.fields["negative_item"].queryset = NegativeItem.objects.filter(active=True)

    def clean(self):
        cleaned = super().clean()
        if "points" not in self.fields:
            return cleaned
        item = cleaned.get("negative_item")
        if item is not None:
            cleaned["kind"] = CreditRecord.Kind.BAD
            if cleaned.get("points") is None:
                cleaned["points"] = item.deduction
        else:
            if not cleaned.get("kind"):
                self.add_error("kind", _("Say whether it is a good or a bad record."))
            if cleaned.get("points") is None:
                self.add_error("points", _("Give the points of the record."))
        return cleaned


@admin.register(CreditRecord)
class CreditRecordAdmin(AnjuModelAdmin):
    form = CreditRecordForm
    list_display = ("date", "company", "kind", "source", "points", "negative_item")
    list_filter = ("kind", "source", "company")
    date_hierarchy = "date"
    autocomplete_fields = ("company",)
    readonly_fields = ("recorded_by", "recorded_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    @staticmethod
    def _from_an_evaluation(obj) -> bool:
        return obj is not None and EvaluationRound.objects.filter(credit_record=obj).exists()

    def has_change_permission(self, request, obj=None):
        # A residents' evaluation's record is its result: it is not edited by hand.
        if self._from_an_evaluation(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._from_an_evaluation(obj):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Assessment)
class AssessmentAdmin(AnjuModelAdmin):
    list_display = ("year", "company", "score", "grade", "standard", "computed_at")
    list_filter = ("year", "grade", "below_standard")
    actions = ["reassess"]

    @admin.display(description=_("below standard"), ordering="below_standard")
    def standard(self, assessment):
        return _("below standard") if assessment.below_standard else "—"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(
        description=_("Recompute the assessment of the selected years from the credit file"),
        permissions=["reassess"],
    )
    def reassess(self, request, queryset):
        years = sorted(set(queryset.values_list("year", flat=True)))
        for year in years:
            scoring.assess(year)
        self.message_user(
            request,
            _("Recomputed: %(years)s.") % {"years": "、".join(map(str, years))},
            messages.SUCCESS,
        )

    def has_reassess_permission(self, request):
        return request.user.has_perm("governance.add_assessment")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CompanyDecision)
class CompanyDecisionAdmin(AnjuModelAdmin):
    list_display = ("decided_on", "company", "kind", "neighbourhoods_to_rehome")
    list_filter = ("kind",)
    autocomplete_fields = ("company",)
    readonly_fields = ("decided_by",)

    @admin.display(description=_("neighbourhoods to find a new firm"))
    def neighbourhoods_to_rehome(self, decision):
        names = needing_new_firm().filter(property_company=decision.company)
        return "、".join(names.values_list("name", flat=True)) or "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.decided_by = request.user
        super().save_model(request, obj, form, change)


# --- Residents' evaluation of property service -----------------------------------------------


class EvaluationRoundForm(forms.ModelForm):
    """Opening a round: the firm, the quarter (this one by default) and the last day to
    answer (in 30 days by default); refused, with the reason, when nobody could answer."""

    class Meta:
        model = EvaluationRound
        fields = ["company", "year", "quarter", "closes_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        if self.instance.pk is None:
            year, quarter = evaluation.quarter_of(today)
            self.fields["year"].initial = year
            self.fields["quarter"].initial = quarter
            self.fields["closes_on"].initial = today + datetime.timedelta(
                days=evaluation.DEFAULT_DAYS
            )
        if "company" in self.fields:  # read-only once the round is open
            self.fields["company"].queryset = PropertyCompany.objects.exclude(
                decisions__isnull=False
            )

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        closes_on = cleaned.get("closes_on")
        if self.instance.pk is None:
            company, year, quarter = (cleaned.get(n) for n in ("company", "year", "quarter"))
            if company is not None and year and quarter:
                for reason in evaluation.opening_problems(company, year, quarter, closes_on, today):
                    self.add_error(None, reason)
        elif closes_on is not None and closes_on < today and "closes_on" in self.changed_data:
            self.add_error("closes_on", _("The last day to answer is already past."))
        return cleaned


@admin.register(EvaluationRound)
class EvaluationRoundAdmin(AnjuModelAdmin):
    form = EvaluationRoundForm
    list_display = (
        "period_display",
        "company",
        "closes_on",
        "households",
        "answered_display",
        "turnout_display",
        "rate_display",
        "record_display",
    )
    list_filter = ("year", "quarter", "company")
    list_select_related = ("company", "credit_record")
    readonly_fields = (
        "households",
        "opened_at",
        "opened_by",
        "answered_display",
        "turnout_display",
        "rate_display",
        "closed_at",
        "closed_by",
        "record_display",
    )
    actions = ["close_rounds"]

    def get_queryset(self, request):
        return evaluation.with_live_counts(super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.is_open:
            return ("company", "year", "quarter", *self.readonly_fields)
        return ("company", "year", "quarter", "closes_on", *self.readonly_fields)

    @admin.display(description=_("period"), ordering="year")
    def period_display(self, obj):
        return obj.period

    @admin.display(description=_("households answered"))
    def answered_display(self, obj):
        return evaluation.result_of(obj).answered

    @admin.display(description=_("turnout"))
    def turnout_display(self, obj):
        turnout = evaluation.result_of(obj).turnout_percent
        return "—" if turnout is None else f"{turnout}%"

    @admin.display(description=_("satisfied"))
    def rate_display(self, obj):
        rate = evaluation.result_of(obj).rate_percent
        return "—" if rate is None else f"{rate}%"

    @admin.display(description=_("points"))
    def record_display(self, obj):
        text = evaluation.points_text(obj)
        if obj.credit_record_id is None:
            return text
        url = reverse("admin:governance_creditrecord_change", args=[obj.credit_record_id])
        return format_html('<a href="{}">{}</a>', url, text)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.households = evaluation.households_served(obj.company).count()
            obj.opened_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # A round that took answers is part of the firm's record.
        if obj is not None and (not obj.is_open or obj.answers.exists()):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(
        description=_("Close the selected rounds and write their points"),
        permissions=["change"],
    )
    def close_rounds(self, request, queryset):
        """Asks first, showing what each round would earn now; closing cannot be undone."""
        rounds = list(queryset.filter(closed_at__isnull=True).select_related("company"))
        if not rounds:
            self.message_user(request, _("None of the selected rounds is open."), messages.WARNING)
            return None
        if request.POST.get("confirm") != "yes":
            rows = []
            for round_ in rounds:
                result = evaluation.result_of(round_)
                kind, points = result.points
                rows.append((round_, result, kind, points))
            context = {
                **self.admin_site.each_context(request),
                "title": _("Close the residents' evaluations?"),
                "opts": self.model._meta,
                "rows": rows,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/governance/evaluationround/close_confirmation.html", context
            )
        scored = unscored = 0
        for round_ in rounds:
            closed = evaluation.close_round(round_, by=request.user)
            if closed.credit_record_id:
                scored += 1
            else:
                unscored += 1
        if scored:
            self.message_user(
                request,
                ngettext(
                    "%(count)d round closed; its points are in the credit file.",
                    "%(count)d rounds closed; their points are in the credit file.",
                    scored,
                )
                % {"count": scored},
                messages.SUCCESS,
            )
        if unscored:
            self.message_user(
                request,
                ngettext(
                    "%(count)d round closed without points (see its result).",
                    "%(count)d rounds closed without points (see their results).",
                    unscored,
                )
                % {"count": unscored},
                messages.WARNING,
            )
        return None


# --- One file per firm (一企一档) ----------------------------------------------------------


class ServiceContractInline(AnjuTabularInline):
    model = ServiceContract
    fields = ["neighbourhood", "signed_on", "starts_on", "ends_on", "fee", "notes"]
    formfield_overrides = {
        models.CharField: {"widget": forms.TextInput(attrs={"size": 16})},
        models.DecimalField: {"widget": forms.NumberInput(attrs={"style": "width: 5em"})},
    }
    autocomplete_fields = ["neighbourhood"]
    extra = 0


class CompanyStaffInline(PersonalDataMixin, AnjuTabularInline):
    model = CompanyStaff
    personal_fields = PersonalDataMixin.PERSON_NAME
    fields = ["name", "duty", "phone", "neighbourhood"]
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs={"size": 14})}}
    autocomplete_fields = ["neighbourhood"]
    extra = 0


class CompanyFileAdmin(PropertyCompanyAdmin):
    """The firm's file (一企一档): its details, contracts and staff contacts, with its
    neighbourhoods, this year's score and its credit file a click away."""

    inlines = [ServiceContractInline, CompanyStaffInline]
    readonly_fields = ["neighbourhoods_served", "record"]

    def get_readonly_fields(self, request, obj=None):
        # The link to the credit file, for those who may follow it.
        readonly = [*super().get_readonly_fields(request, obj)]
        if obj is not None and request.user.has_perm("governance.view_creditrecord"):
            readonly.append("credit_file")
        return readonly

    @admin.display(description=_("neighbourhoods served"))
    def neighbourhoods_served(self, company):
        names = company.neighbourhoods.order_by("name").values_list("name", flat=True)
        return "、".join(names) or "—"

    @admin.display(description=_("record"))
    def record(self, company):
        if company.pk is None:
            return "—"
        year = timezone.localdate().year
        (row,) = scoring.scores(year, [company.pk])
        text = _("%(year)d: %(score)s points, grade %(grade)s") % {
            "year": year,
            "score": row["score"],
            "grade": row["grade"] or "—",
        }
        decisions = [str(d.get_kind_display()) for d in company.decisions.all()]
        return " · ".join([text, "、".join(decisions)]) if decisions else text

    @admin.display(description=_("credit file"))
    def credit_file(self, company):
        url = reverse("admin:governance_creditrecord_changelist")
        return format_html(
            '<a href="{}?company__id__exact={}">{}</a>', url, company.pk, _("credit file")
        )


admin.site.unregister(PropertyCompany)
admin.site.register(PropertyCompany, CompanyFileAdmin)


# --- Residents' self-governance (1+3+N) ----------------------------------------------------


@admin.register(PartyMember)
class PartyMemberAdmin(PersonalDataMixin, ScopedModelAdmin):
    personal_fields = PersonalDataMixin.PERSON_NAME
    list_display = ["name", "phone", "role", "neighbourhood", "since"]
    list_filter = ["role", CommunityListFilter]
    list_select_related = ["neighbourhood"]
    search_fields = ["name", "neighbourhood__name"]
    autocomplete_fields = ["neighbourhood"]


@admin.register(ResidentsMeeting)
class ResidentsMeetingAdmin(ScopedModelAdmin):
    list_display = ["held_on", "kind", "neighbourhood", "topic", "attendance"]
    list_filter = ["kind", CommunityListFilter]
    list_select_related = ["neighbourhood"]
    search_fields = ["topic", "neighbourhood__name", "outcome"]
    autocomplete_fields = ["neighbourhood"]
    date_hierarchy = "held_on"


class AreaNeighbourhoodInline(AnjuTabularInline):
    model = AreaNeighbourhood
    fields = ["neighbourhood"]
    autocomplete_fields = ["neighbourhood"]
    extra = 0


@admin.register(BigPropertyArea)
class BigPropertyAreaAdmin(AnjuModelAdmin):
    list_display = ["name", "company", "established_on", "neighbourhood_total"]
    list_select_related = ["company"]
    search_fields = ["name", "members__neighbourhood__name"]
    autocomplete_fields = ["company"]
    inlines = [AreaNeighbourhoodInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_neighbourhoods=Count("members"))

    @admin.display(description=_("neighbourhoods"), ordering="n_neighbourhoods")
    def neighbourhood_total(self, area):
        return area.n_neighbourhoods
