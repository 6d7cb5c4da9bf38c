"""Imports of registers from spreadsheets, and the log of every export."""

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportJob(models.Model):
    """One uploaded file, checked (a dry run: every row new, updated, unchanged or invalid)
    and then, when the importer confirms and no row is invalid, imported all at once."""

    class State(models.TextChoices):
        CHECKING = "checking", _("Being checked")
        CHECKED = "checked", _("Checked: ready to import")
        INVALID = "invalid", _("Checked: rows to correct")
        REJECTED = "rejected", _("File refused")
        IMPORTING = "importing", _("Being imported")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("register"), max_length=20)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    state = models.CharField(pgettext_lazy("import", "state"), max_length=10, choices=State.choices)
    #: What the check found: rows by outcome ({"new": 3, "updated": 1, …}).
    counts = models.JSONField(_("rows"), default=dict, blank=True)
    #: Rows to show: the first of each outcome and the invalid ones with their errors (masked).
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    #: What a busy job is doing ("reading", "writing"…), or ``UNSENT``: waiting to be sent to
    #: the task queue, which was unreachable.
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    report = models.FileField(_("result report"), upload_to="imports/%Y/%m/", blank=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    UNSENT = "unsent"

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return (
            f"{self.file_name} ({self.uploaded_at:%Y-%m-%d %H:%M})"
            if self.uploaded_at
            else self.file_name
        )

    @property
    def busy(self) -> bool:
        return self.state in (self.State.CHECKING, self.State.IMPORTING)

    @property
    def importable(self) -> bool:
        return self.state == self.State.CHECKED and bool(
            self.counts.get("new") or self.counts.get("updated")
        )


@receiver(post_delete, sender=ImportJob)
def _delete_files(sender, instance, **kwargs):
    """A deleted import takes its files with it."""
    for field in (instance.file, instance.report):
        if field:
            field.delete(save=False)


class ExportLog(models.Model):
    """One export of a list: who, what, when, how many rows, and whether personal data was
    shown in the clear. Read by the auditor; written by the export itself, never by hand."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    model = models.CharField(_("list"), max_length=100)
    file_format = models.CharField(_("format"), max_length=10)
    rows = models.PositiveIntegerField(_("rows"))
    personal_data = models.BooleanField(
        _("personal data in the clear"),
        help_text=_("Names, phones and ID numbers unmasked (the user may see them)."),
    )
    filters = models.TextField(_("filters"), blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.list_name} · {self.rows}"

    @property
    def list_name(self) -> str:
        """The list exported, by its name ("households"), not its code."""
        from django.apps import apps

        try:
            return str(apps.get_model(self.model)._meta.verbose_name_plural)
        except (LookupError, ValueError):
            return self.model
