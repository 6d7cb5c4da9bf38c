"""The admin of the registers.

Every list and page reads through the models' ``visible_to(user)`` filters, so community staff
and visit teams reach only their own neighbourhoods: in lists, by direct URL, in autocompletes,
in the choices of a form and in exports. Phone and ID numbers are shown masked unless the user
holds ``residents.view_personal_data``, and cannot be searched for without it.
"""

import datetime
import functools
import hashlib
from collections import Counter, defaultdict

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.utils import timezone, translation
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import SelectableFieldsExportForm

from .masking import can_view_personal_data, mask_id_number, mask_name, mask_phone
from .models import (
    Building,
    BuildingHead,
    CommitteeMember,
    Household,
    Neighbourhood,
    OwnersCommittee,
    PropertyCompany,
    Region,
    StaffProfile,
    VisitTeam,
    count_of,
)
from .resources import BuildingResource, HouseholdResource, NeighbourhoodResource
from .scoping import community_scope

admin.site.site_header = _("Anju · old-neighbourhood renovation")
admin.site.site_title = _("Anju")
admin.site.index_title = _("Programme administration")


@functools.cache
def _verbose_names_by_label() -> dict[str, str]:
    """Form labels as the admin stores them in the change history ("People"), mapped to the
    verbose names that the translation catalogue knows ("people")."""
    with translation.override(None):
        return {
            capfirst(str(field.verbose_name)): str(field.verbose_name)
            for model in apps.get_models()
            for field in model._meta.get_fields()
            if hasattr(field, "verbose_name")
        }


class ChangeHistoryMixin:
    """Stores the changed fields of the change history under their verbose names, so that
    the history reads in the reader's language (Django stores capitalised labels, which no
    catalogue translates)."""

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        labels = _verbose_names_by_label()
        for entry in message:
            for change in entry.values():
                if "fields" in change:
                    change["fields"] = [labels.get(label, label) for label in change["fields"]]
        return message


