"""The acceptance report's page and .docx download, for staff in the admin.

Anonymous visitors and accounts without the admin go to the admin's login. A staff account
needs ``projects.view_project`` (403 without it) and reaches only the projects of its scope
(``Project.objects.visible_to``): any other project is a 404, as if it did not exist.
"""

import re
from urllib.parse import quote

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from projects.models import Project

from .report import acceptance_report, report_projects
from .report_docx import report_document

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _report_of(request, pk):
    if not request.user.has_perm("projects.view_project"):
        raise PermissionDenied
    project = get_object_or_404(report_projects().visible_to(request.user), pk=pk)
    return acceptance_report(project)


@staff_member_required
@require_safe
@never_cache
def page(request, pk):
    """The report as a page: read on a phone, printed on A4."""
    report = _report_of(request, pk)
    request.current_app = admin.site.name
    context = {
        **admin.site.each_context(request),
        "title": gettext("Completion acceptance report"),
        "subtitle": report.project.name,
        "opts": Project._meta,
        "report": report,
        "docx_url": reverse("acceptance_report:docx", args=[pk]),
    }
    return TemplateResponse(request, "acceptance/report.html", context)


def _filename(project: Project) -> str:
    """The download's name: the project's name without what a file name cannot hold."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", project.name).strip() or str(project.pk)
    return gettext("%(project)s acceptance report") % {"project": name} + ".docx"


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment named ``filename`` (RFC 5987 ``filename*``, UTF-8) with an ASCII
    ``fallback`` for clients that read only ``filename``."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@staff_member_required
@require_safe
@never_cache
def docx(request, pk):
    """The report as a Word document, laid out as a county government document."""
    report = _report_of(request, pk)
    response = HttpResponse(report_document(report), content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        _filename(report.project), f"acceptance-report-{report.project.pk}.docx"
    )
    return response
