"""Imports in the admin: the template of each register, the upload, the check's preview, the
import itself, the result report; and the log of exports, for the county office and the
auditor.

A register's list shows an "Import" button (added to ``residents.admin.CHANGELIST_TOOLS``) to
those who may add and change its records; every export is logged (``EXPORT_LISTENERS``).
A file up to ``ANJU_IMPORT_INLINE_BYTES`` is checked and imported while the importer waits;
a larger one by Celery, its page refreshing itself with the progress.
"""

import io

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from projects.models import TaskItem
from residents.admin import CHANGELIST_TOOLS, EXPORT_LISTENERS
from residents.models import Building, Household, Neighbourhood, Region
from residents.scoping import sees_every_neighbourhood
from surveys.models import Visit

from . import tasks
from .engine import KINDS
from .forms import UploadForm
from .kinds import OUTCOMES
from .models import ExportLog, ImportJob
from .templates import template_workbook


def import_button(code: str):
    """The "Import" button of a register's list, for those who may import it."""

    def tool(request):
        if request.user.has_perm("imports.add_importjob") and KINDS[code](request.user).allowed():
            return _("Import"), reverse("admin:imports_importjob_upload", args=[code])
        return None

    return tool


def log_export(*, request, model, rows, file_format, personal) -> None:
    """Write the export to the log the auditor reads: who, which list, how many rows, in
    which format, whether personal data was in the clear, and the list's filters (a search's
    words left out: they may be a person's name)."""
    filters = "&".join(
        f"{key}={value}" if key != "q" else "q=…"
        for key, value in sorted(request.GET.items())
        if key not in ("o", "p")
    )
    ExportLog.objects.create(
        user=request.user,
        model=f"{model._meta.app_label}.{model._meta.model_name}",
        file_format=file_format,
        rows=rows,
        personal_data=personal,
        filters=filters[:1000],
    )


for _model, _code in (
    (Household, "households"),
    (Building, "buildings"),
    (Neighbourhood, "neighbourhoods"),
    (Visit, "visits"),
    (TaskItem, "task_items"),
    (Region, "regions"),
):
    CHANGELIST_TOOLS[_model].append(import_button(_code))
EXPORT_LISTENERS.append(log_export)


