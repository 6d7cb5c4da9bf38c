"""The check and the import of a file as Celery tasks, for files too large to wait for.

A task that crashes leaves the job failed with its reason, and nothing half-written: the
import writes in one transaction. It can be uploaded and run again.
"""

import functools
import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from config import celery

from . import engine
from .models import ImportJob

logger = logging.getLogger(__name__)


def start(job: ImportJob, step: str, *, inline: bool, by=None) -> None:
    """Run ``step`` ("check" or "apply") of ``job`` now (a small file) or through Celery.

    A job for Celery is marked unsent and sent once the request's transaction is committed
    (so that the worker finds it saved). When the queue is unreachable it stays unsent, with
    a message saying so: opening its page again, or the daily catch-up, sends it
    (``send_unsent``). An import is applied for the person who uploaded the file, as the
    import page allows no one else."""
    if inline:
        _run(job.pk, step, by.pk if by else None)
        return
    ImportJob.objects.filter(pk=job.pk).update(phase=ImportJob.UNSENT)
    job.phase = ImportJob.UNSENT
    transaction.on_commit(functools.partial(send, job.pk))


def send(job_id: int) -> bool:
    """Send the unsent job ``job_id`` to Celery; False when the queue is unreachable (the job
    stays unsent) or it was already sent. Claimed first, so that it is sent once."""
    claimed = ImportJob.objects.filter(pk=job_id, phase=ImportJob.UNSENT)
    if not claimed.update(phase="", message=""):
        return False
    job = ImportJob.objects.get(pk=job_id)
    if job.state == ImportJob.State.CHECKING:
        sent = celery.send(run, job_id, "check")
    else:
        sent = celery.send(run, job_id, "apply", job.uploaded_by_id)
    if not sent:
        ImportJob.objects.filter(pk=job_id).update(
            phase=ImportJob.UNSENT,
            message=_(
                "The task queue is unreachable: the file is kept, and it will be processed "
                "as soon as the queue is back. There is nothing to do but wait."
            ),
        )
    return sent


def send_unsent() -> int:
    """Send every job left unsent (the queue was down); the number sent."""
    unsent = ImportJob.objects.filter(phase=ImportJob.UNSENT).values_list("pk", flat=True)
    return sum(send(job_id) for job_id in unsent)


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
