"""The points assessment (积分考核) of the property companies.

A firm's score for a year is ``ANJU_GOVERNANCE_BASE_POINTS`` (documented base, 80 by default)
plus the points of its good records minus the points of its bad ones, dated in that year; not
capped, so a run of bad records shows as such. Its grade is the highest ``Grade`` whose
minimum the score reaches (the lowest grade when none does). Scores and grades are summed by
the database, a fixed number of queries whatever the number of firms.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from residents.models import PropertyCompany

from .models import Assessment, CreditRecord, Grade

ZERO = Decimal("0.0")
SUM = DecimalField(max_digits=9, decimal_places=1)


def base_points() -> Decimal:
    return Decimal(str(settings.ANJU_GOVERNANCE_BASE_POINTS))


def grade_of(score: Decimal, grades: list[Grade] | None = None) -> Grade | None:
    """The highest grade whose minimum ``score`` reaches; the lowest when it reaches none."""
    grades = grades if grades is not None else list(Grade.objects.order_by("-minimum"))
    for grade in grades:
        if score >= grade.minimum:
            return grade
    return grades[-1] if grades else None


def scores(year: int, companies=None) -> list[dict]:
    """Every firm's score for ``year`` (or the firms of ids ``companies``): ``company`` (id),
    ``name``, ``good``, ``bad``, ``score``, ``grade`` and ``below_standard``, best first. Two
    queries."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    in_year = Q(credit_records__date__gte=first, credit_records__date__lte=last)

    def total(kind):
        return Coalesce(
            Sum(
                "credit_records__points",
                filter=in_year & Q(credit_records__kind=kind),
                output_field=SUM,
            ),
            Value(ZERO),
            output_field=SUM,
        )

    base = base_points()
    grades = list(Grade.objects.order_by("-minimum"))
    rows = []
    firms = PropertyCompany.objects.all()
    if companies is not None:
        firms = firms.filter(pk__in=companies)
    for company in firms.annotate(
        good=total(CreditRecord.Kind.GOOD), bad=total(CreditRecord.Kind.BAD)
    ).order_by("name"):
        score = base + company.good - company.bad
        grade = grade_of(score, grades)
        rows.append(
            {
                "company": company.pk,
                "name": company.name,
                "base": base,
                "good": company.good,
                "bad": company.bad,
                "score": score,
                "grade": grade.name if grade else "",
                "below_standard": bool(grade and grade.below_standard),
            }
        )
    rows.sort(key=lambda row: (-row["score"], row["name"]))
    return rows


def assess(year: int, companies=None) -> list[Assessment]:
    """Compute and keep every firm's assessment for ``year`` (or the firms of ids
    ``companies``), replacing what was kept. Run whenever a credit record or a grade changes
    (``governance.signals``) and each night, so what is kept is what the records say."""
    with transaction.atomic():
        kept = []
        for row in scores(year, companies):
            assessment, _created = Assessment.objects.update_or_create(
                company_id=row["company"],
                year=year,
                defaults={
                    name: row[name]
                    for name in ("base", "good", "bad", "score", "grade", "below_standard")
                },
            )
            kept.append(assessment)
    return kept