class KindFilter(admin.SimpleListFilter):
    title = _("register")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(code, kind.label) for code, kind in KINDS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("file_name", "register", "state", "rows", "uploaded_by", "uploaded_at")
    list_filter = ("state", KindFilter)
    date_hierarchy = "uploaded_at"

    def get_queryset(self, request):
        jobs = super().get_queryset(request).select_related("uploaded_by", "imported_by")
        if sees_every_neighbourhood(request.user):
            return jobs
        return jobs.filter(uploaded_by=request.user)

    def has_add_permission(self, request):
        return False  # through the upload page of a register

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("register"))
    def register(self, job):
        kind = KINDS.get(job.kind)
        return kind.label if kind else job.kind

    @admin.display(description=_("rows"))
    def rows(self, job):
        return " · ".join(
            f"{OUTCOMES[name]} {count}" for name, count in job.counts.items() if count
        )

    def get_urls(self):
        own = [
            path(
                "upload/<slug:kind>/",
                self.admin_site.admin_view(self.upload_view),
                name="imports_importjob_upload",
            ),
            path(
                "template/<slug:kind>/",
                self.admin_site.admin_view(self.template_view),
                name="imports_importjob_template",
            ),
            path(
                "<int:pk>/import/",
                self.admin_site.admin_view(self.import_view),
                name="imports_importjob_import",
            ),
            path(
                "<int:pk>/report/",
                self.admin_site.admin_view(self.report_view),
                name="imports_importjob_report",
            ),
        ]
        return own + super().get_urls()

    def _kind(self, request, code):
        kind_class = KINDS.get(code)
        if kind_class is None:
            raise Http404
        kind = kind_class(request.user)
        if not (request.user.has_perm("imports.add_importjob") and kind.allowed()):
            raise PermissionDenied
        return kind

    def upload_view(self, request, kind):
        kind = self._kind(request, kind)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            job = ImportJob(
                kind=kind.code,
                file_name=upload.name[:200],
                uploaded_by=request.user,
                state=ImportJob.State.CHECKING,
            )
            job.file.save(
                f"{kind.code}-{request.user.pk}.{upload.name.rsplit('.', 1)[-1].lower()}",
                upload,
                save=False,
            )
            job.save()
            tasks.start(job, "check", inline=upload.size <= settings.ANJU_IMPORT_INLINE_BYTES)
            return HttpResponseRedirect(reverse("admin:imports_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import %(register)s") % {"register": kind.label},
            "kind": kind,
            "form": form,
            "limits": {
                "megabytes": settings.ANJU_IMPORT_MAX_BYTES // 2**20,
                "rows": f"{settings.ANJU_IMPORT_MAX_ROWS:,}",
            },
        }
        return TemplateResponse(request, "admin/imports/upload.html", context)

    def template_view(self, request, kind):
        kind = self._kind(request, kind)
        content = template_workbook(kind)
        return FileResponse(
            io.BytesIO(content),
            as_attachment=True,
            filename=f"{kind.sheet}导入模板.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    def _job(self, request, pk):
        """The job ``pk`` for a user who may read jobs (the pages below replace the admin's
        own, so they check the permission themselves)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self._job(request, object_id)
        if job.phase == ImportJob.UNSENT and tasks.send(job.pk):  # the queue is back
            job.refresh_from_db()
        kind_class = KINDS.get(job.kind)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": job.file_name,
            "job": job,
            "kind": kind_class(request.user) if kind_class else None,
            "outcomes": [
                (name, label, job.counts.get(name, 0), job.preview.get("rows", {}).get(name, []))
                for name, label in (
                    ("invalid", _("Invalid")),
                    ("new", _("New")),
                    ("updated", _("Updated")),
                    ("unchanged", _("Unchanged")),
                )
            ],
            "may_import": job.importable and job.uploaded_by_id == request.user.pk,
            "may_upload": kind_class is not None
            and request.user.has_perm("imports.add_importjob")
            and kind_class(request.user).allowed(),
        }
        return TemplateResponse(request, "admin/imports/job.html", context)

    def import_view(self, request, pk):
        if request.method != "POST":
            raise Http404
        with transaction.atomic():
            job = get_object_or_404(
                self.get_queryset(request).select_for_update(of=("self",)), pk=pk
            )
            if job.uploaded_by_id != request.user.pk:
                raise PermissionDenied
            if not job.importable:
                messages.error(request, _("This file cannot be imported as it stands."))
                return HttpResponseRedirect(reverse("admin:imports_importjob_change", args=[pk]))
            self._kind(request, job.kind)
            ImportJob.objects.filter(pk=pk).update(state=ImportJob.State.IMPORTING, phase="")
        job.refresh_from_db()
        tasks.start(
            job, "apply", inline=job.file.size <= settings.ANJU_IMPORT_INLINE_BYTES, by=request.user
        )
        return HttpResponseRedirect(reverse("admin:imports_importjob_change", args=[pk]))

    def report_view(self, request, pk):
        job = self._job(request, pk)
        if not job.report:
            raise Http404
        return FileResponse(
            job.report.open("rb"),
            as_attachment=True,
            filename=f"{job.file_name.rsplit('.', 1)[0]}-结果.xlsx",
        )


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """Every export of a list, read-only: for the auditor and the county office."""

    @admin.display(description=_("list"), ordering="model")
    def list_name(self, log):
        return log.list_name

    list_display = ("at", "user", "list_name", "file_format", "rows", "personal_data")
    list_filter = ("personal_data", "file_format")
    date_hierarchy = "at"
    search_fields = ("user__username", "model")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
