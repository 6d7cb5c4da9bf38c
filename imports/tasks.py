"""The check and the import of a file as Celery tasks, for files too large to wait for.

A task that crashes leaves the job failed with its reason, and nothing half-written: the
import writes in one transaction. It can be uploaded and run again.
"""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from . import engine
from .models import ImportJob

logger = logging.getLogger(__name__)


def start(job: ImportJob, step: str, *, inline: bool, by=None) -> None:
    """Run ``step`` ("check" or "apply") of ``job`` now (a small file) or through Celery."""
    if inline:
        _run(job.pk, step, by.pk if by else None)
    else:
        run.delay(job.pk, step, by.pk if by else None)


@shared_task(name="imports.run", acks_late=True, reject_on_worker_lost=True)
def run(job_id: int, step: str, by_id: int | None = None) -> str:
    return _run(job_id, step, by_id)


def _run(job_id: int, step: str, by_id: int | None) -> str:
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    try:
        if step == "check":
            engine.check(job)
        else:
            engine.apply(job, get_user_model().objects.get(pk=by_id))
    except Exception:
        logger.exception("Import %s failed in its %s step.", job_id, step)
        job.refresh_from_db()
        if job.file:
            job.file.delete(save=False)  # the personal data it holds is not kept
        ImportJob.objects.filter(pk=job_id).update(
            file="",
            state=ImportJob.State.FAILED,
            phase="",
            message=_(
                "The file could not be processed: nothing was imported. Try again; if it "
                "fails again, send the file to the county office."
            ),
        )
    return ImportJob.objects.values_list("state", flat=True).get(pk=job_id)
