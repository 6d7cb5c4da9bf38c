"""Admin of a project's photos and public disclosures."""

from django.contrib import admin

from residents.admin import AnjuTabularInline

from ..models import Disclosure, Photo


class PhotoInline(AnjuTabularInline):
    model = Photo
    extra = 0


class DisclosureInline(AnjuTabularInline):
    model = Disclosure
    extra = 0


__all__ = ["DisclosureInline", "PhotoInline", "admin"]
