"""Public notices and disclosures (五项重点公开): no login, no personal data.

A project is public once one of its disclosures is marked public; until then its page does not
exist (404). Its page shows the project, its public documents by the five categories and its
before and after photos. Nothing is shown of people: not the residents, not the staff in charge.
"""

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from .models import Disclosure, Photo, Project

#: The photos shown to the public, under these headings.
PUBLIC_PHOTOS = {
    Photo.Stage.BEFORE: _("Before the work"),
    Photo.Stage.AFTER: _("After the work"),
}


def _public_projects():
    return Project.objects.filter(
        Exists(Disclosure.objects.public().filter(project=OuterRef("pk")))
    ).select_related("neighbourhood__community")


def notice_index(request):
    """Every project with public disclosures, by neighbourhood (with its community)."""
    projects = (
        _public_projects()
        .annotate(public_documents=Count("disclosures", filter=Q(disclosures__is_public=True)))
        .order_by(
            "neighbourhood__community__name",
            "neighbourhood__name",
            "neighbourhood_id",
            "-batch_year",
            "name",
        )
    )
    return render(request, "projects/project_notice_list.html", {"projects": projects})


def notice_detail(request, pk):
    """One project's public page: its public documents by category, its photos."""
    project = get_object_or_404(
        _public_projects().prefetch_related(
            Prefetch(
                "disclosures",
                queryset=Disclosure.objects.public().order_by(
                    F("published_at").asc(nulls_last=True), "pk"
                ),
                to_attr="public_disclosures",
            ),
            Prefetch(
                "photos",
                queryset=Photo.objects.filter(stage__in=PUBLIC_PHOTOS, is_public=True).order_by(
                    F("taken_on").asc(nulls_last=True), "pk"
                ),
                to_attr="public_photos",
            ),
        ),
        pk=pk,
    )
    categories = [
        (label, [d for d in project.public_disclosures if d.category == value])
        for value, label in Disclosure.Category.choices
    ]
    photos = [
        (heading, [p for p in project.public_photos if p.stage == stage])
        for stage, heading in PUBLIC_PHOTOS.items()
    ]
    return render(
        request,
        "projects/project_notice_detail.html",
        {"project": project, "categories": categories, "photos": photos},
    )
