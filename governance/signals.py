"""Keep the points assessment what the credit file and the grades say: a credit record
saved or deleted reassesses its firm's year (and the year it was moved from); a grade
changed reassesses every year kept. Done in the same transaction, so a rolled-back change
leaves the assessment as it was."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from . import scoring
from .models import Assessment, CreditRecord, Grade


@receiver(pre_save, sender=CreditRecord)
def _remember_year(sender, instance, **kwargs):
    instance._years_before = set(
        CreditRecord.objects.filter(pk=instance.pk).values_list("date__year", flat=True)
        if instance.pk
        else []
    )


@receiver(post_save, sender=CreditRecord)
@receiver(post_delete, sender=CreditRecord)
def _reassess_firm(sender, instance, **kwargs):
    years = {instance.date.year, *getattr(instance, "_years_before", set())}
    for year in sorted(years):
        scoring.assess(year, [instance.company_id])


@receiver(post_save, sender=Grade)
@receiver(post_delete, sender=Grade)
def _reassess_all(sender, instance, **kwargs):
    for year in sorted(set(Assessment.objects.values_list("year", flat=True))):
        scoring.assess(year)
