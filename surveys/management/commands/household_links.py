"""Issue new household links for a neighbourhood and print them, one household a line.

    python manage.py household_links --neighbourhood 桃园小区 --base-url https://anju.example.cn

prints ``address<TAB>url`` for every household of the neighbourhood, for a mail merge or a
card printer. Every household gets a new link and its previous link stops working (the
command says so on stderr): a link exists in clear only where it is printed.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from residents.models import Household, Neighbourhood
from surveys import links

#: How many similar names an error for an unknown neighbourhood suggests.
SUGGESTIONS = 5


class Command(BaseCommand):
    help = (
        "Issue new links for every household of a neighbourhood and print one "
        "'address<TAB>url' line per household. The previous links stop working."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--neighbourhood",
            required=True,
            help="The neighbourhood's name, exactly.",
        )
        parser.add_argument(
            "--community",
            help="The community's name, when several neighbourhoods have the same name.",
        )
        parser.add_argument(
            "--base-url",
            help=(
                "The site's address, such as https://anju.example.cn; without it, the "
                "lines give the path of each link only."
            ),
        )

    def handle(self, *args, neighbourhood, community=None, base_url=None, **options):
        if base_url:
            try:
                URLValidator(schemes=["http", "https"])(base_url)
            except ValidationError as error:
                raise CommandError(
                    _("--base-url must be an http:// or https:// address, not %(value)s.")
                    % {"value": base_url}
                ) from error
        place = self.find_neighbourhood(neighbourhood.strip(), community)
        households = sorted(
            Household.objects.filter(building__neighbourhood=place).select_related(
                "building__neighbourhood"
            ),
            key=links.address_order,
        )
        if not households:
            self.stderr.write(_("%(neighbourhood)s has no households.") % {"neighbourhood": place})
            return
        self.stderr.write(
            _(
                "Issuing new links for the %(count)d households of %(neighbourhood)s "
                "(%(community)s): their previous links and cards stop working."
            )
            % {"count": len(households), "neighbourhood": place, "community": place.community}
        )
        if not base_url:
            self.stderr.write(_("No --base-url given: each line gives the path of the link only."))
        for household, token in links.issue_links(households):
            self.stdout.write(f"{household.address}\t{links.link_url(token, base_url=base_url)}")

    def find_neighbourhood(self, name, community=None):
        found = Neighbourhood.objects.filter(name=name).select_related("community")
        if community:
            found = found.filter(community__name=community.strip())
        found = list(found.order_by("community__name"))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise CommandError(
                _(
                    "Several neighbourhoods are named %(name)s, in %(communities)s: "
                    "choose one with --community."
                )
                % {"name": name, "communities": "、".join(n.community.name for n in found)}
            )
        similar = list(
            Neighbourhood.objects.filter(name__icontains=name)
            .order_by("name")
            .values_list("name", flat=True)[:SUGGESTIONS]
        )
        if community:
            message = _("No neighbourhood named %(name)s in a community named %(community)s.") % {
                "name": name,
                "community": community,
            }
        else:
            message = _("No neighbourhood is named %(name)s.") % {"name": name}
        if similar:
            message += " " + _("Similar names: %(names)s.") % {"names": "、".join(similar)}
        raise CommandError(message)
