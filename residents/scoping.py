"""Row-level scoping: which neighbourhoods, and so which rows, a user may reach.

County office staff, inspectors, leaders and auditors hold ``view_all_neighbourhoods`` and
see the whole county. Everyone else sees the neighbourhoods of the communities on their staff
profile and those assigned to their visit teams, and nothing more: in admin lists, detail
pages, autocompletes and exports alike, since all of them read through these filters.
"""

from django.db import models
from django.db.models import Q

ALL_NEIGHBOURHOODS_PERMISSION = "residents.view_all_neighbourhoods"


def sees_every_neighbourhood(user) -> bool:
    return bool(user.is_active and user.has_perm(ALL_NEIGHBOURHOODS_PERMISSION))


def _scope(user, path: str, visible_pks) -> Q:
    """``path``'s row among ``visible_pks()`` (a subquery of ids), for a user who is scoped."""
    lookup = f"{path}__pk__in" if path else "pk__in"
    if sees_every_neighbourhood(user):
        return Q()
    if not user.is_authenticated:
        return Q(**{lookup: []})
    return Q(**{lookup: visible_pks()})


def neighbourhood_scope(user, path: str = "") -> Q:
    """A filter for rows whose neighbourhood (reached through ``path``) ``user`` may see."""
    from .models import Neighbourhood

    return _scope(
        user,
        path,
        lambda: Neighbourhood.objects.filter(
            Q(community__staff_profiles__user=user) | Q(visit_teams__members=user)
        ).values("pk"),
    )


def community_scope(user, path: str = "") -> Q:
    """A filter for rows whose community (reached through ``path``) ``user`` works in."""
    from .models import Region

    return _scope(
        user,
        path,
        lambda: Region.objects.filter(
            Q(staff_profiles__user=user) | Q(neighbourhoods__visit_teams__members=user)
        ).values("pk"),
    )


class NeighbourhoodScopedQuerySet(models.QuerySet):
    """A queryset whose rows belong to a neighbourhood, reached through ``scope_path``."""

    scope_path = "neighbourhood"

    def visible_to(self, user):
        return self.filter(neighbourhood_scope(user, self.scope_path))
