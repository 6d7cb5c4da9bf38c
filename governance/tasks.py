"""The Celery task of governance: beat's nightly run closes the residents' evaluations whose
last day has passed (their points go into the credit file) and keeps this year's points
assessment of every firm up to date. Safe to run twice: a closed round stays closed and the
assessment is replaced, not added to."""

from celery import shared_task
from django.utils import timezone

from cycle.tasks import RELIABLE

from . import evaluation, scoring


@shared_task(name="governance.nightly", **RELIABLE)
def nightly() -> dict:
    today = timezone.localdate()
    closed = evaluation.close_due(today)
    assessed = scoring.assess(today.year)
    return {"closed": len(closed), "assessed": len(assessed), "year": today.year}
