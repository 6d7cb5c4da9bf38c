"""Public notices and disclosures (五项重点公开): no login, no personal data.

A project is public once one of its disclosures is marked public or its plan is posted (一公示,
a notice dated today or earlier); until then its page does not exist (404). Its page shows the
project, its current notice (content, budget, schedule, the days of the notice period, the
photo of the posted sheet, whether residents may still object), its public documents by the
five categories and its before and after photos; the index marks the projects whose notice is
open for objections. Nothing is shown of people: not the residents, not their objections, not
the staff in charge. The notice comes from ``workflow.current_notice`` (owned by ``surveys``).
"""

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import workflow
from .models import Disclosure, Photo, Project

#: The photos shown to the public, under these headings.
PUBLIC_PHOTOS = {
    Photo.Stage.BEFORE: _("Before the work"),
    Photo.Stage.AFTER: _("After the work"),
}


def _public_projects():
    posted = Project.objects.filter(notices__posted_on__lte=timezone.localdate()).values("pk")
    return (
        Project.objects.filter(
            Q(Exists(Disclosure.objects.public().filter(project=OuterRef("pk")))) | Q(pk__in=posted)
        )
        .select_related("neighbourhood__community")
        # The notices are few per project; workflow.current_notice picks from them.
        .prefetch_related("notices")
    )


def _with_current_notice(project: Project) -> Project:
    """``project`` with ``current_notice`` (or None) and ``notice_is_open``."""
    project.current_notice = workflow.current_notice(project)
    project.notice_is_open = bool(project.current_notice and project.current_notice.is_open())
    return project


def notice_index(request):
    """Every public project, by neighbourhood (with its community); those whose notice is
    open for objections are marked."""
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
    projects = [_with_current_notice(project) for project in projects]
    return render(request, "projects/project_notice_list.html", {"projects": projects})


def notice_detail(request, pk):
    """One project's public page: its current notice, its public documents by category, its
    photos."""
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
    _with_current_notice(project)
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
