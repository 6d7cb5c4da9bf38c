"""Row-level scoping: which neighbourhoods, and so which rows, a user may reach.

County office staff, inspectors, leaders and auditors hold ``view_all_neighbourhoods`` and
see the whole county. Everyone else sees the neighbourhoods of the communities on their staff
profile and those assigned to their visit teams, and nothing more: in admin lists, detail
pages, autocompletes and exports alike, since all of them read through these filters.
"""

from django.db.models import Q

ALL_NEIGHBOURHOODS_PERMISSION = "residents.view_all_neighbourhoods"


def sees_every_neighbourhood(user) -> bool:
    return bool(user.is_active and user.has_perm(ALL_NEIGHBOURHOODS_PERMISSION))


def _prefixed(path: str, lookup: str) -> str:
    return f"{path}__{lookup}" if path else lookup


def neighbourhood_scope(user, path: str = "") -> Q:
    """A filter for rows whose neighbourhood (reached through ``path``) ``user`` may see."""
    if sees_every_neighbourhood(user):
        return Q()
    if not user.is_authenticated:
        return Q(**{_prefixed(path, "pk__in"): []})
    from .models import Neighbourhood

    visible = Neighbourhood.objects.filter(
        Q(community__staff_profiles__user=user) | Q(visit_teams__members=user)
    ).values("pk")
    return Q(**{_prefixed(path, "pk__in"): visible})


def community_scope(user, path: str = "") -> Q:
    """A filter for rows whose community (reached through ``path``) ``user`` works in."""
    if sees_every_neighbourhood(user):
        return Q()
    if not user.is_authenticated:
        return Q(**{_prefixed(path, "pk__in"): []})
    from .models import Region

    visible = Region.objects.filter(
        Q(staff_profiles__user=user) | Q(neighbourhoods__visit_teams__members=user)
    ).values("pk")
    return Q(**{_prefixed(path, "pk__in"): visible})
