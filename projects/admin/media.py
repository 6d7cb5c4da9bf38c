"""Admin of a project's photos and public disclosures.

Uploads go through the forms of ``projects/forms.py``: a photo is stored re-encoded without
its metadata (with a thumbnail and its uploader), a document only when its kind and size are
allowed, under a sanitised name; making a document public dates its first publication.
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from residents.admin import (
    AnjuInlineFormSet,
    AnjuTabularInline,
    CommunityListFilter,
    ScopedModelAdmin,
)

from ..forms import DisclosureForm, PhotoForm
from ..models import Disclosure, Photo
from .history import ScopedHistoryAdmin


class ThumbnailMixin:
    @admin.display(description=_("thumbnail"))
    def preview(self, obj):
        if not obj or not obj.thumbnail:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" width="96"></a>',
            obj.image.url,
            obj.thumbnail.url,
            obj,
        )


class PhotoFormSet(AnjuInlineFormSet):
    """Hands the uploading user (set by ``PhotoInline.get_formset``) to each photo form."""

    uploaded_by = None

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "uploaded_by": self.uploaded_by}


class PhotoInline(ThumbnailMixin, AnjuTabularInline):
    model = Photo
    form = PhotoForm
    formset = PhotoFormSet
    fields = ["preview", "stage", "caption", "image", "taken_on", "is_public"]
    readonly_fields = ["preview"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)  # a new class on each call
        formset.uploaded_by = request.user
        return formset


class DisclosureInline(AnjuTabularInline):
    model = Disclosure
    form = DisclosureForm
    fields = ["category", "title", "file", "is_public", "published_at"]
    readonly_fields = ["published_at"]
    extra = 0


class ProjectCommunityMixin:
    @admin.display(description=_("community"), ordering="project__neighbourhood__community__name")
    def community(self, obj):
        return obj.project.neighbourhood.community


@admin.register(Photo)
class PhotoAdmin(ThumbnailMixin, ProjectCommunityMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    form = PhotoForm
    list_display = ["preview", "__str__", "project", "stage", "community", "taken_on", "is_public"]
    list_display_links = ["preview", "__str__"]
    list_filter = ["stage", "is_public", CommunityListFilter]
    list_select_related = ["project__neighbourhood__community"]
    search_fields = ["caption", "project__name", "project__neighbourhood__name"]
    autocomplete_fields = ["project"]
    fields = [
        "project",
        "stage",
        "caption",
        "image",
        "taken_on",
        "is_public",
        "preview",
        "uploaded_by",
    ]
    readonly_fields = ["preview", "uploaded_by"]

    def save_form(self, request, form, change):
        form.uploaded_by = request.user
        return super().save_form(request, form, change)


@admin.register(Disclosure)
class DisclosureAdmin(ProjectCommunityMixin, ScopedHistoryAdmin, ScopedModelAdmin):
    """The documents on their own, for staff who post them without editing the project
    (community staff)."""

    form = DisclosureForm
    list_display = ["title", "project", "community", "category", "is_public", "published_at"]
    list_filter = ["category", "is_public", CommunityListFilter]
    list_select_related = ["project__neighbourhood__community"]
    search_fields = ["title", "project__name", "project__neighbourhood__name"]
    autocomplete_fields = ["project"]
    fields = ["project", "category", "title", "file", "is_public", "published_at"]
    readonly_fields = ["published_at"]


__all__ = ["DisclosureAdmin", "DisclosureInline", "PhotoAdmin", "PhotoInline", "admin"]
