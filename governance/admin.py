from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from residents.admin import AnjuModelAdmin

from .models import Assessment, CompanyDecision, CreditRecord, Grade, NegativeItem, needing_new_firm


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
        self.fields["points"].required = False
        self.fields["negative_item"].queryset = NegativeItem.objects.filter(active=True)

    def clean(self):
        cleaned = super().clean()
        item = cleaned.get("negative_item")
        if item is not None:
            cleaned["kind"] = CreditRecord.Kind.BAD
            if cleaned.get("points") is None:
                cleaned["points"] = item.deduction
        elif cleaned.get("points") is None:
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


@admin.register(Assessment)
class AssessmentAdmin(AnjuModelAdmin):
    list_display = ("year", "company", "score", "grade", "below_standard", "computed_at")
    list_filter = ("year", "grade", "below_standard")

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