class ScopedAdminMixin:
    """Limits rows, and the rows a form may point at, to what the user may see.

    The model's default manager must offer ``visible_to(user)``; so must the managers of
    related models that are to be limited in forms and autocompletes.
    """

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def _limit(self, db_field, request, kwargs):
        related = db_field.remote_field.model
        if db_field.name == "community" and related is Region:
            kwargs["queryset"] = Region.objects.filter(level=Region.Level.COMMUNITY).filter(
                community_scope(request.user)
            )
        elif hasattr(related._default_manager, "visible_to"):
            kwargs["queryset"] = related._default_manager.visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._limit(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._limit(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadableKeysMixin:
    """An autocomplete widget that looks up only the submitted keys its model can read.

    After a refused save, Django's autocomplete widgets look the submitted keys up to show
    them again; a key that is not a number (a hand-made post) would make that query raise, a
    server error instead of the form's own "Select a valid choice". So would a number beyond
    the range of the column.
    """

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        key = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)
        return super().optgroups(name, [v for v in value if _readable(key, v)], attr)


def _readable(field, value) -> bool:
    """Whether ``value`` is a key ``field`` can hold (a number within the column's range)."""
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


class ReadableKeysSelect(ReadableKeysMixin, AutocompleteSelect):
    pass


class ReadableKeysSelectMultiple(ReadableKeysMixin, AutocompleteSelectMultiple):
    pass


class ReadableKeysAdminMixin:
    """Autocomplete fields with the widgets of ``ReadableKeysMixin``."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ReadableKeysSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ReadableKeysSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


#: The dates a record of the programme may carry: a typo such as 0206 for 2026 is refused with
#: a clear message instead of being kept (or overflowing a database's date type).
PLAUSIBLE_DATES = (datetime.date(2000, 1, 1), datetime.date(2099, 12, 31))


def validate_plausible_date(value):
    day = value.date() if isinstance(value, datetime.datetime) else value
    first, last = PLAUSIBLE_DATES
    if not first <= day <= last:
        raise ValidationError(
            _("Enter a date between %(first)s and %(last)s."),
            code="implausible_date",
            params={"first": first.isoformat(), "last": last.isoformat()},
        )


class PlausibleDatesAdminMixin:
    """Every date (and date and time) typed in an admin form lies within ``PLAUSIBLE_DATES``."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateField) and formfield is not None:
            formfield.validators = [*formfield.validators, validate_plausible_date]
        return formfield


class AnjuModelAdmin(
    PlausibleDatesAdminMixin, ReadableKeysAdminMixin, ChangeHistoryMixin, admin.ModelAdmin
):
    """The base of Anju's model admins."""

    list_per_page = 50

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # After a failed save the form has written the typed values into ``obj``; title the
        # page by the record as it is stored, not as it was mistyped.
        if change and obj is not None and context["adminform"].form.errors:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            if stored is not None:
                context.update(original=stored, subtitle=str(stored))
        return super().render_change_form(request, context, add, change, form_url, obj)


#: The hidden field of a change form that carries the record's version as it was opened.
VERSION_FIELD = "stored_version"


class StaleEditForm(forms.ModelForm):
    """A change form that refuses to save when the record changed after it was opened.

    It carries, in a hidden field, a digest of the stored values of the fields it edits (its
    many-to-many fields included); on save, the digest is taken again from the record as it
    is now and must be the same. Fields the form does not edit (a status moved by a button,
    say) may change meanwhile: the save does not touch them."""

    stored_version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.version = self._version() if self.instance.pk is not None else ""
        self.fields[VERSION_FIELD].initial = self.version

    def _version(self) -> str:
        values = []
        for name in self.fields:
            try:
                field = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue  # a field of the form alone
            if not field.concrete:
                continue
            if field.many_to_many:
                values.append(sorted(getattr(self.instance, name).values_list("pk", flat=True)))
            else:
                values.append(getattr(self.instance, field.attname))
        return hashlib.sha256(repr(values).encode()).hexdigest()[:16]

    def clean(self):
        if self.instance.pk is not None and self.cleaned_data.get(VERSION_FIELD) != self.version:
            raise ValidationError(
                _(
                    "This record was changed by someone else after you opened it: reload it "
                    "and make your change again."
                ),
                code="stale",
            )
        return super().clean()


class StaleEditMixin:
    """A model admin whose change form refuses to overwrite a change saved by someone else
    after it was opened (``StaleEditForm``; an admin's own ``form`` must subclass it).

    On save the row is locked, then read: two saves at the same moment take turns, and the
    second sees the first's change. Inline rows are not compared."""

    form = StaleEditForm

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            # Held until the request's transaction ends; then read as it is now.
            locked = self.model._base_manager.select_for_update().filter(pk=obj.pk)
            list(locked.values_list("pk"))
            obj = super().get_object(request, object_id, from_field)
        return obj

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and VERSION_FIELD not in fields:
            fields.append(VERSION_FIELD)
        return fields


class AnjuInlineFormSet(BaseInlineFormSet):
    """Inline formsets that name fields by their verbose names in duplicate errors, and run
    the checks that need the rows of the whole submission (``clean_rows``)."""

    def get_unique_error_message(self, unique_check):
        fields = [str(self.model._meta.get_field(name).verbose_name) for name in unique_check]
        return _("Please correct the duplicate %(fields)s: they must be unique.") % {
            "fields": get_text_list(fields, _("and"))
        }

    def kept_forms(self):
        """The forms whose rows will exist after the save."""
        return [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
        ]

    def validate_unique(self):
        """Django checks the rows for duplicates among themselves, and leaves the parent out of
        each row's own checks against the database (the parent may not exist yet). Two cases
        would then fail at the save, a server error: a new row repeating a stored row the page
        did not show (added meanwhile, in another tab), and a changed row taking the stored
        address of another row that leaves it in the same save (two rows swapping, or a row
        moving into one being vacated: rows are saved one by one). Check every new or changed
        row against the stored ones too."""
        super().validate_unique()
        constraints = [
            constraint
            for constraint in self.model._meta.total_unique_constraints
            if self.fk.name in constraint.fields
        ]
        for form in self.kept_forms():
            adding = form.instance._state.adding
            if form.errors or not (adding or form.has_changed()):
                continue
            exclude = {f.name for f in self.model._meta.fields if f.name not in form.fields}
            for constraint in constraints:
                try:
                    constraint.validate(self.model, form.instance, exclude=exclude)
                except ValidationError as error:
                    form.add_error(None, error)
                    form.add_error(
                        None,
                        _(
                            "If another row of this page is leaving this value, save that row "
                            "first (moving it to a free one if need be), then this one."
                        ),
                    )

    def clean(self):
        super().clean()
        if not any(form.errors for form in self.forms):
            self.clean_rows(self.kept_forms())

    def clean_rows(self, forms):
        pass


class AnjuTabularInline(PlausibleDatesAdminMixin, ReadableKeysAdminMixin, admin.TabularInline):
    formset = AnjuInlineFormSet


class ScopedModelAdmin(ScopedAdminMixin, AnjuModelAdmin):
    """A model admin whose rows belong to neighbourhoods the user may or may not see."""


class ColumnLabelExportForm(SelectableFieldsExportForm):
    """The export form, naming each column by its (translated) heading alone."""

    def _get_field_label(self, resource, field_name):
        field = resource.fields.get(field_name)
        return str(field.column_name) if field else field_name


class ExcelCSV(CSV):
    """CSV that Excel opens as UTF-8: the file starts with a byte-order mark."""

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + super().export_data(dataset, **kwargs)


#: What other apps add to the registers' lists, so that the registers know nothing of them:
#: buttons (``model → [tool(request) → (label, url) or None]``: the ``imports`` app's "Import")
#: and listeners told of every export (``listener(request, model, rows, file_format,
#: personal)``: the ``imports`` app's export log).
CHANGELIST_TOOLS: dict[type, list] = defaultdict(list)
EXPORT_LISTENERS: list = []


class RegisterToolsMixin:
    """A register's list showing the ``CHANGELIST_TOOLS`` of its model."""

    change_list_template = "admin/residents/change_list_tools.html"

    def changelist_view(self, request, extra_context=None):
        tools = [tool(request) for tool in CHANGELIST_TOOLS[self.model]]
        extra_context = {**(extra_context or {}), "extra_tools": [t for t in tools if t]}
        return super().changelist_view(request, extra_context)


class RegisterExportMixin(RegisterToolsMixin, ExportMixin):
    """Export of a register to .xlsx or .csv, with the exporting user handed to the resource
    (which masks personal data accordingly); every export is told to ``EXPORT_LISTENERS``, and
    the list shows the ``CHANGELIST_TOOLS`` of its model."""

    formats = [XLSX, ExcelCSV]
    export_form_class = ColumnLabelExportForm

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        request.anju_export_rows = len(data)
        return data

    def get_export_data(self, file_format, request, queryset, **kwargs):
        exported = super().get_export_data(file_format, request, queryset, **kwargs)
        personal = bool(getattr(self, "personal_fields", None)) and can_view_personal_data(
            request.user
        )
        for listener in EXPORT_LISTENERS:
            listener(
                request=request,
                model=self.model,
                rows=getattr(request, "anju_export_rows", 0),
                file_format=file_format.get_extension(),
                personal=personal,
            )
        return exported

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_filename(self, request, queryset, file_format):
        with translation.override(None):
            name = str(self.model._meta.verbose_name_plural).replace(" ", "-")
        return f"anju-{name}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"


#: Strings of django-import-export that its own Chinese catalogue lacks.
THIRD_PARTY_STRINGS = [gettext_noop("Select all")]


class PersonalDataMixin:
    """Shows personal data masked, read-only and unsearchable to users without the permission
    to see it: ``personal_fields`` maps each personal field to the masked display used instead."""

    personal_fields = {"phone": "masked_phone", "id_number": "masked_id_number"}
    HEAD_NAME = {"head_name": "masked_head_name", **personal_fields}
    PERSON_NAME = {"name": "masked_name", **personal_fields}

    def _hides_personal_data(self, request):
        return not can_view_personal_data(request.user)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self._hides_personal_data(request):
            fields = [self.personal_fields.get(name, name) for name in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._hides_personal_data(request):
            readonly += [
                masked
                for name, masked in self.personal_fields.items()
                if name in {f.name for f in self.model._meta.fields}
            ]
        return readonly

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if self._hides_personal_data(request):
            exclude += [name for name in self.personal_fields if name not in exclude]
        return exclude

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if self._hides_personal_data(request):
            fields = [f for f in fields if f.lstrip("=^@") not in self.personal_fields]
        return fields

    def lookup_allowed(self, lookup, value, request=None):
        # Django admits a lookup on any local field from the URL (``?phone__startswith=138``),
        # which would let a user find a masked number digit by digit; refuse those (400).
        if lookup.split("__")[0] in self.personal_fields and (
            request is None or self._hides_personal_data(request)
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone) if obj else ""

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number) if obj else ""

    @admin.display(description=pgettext_lazy("person", "name"))
    def masked_name(self, obj):
        return mask_name(obj.name) if obj else ""

    @admin.display(description=_("head of household"))
    def masked_head_name(self, obj):
        return mask_name(obj.head_name) if obj else ""

    def get_list_display(self, request):
        list_display = super().get_list_display(request)
        if self._hides_personal_data(request):
            list_display = [self.personal_fields.get(name, name) for name in list_display]
        return list_display


class CommunityListFilter(admin.SimpleListFilter):
    """Filter by community, offering only the communities the user works in.

    The rows reach their community through their neighbourhood, along the ``scope_path`` of
    their scoped queryset (a household: ``building__neighbourhood__community``); rows without
    one (owners' committees) have a ``community`` of their own.
    """

    title = _("community")
    parameter_name = "community"

    def lookups(self, request, model_admin):
        communities = Region.objects.filter(level=Region.Level.COMMUNITY).filter(
            community_scope(request.user)
        )
        return [(c.pk, c.name) for c in communities.order_by("name")]

    @staticmethod
    def community_path(queryset) -> str:
        neighbourhood = getattr(queryset, "scope_path", None)
        return f"{neighbourhood}__community" if neighbourhood else "community"

    def queryset(self, request, queryset):
        value = str(self.value() or "")  # an int when the admin counts facets
        if value and value.isdigit():
            return queryset.filter(**{f"{self.community_path(queryset)}__pk": value})
        if value:  # a hand-edited URL: show nothing rather than fail
            return queryset.none()
        return queryset


class EligibilityFilter(admin.SimpleListFilter):
    title = _("eligibility")
    parameter_name = "eligibility"

    def lookups(self, request, model_admin):
        return Neighbourhood.Eligibility.choices

    def queryset(self, request, queryset):
        from .models import ELIGIBLE_UNTIL_YEAR, EXCEPTION_UNTIL_YEAR

        value = self.value()
        if value == Neighbourhood.Eligibility.ELIGIBLE:
            return queryset.filter(year_built__lte=ELIGIBLE_UNTIL_YEAR)
        if value == Neighbourhood.Eligibility.EXCEPTION:
            return queryset.filter(
                year_built__gt=ELIGIBLE_UNTIL_YEAR, year_built__lte=EXCEPTION_UNTIL_YEAR
            )
        if value == Neighbourhood.Eligibility.NOT_ELIGIBLE:
            return queryset.filter(year_built__gt=EXCEPTION_UNTIL_YEAR)
        if value == Neighbourhood.Eligibility.UNKNOWN:
            return queryset.filter(year_built__isnull=True)
        return queryset


class NeighbourhoodListFilter(admin.SimpleListFilter):
    """Filter households by neighbourhood; the choices are listed when they are few."""

    title = _("neighbourhood")
    parameter_name = "neighbourhood"
    max_choices = 200

    def lookups(self, request, model_admin):
        visible = Neighbourhood.objects.visible_to(request.user).order_by("name")
        choices = list(visible.values_list("pk", "name")[: self.max_choices + 1])
        if len(choices) > self.max_choices:
            choices = (
                list(visible.filter(pk=self.value()).values_list("pk", "name"))
                if str(self.value() or "").isdigit()
                else []
            )
        return [(str(pk), name) for pk, name in choices]

    def queryset(self, request, queryset):
        if str(self.value() or "").isdigit():
            return queryset.filter(building__neighbourhood__pk=self.value())
        return queryset


# --- Regions and firms --------------------------------------------------------------------


@admin.register(Region)
class RegionAdmin(RegisterToolsMixin, AnjuModelAdmin):
    list_display = ["name", "level", "code", "parent"]
    list_filter = ["level"]
    list_select_related = ["parent"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]

    def get_search_results(self, request, queryset, search_term):
        """In the autocomplete of a ``community`` field, offer only the communities the user
        works in: the choices the form itself accepts (``ScopedAdminMixin._limit``)."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = request.resolver_match
        if (
            match
            and match.url_name == "autocomplete"
            and request.GET.get("field_name") == "community"
        ):
            queryset = queryset.filter(community_scope(request.user))
        return queryset, may_have_duplicates


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(AnjuModelAdmin):
    list_display = ["name", "credit_code", "contact_name", "contact_phone", "neighbourhood_count"]
    search_fields = ["name", "credit_code"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_neighbourhoods=count_of(Neighbourhood, "property_company"))
        )

    @admin.display(
        description=pgettext_lazy("count", "neighbourhoods"), ordering="n_neighbourhoods"
    )
    def neighbourhood_count(self, obj):
        return obj.n_neighbourhoods


# --- Neighbourhoods, buildings, households ------------------------------------------------


class BuildingInline(AnjuTabularInline):
    model = Building
    fields = ["number", "floors", "units", "has_elevator", "household_total"]
    readonly_fields = ["household_total"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_households=count_of(Household, "building"))

    @admin.display(description=pgettext_lazy("count", "households"))
    def household_total(self, obj):
        return getattr(obj, "n_households", 0)


class BuildingHeadFormSet(AnjuInlineFormSet):
    def clean_rows(self, forms):
        """One head for each building and one for the whole yard, within this submission as
        in the database (whose constraints cannot see rows not yet saved)."""
        places = Counter(form.cleaned_data.get("building") for form in forms)
        if places.get(None, 0) > 1:
            raise ValidationError(_("This yard already has a head."))
        if any(count > 1 for place, count in places.items() if place is not None):
            raise ValidationError(_("This building already has a head."))


class BuildingHeadInline(PersonalDataMixin, ScopedAdminMixin, AnjuTabularInline):
    model = BuildingHead
    formset = BuildingHeadFormSet
    personal_fields = PersonalDataMixin.PERSON_NAME
    fields = ["name", "phone", "building", "household", "elected_on", "party_member"]
    autocomplete_fields = ["building", "household"]
    extra = 0


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(RegisterExportMixin, ScopedModelAdmin):
    resource_classes = [NeighbourhoodResource]
    list_display = [
        "name",
        "community",
        "year_built",
        "eligibility_display",
        "housing_type",
        "renovation_year",
        "buildings_registered",
        "households_registered",
        "people_registered",
        "property_company",
    ]
    list_filter = [
        CommunityListFilter,
        EligibilityFilter,
        "housing_type",
        "renovation_year",
        "property_company",
    ]
    list_select_related = ["community", "property_company"]
    search_fields = ["name", "address"]
    autocomplete_fields = ["community", "property_company", "owners_committee"]
    readonly_fields = ["eligibility_display", "register_counts"]
    inlines = [BuildingInline, BuildingHeadInline]
    fieldsets = [
        (None, {"fields": ["community", "name", "address"]}),
        (
            _("Register"),
            {
                "fields": [
                    "year_built",
                    "eligibility_display",
                    "housing_type",
                    "renovation_year",
                    ("building_count", "household_count", "population"),
                    "floor_area",
                    "register_counts",
                ]
            },
        ),
        (_("Management"), {"fields": ["property_company", "owners_committee"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_register_counts()

    @admin.display(description=_("eligibility"))
    def eligibility_display(self, obj):
        return obj.get_eligibility_display()

    @admin.display(description=pgettext_lazy("count", "buildings"), ordering="registered_buildings")
    def buildings_registered(self, obj):
        return obj.registered_buildings

    @admin.display(
        description=pgettext_lazy("count", "households"), ordering="registered_households"
    )
    def households_registered(self, obj):
        return obj.registered_households

    @admin.display(description=pgettext_lazy("count", "people"), ordering="registered_people")
    def people_registered(self, obj):
        return obj.registered_people

    @admin.display(description=_("in the register"))
    def register_counts(self, obj):
        if not obj.pk:
            return "—"
        return _("%(buildings)s buildings, %(households)s households, %(people)s people") % {
            "buildings": obj.registered_buildings,
            "households": obj.registered_households,
            "people": obj.registered_people,
        }


class HouseholdInline(PersonalDataMixin, AnjuTabularInline):
    model = Household
    personal_fields = PersonalDataMixin.HEAD_NAME
    fields = ["unit", "floor", "room", "head_name", "phone", "people", "elderly", "occupancy"]
    extra = 0
    show_change_link = True


@admin.register(Building)
class BuildingAdmin(RegisterExportMixin, ScopedModelAdmin):
    resource_classes = [BuildingResource]
    list_display = [
        "number",
        "neighbourhood",
        "floors",
        "units",
        "has_elevator",
        "household_total",
    ]
    list_display_links = ["number"]
    list_filter = [CommunityListFilter, "has_elevator"]
    list_select_related = ["neighbourhood"]
    search_fields = ["neighbourhood__name", "=number"]
    autocomplete_fields = ["neighbourhood"]
    inlines = [HouseholdInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_households=count_of(Household, "building"))

    @admin.display(description=pgettext_lazy("count", "households"), ordering="n_households")
    def household_total(self, obj):
        return obj.n_households


@admin.register(Household)
class HouseholdAdmin(StaleEditMixin, PersonalDataMixin, RegisterExportMixin, ScopedModelAdmin):
    personal_fields = PersonalDataMixin.HEAD_NAME
    resource_classes = [HouseholdResource]
    list_display = [
        "room_address",
        "head_name",
        "phone",
        "people",
        "elderly",
        "disabled",
        "occupancy",
    ]
    list_filter = [CommunityListFilter, NeighbourhoodListFilter, "occupancy"]
    list_select_related = ["building__neighbourhood"]
    search_fields = ["head_name", "building__neighbourhood__name", "=room", "phone", "id_number"]
    autocomplete_fields = ["building"]
    fields = [
        "building",
        ("unit", "floor", "room"),
        "head_name",
        "phone",
        "id_number",
        ("people", "elderly", "disabled"),
        "occupancy",
    ]

    @admin.display(description=_("address"), ordering="building__neighbourhood__name")
    def room_address(self, obj):
        return obj.address


# --- Committees, heads, teams, staff ------------------------------------------------------


class CommitteeMemberFormSet(AnjuInlineFormSet):
    def clean_rows(self, forms):
        chairs = [
            f for f in forms if f.cleaned_data.get("position") == CommitteeMember.Position.CHAIR
        ]
        if len(chairs) > 1:
            raise ValidationError(_("A committee has one chair."))


class CommitteeMemberInline(PersonalDataMixin, AnjuTabularInline):
    model = CommitteeMember
    formset = CommitteeMemberFormSet
    personal_fields = PersonalDataMixin.PERSON_NAME
    fields = ["name", "position", "phone", "party_member"]
    extra = 0


class CommitteeNeighbourhoodInline(AnjuTabularInline):
    model = Neighbourhood
    fk_name = "owners_committee"
    fields = ["name", "community", "year_built"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("neighbourhood covered")
    verbose_name_plural = _("neighbourhoods covered")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OwnersCommittee)
class OwnersCommitteeAdmin(ScopedModelAdmin):
    list_display = [
        "name",
        "community",
        "stage",
        "term_start",
        "term_end",
        "in_office_display",
        "member_total",
    ]
    list_filter = ["stage", CommunityListFilter]
    list_select_related = ["community"]
    search_fields = ["name", "neighbourhoods__name"]
    autocomplete_fields = ["community"]
    inlines = [CommitteeMemberInline, CommitteeNeighbourhoodInline]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(n_members=count_of(CommitteeMember, "committee"))
        )

    @admin.display(description=pgettext_lazy("count", "members"), ordering="n_members")
    def member_total(self, obj):
        return obj.n_members

    @admin.display(description=_("in office"))
    def in_office_display(self, obj):
        if obj.in_office:
            return _("in office")
        if obj.stage == OwnersCommittee.Stage.PREPARING:
            return obj.get_stage_display()
        return _("term ended: re-election due")


@admin.register(BuildingHead)
class BuildingHeadAdmin(PersonalDataMixin, ScopedModelAdmin):
    personal_fields = PersonalDataMixin.PERSON_NAME
    list_display = ["name", "phone", "neighbourhood", "building", "elected_on", "party_member"]
    list_filter = [CommunityListFilter, "party_member"]
    list_select_related = ["neighbourhood", "building__neighbourhood"]
    search_fields = ["name", "neighbourhood__name", "phone"]
    autocomplete_fields = ["neighbourhood", "building", "household"]


@admin.register(VisitTeam)
class VisitTeamAdmin(ScopedModelAdmin):
    list_display = ["name", "member_total", "neighbourhood_total"]
    search_fields = ["name"]
    autocomplete_fields = ["members", "neighbourhoods"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_members=count_of(VisitTeam.members.through, "visitteam"),
                n_neighbourhoods=count_of(VisitTeam.neighbourhoods.through, "visitteam"),
            )
        )

    @admin.display(description=pgettext_lazy("count", "members"), ordering="n_members")
    def member_total(self, obj):
        return obj.n_members

    @admin.display(description=_("in office"))
    def in_office_display(self, obj):
        if obj.in_office:
            return _("in office")
        if obj.stage == OwnersCommittee.Stage.PREPARING:
            return obj.get_stage_display()
        return _("term ended: re-election due")

    @admin.display(
        description=pgettext_lazy("count", "assigned neighbourhoods"), ordering="n_neighbourhoods"
    )
    def neighbourhood_total(self, obj):
        return obj.n_neighbourhoods


@admin.register(StaffProfile)
class StaffProfileAdmin(AnjuModelAdmin):
    list_display = ["user", "community_names", "is_demo_account"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "communities"]
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("communities")

    @admin.display(description=_("communities"))
    def community_names(self, obj):
        return "、".join(c.name for c in obj.communities.all())


# --- Change history -----------------------------------------------------------------------


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """The change history of the admin, read-only, for the county office and the auditor."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag"]
    list_filter = ["action_flag", "content_type"]
    list_select_related = ["user", "content_type"]
    search_fields = ["object_repr", "user__username"]
    date_hierarchy = "action_time"
    fields = [
        "action_time",
        "user",
        "content_type",
        "object_id",
        "object_repr",
        "action_flag",
        "change_message_text",
    ]
    readonly_fields = fields

    @admin.display(description=_("change"))
    def change_message_text(self, obj):
        return obj.get_change_message()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Accounts: a user's role and communities on one page ----------------------------------


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    fields = ["communities"]
    autocomplete_fields = ["communities"]
    can_delete = False
    verbose_name_plural = _("communities this account works in")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AnjuUserAdmin(ChangeHistoryMixin, UserAdmin):
    """Django's user admin, with the communities of the staff profile beside the groups."""

    inlines = [StaffProfileInline]
    list_display = ["username", "first_name", "last_name", "role_names", "is_staff", "is_active"]
    list_filter = ["groups", "is_staff", "is_active"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, obj):
        return "、".join(group.name for group in obj.groups.all())
