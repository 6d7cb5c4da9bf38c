"""Admin of household links: the list of links, and the printable QR cards of a building.

The list is scoped to the user's neighbourhoods and shows households by their address, with
the head of household masked unless the user may see personal data; links are revoked there,
never edited or deleted (who issued a link and when stays on record).

A card page prints one card per household of a building, each with a QR code of a fresh link.
Printing issues those links (``surveys.links.issue_links``), which revokes the ones before, so
the page says so and issues nothing until the user confirms with a POST; a one-use form key
keeps a reload of the printed page from issuing (and so revoking) the links again. Only users
who may change household links (the county office, community staff for their neighbourhoods)
reach the card pages; a building outside the user's neighbourhoods does not exist for them.
"""

import secrets

import qrcode
import qrcode.image.svg
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from residents.admin import CommunityListFilter, ScopedModelAdmin
from residents.masking import can_view_personal_data, mask_name
from residents.models import Building, Household, Neighbourhood, count_of

from .. import links
from ..models import HouseholdLink

#: How many unused card forms a session remembers (one per confirmation page opened).
KEPT_FORM_KEYS = 20
FORM_KEYS_SESSION = "surveys_card_form_keys"


def qr_svg(data: str) -> str:
    """An inline SVG of the QR code of ``data`` (safe: it is drawn by us, from our data)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode").replace(' id="qr-path"', "")
    return mark_safe(svg)  # nosec B308 B703


class LinkStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("In use")), ("revoked", _("Revoked"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(HouseholdLink)
class HouseholdLinkAdmin(ScopedModelAdmin):
    list_display = [
        "household_address",
        "head_of_household",
        "state",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [LinkStateFilter, CommunityListFilter]
    list_select_related = ["household__building__neighbourhood", "created_by"]
    search_fields = ["household__building__neighbourhood__name", "=household__room"]
    fields = ["household", "state", "created_at", "created_by", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke_selected"]
    change_list_template = "surveys/admin/householdlink_change_list.html"

    # --- The list ------------------------------------------------------------------------

    @admin.display(description=_("address"), ordering="household__building__neighbourhood__name")
    def household_address(self, obj):
        return obj.household.address

    @admin.display(description=_("head of household"))
    def head_of_household(self, obj):
        return obj.household.head_name

    @admin.display(description=_("head of household"))
    def masked_head_of_household(self, obj):
        return mask_name(obj.household.head_name)

    @admin.display(description=_("state"))
    def state(self, obj):
        return _("Revoked") if obj.revoked_at else _("In use")

    def get_list_display(self, request):
        if can_view_personal_data(request.user):
            return self.list_display
        return [
            "masked_head_of_household" if name == "head_of_household" else name
            for name in self.list_display
        ]

    def get_search_fields(self, request):
        fields = list(super().get_search_fields(request))
        if can_view_personal_data(request.user):
            fields.append("household__head_name")
        return fields

    def has_add_permission(self, request):
        return False  # links are issued by printing cards or by the command, never typed

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: who issued a link and when stays on record

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Revoke the selected links"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = links.revoke_links(queryset, by=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d link revoked: its card no longer works.",
                "%(count)d links revoked: their cards no longer work.",
                revoked,
            )
            % {"count": revoked},
            messages.SUCCESS if revoked else messages.WARNING,
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_print_cards": self.has_change_permission(request),
        }
        return super().changelist_view(request, extra_context)

    # --- QR cards of a building ------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("cards/", view(self.card_buildings_view), name="{}_{}_cards".format(*info)),
            path(
                "cards/<int:building_id>/",
                view(self.building_cards_view),
                name="{}_{}_building_cards".format(*info),
            ),
            *super().get_urls(),
        ]

    def _check_may_print(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied

    def _context(self, request, title, **extra):
        request.current_app = self.admin_site.name
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts, **extra}

    def card_buildings_view(self, request):
        """Choose a neighbourhood, then a building, whose cards to print."""
        self._check_may_print(request)
        chosen = request.GET.get("neighbourhood", "")
        neighbourhood = None
        if chosen.isdigit():
            neighbourhood = (
                Neighbourhood.objects.visible_to(request.user)
                .select_related("community")
                .filter(pk=chosen)
                .first()
            )
        if neighbourhood is None:
            context = self._context(
                request,
                _("Print household cards"),
                neighbourhoods=Neighbourhood.objects.visible_to(request.user)
                .select_related("community")
                .order_by("community__name", "name"),
            )
        else:
            buildings = sorted(
                Building.objects.filter(neighbourhood=neighbourhood).annotate(
                    n_households=count_of(Household, "building"),
                    n_links=Count(
                        "households__links", filter=Q(households__links__revoked_at=None)
                    ),
                ),
                key=lambda building: links.natural_key(building.number),
            )
            context = self._context(
                request,
                _("Print household cards"),
                subtitle=str(neighbourhood),
                neighbourhood=neighbourhood,
                buildings=buildings,
            )
        return TemplateResponse(request, "surveys/admin/card_buildings.html", context)

    def building_cards_view(self, request, building_id):
        """GET: what printing will do, with the households to print; POST: issue the links
        and show the cards, ready to print."""
        self._check_may_print(request)
        building = (
            Building.objects.visible_to(request.user)
            .select_related("neighbourhood__community")
            .filter(pk=building_id)
            .first()
        )
        if building is None:
            raise Http404
        households = sorted(
            Household.objects.filter(building=building).select_related("building__neighbourhood"),
            key=links.address_order,
        )
        if request.method == "POST":
            response = self._print_cards(request, building, households)
        else:
            response = self._confirm_cards(request, building, households)
        add_never_cache_headers(response)
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def _confirm_cards(self, request, building, households, selected=None):
        form_key = secrets.token_urlsafe(16)
        keys = request.session.get(FORM_KEYS_SESSION, [])
        request.session[FORM_KEYS_SESSION] = [*keys, form_key][-KEPT_FORM_KEYS:]
        selected = {h.pk for h in households} if selected is None else selected
        context = self._context(
            request,
            _("Print household cards"),
            subtitle=str(building),
            building=building,
            households=[(household, household.pk in selected) for household in households],
            form_key=form_key,
            with_links=HouseholdLink.objects.active().filter(household__building=building).count(),
        )
        return TemplateResponse(request, "surveys/admin/card_confirm.html", context)

    def _print_cards(self, request, building, households):
        keys = request.session.get(FORM_KEYS_SESSION, [])
        form_key = request.POST.get("form_key", "")
        if form_key not in keys:
            self.message_user(
                request,
                _(
                    "These cards were issued already (the page was sent twice): the links "
                    "printed then are in use. To print again, confirm below; that issues new "
                    "links and the earlier cards stop working."
                ),
                messages.WARNING,
            )
            return HttpResponseRedirect(request.path)
        request.session[FORM_KEYS_SESSION] = [key for key in keys if key != form_key]
        wanted = set(request.POST.getlist("household"))
        chosen = [household for household in households if str(household.pk) in wanted]
        if not chosen:
            self.message_user(request, _("Choose at least one household."), messages.ERROR)
            return self._confirm_cards(request, building, households, selected=set())
        issued = links.issue_links(chosen, by=request.user)
        cards = [
            (household, url, qr_svg(url))
            for household, url in (
                (household, links.link_url(token, request)) for household, token in issued
            )
        ]
        context = self._context(
            request,
            _("Household cards"),
            subtitle=str(building),
            building=building,
            cards=cards,
        )
        return TemplateResponse(request, "surveys/admin/cards.html", context)
