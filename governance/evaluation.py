"""The residents' evaluation of property service (物业服务满意度测评), the rules.

Each quarter the county office opens a round per firm: every household of the neighbourhoods
the firm serves may answer once through its link (the last answer counts while the round is
open). Closing the round, by hand or on the day after its last day (``close_due``), freezes
the turnout and the satisfaction rate and writes them into the firm's credit file:

======================================  =================================
satisfied or basically satisfied        record
======================================  =================================
90 % or more of the answers             good record, ``+3`` points
80 % to 90 %                            good record, ``+1`` point
60 % to 80 %                            none (the round keeps its result)
under 60 %                              bad record, ``−3`` points
======================================  =================================

A round that fewer than a third of the households answered (``MIN_TURNOUT``) earns no points:
its result is kept but speaks for too few. The points then count in the firm's score
(``governance.scoring``) for the year of the day the round closed.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cycle.bulletin import percent
from projects.services import Refused
from residents.models import Household, PropertyCompany

from .models import SATISFIED_RATINGS, CreditRecord, EvaluationAnswer, EvaluationRound, Rating

#: The share of the households served that must answer for the round to earn points.
MIN_TURNOUT = Fraction(1, 3)

#: (lowest satisfaction rate, record kind or None, points), highest first.
POINTS_BY_RATE = [
    (Fraction(90, 100), CreditRecord.Kind.GOOD, Decimal(3)),
    (Fraction(80, 100), CreditRecord.Kind.GOOD, Decimal(1)),
    (Fraction(60, 100), None, Decimal(0)),
    (Fraction(0), CreditRecord.Kind.BAD, Decimal(3)),
]

#: How long a new round takes answers, by default.
DEFAULT_DAYS = 30


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def households_served(company: PropertyCompany):
    return Household.objects.filter(building__neighbourhood__property_company=company)


def open_round(
    company: PropertyCompany,
    *,
    year: int,
    quarter: int,
    closes_on: datetime.date,
    by=None,
    today: datetime.date | None = None,
) -> EvaluationRound:
    """Open ``company``'s evaluation for ``year`` and ``quarter``, answered until
    ``closes_on``; refused when the firm serves no household, when ``closes_on`` is past, or
    when the quarter was already evaluated."""
    today = today or timezone.localdate()
    households = households_served(company).count()
    reasons = opening_problems(company, year, quarter, closes_on, today, households=households)
    if reasons:
        raise Refused(reasons)
    try:
        with transaction.atomic():
            return EvaluationRound.objects.create(
                company=company,
                year=year,
                quarter=quarter,
                closes_on=closes_on,
                households=households,
                opened_by=by,
            )
    except IntegrityError:  # opened by someone else meanwhile
        raise Refused([_("This firm is already evaluated for this quarter.")]) from None


def quarters_open_to_evaluation(today: datetime.date) -> list[tuple[int, int]]:
    """The quarters a round may be opened for on ``today``: this one and the one before
    (evaluated as it ends or just after)."""
    year, quarter = quarter_of(today)
    before = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return [(year, quarter), before]


def opening_problems(
    company, year, quarter, closes_on, today, *, households: int | None = None
) -> list[str]:
    """Why a round of ``company`` for ``year`` and ``quarter`` cannot open (none: it can)."""
    reasons = []
    if households is None:
        households = households_served(company).count()
    if not households:
        reasons.append(_("The firm serves no registered household: nobody could answer."))
    if closes_on is not None and closes_on < today:
        reasons.append(_("The last day to answer is already past."))
    if (year, quarter) not in quarters_open_to_evaluation(today):
        reasons.append(
            _("A round is opened for this quarter or the one before, as residents remember it.")
        )
    if EvaluationRound.objects.filter(company=company, year=year, quarter=quarter).exists():
        reasons.append(_("This firm is already evaluated for this quarter."))
    elif EvaluationRound.objects.filter(company=company, closed_at__isnull=True).exists():
        reasons.append(_("This firm already has a round open: close it first."))
    return reasons


def open_round_for(household: Household, today: datetime.date | None = None):
    """The round the household may answer now, with ``has_answered`` annotated (one query):
    an open round of its neighbourhood's firm whose last day has not passed; else None."""
    today = today or timezone.localdate()
    company = household.building.neighbourhood.property_company_id
    if company is None:
        return None
    return (
        EvaluationRound.objects.filter(
            company=company, closed_at__isnull=True, closes_on__gte=today
        )
        .annotate(
            has_answered=Exists(
                EvaluationAnswer.objects.filter(evaluation=OuterRef("pk"), household=household)
            )
        )
        .select_related("company")
        .order_by("-year", "-quarter")
        .first()
    )


def _rating(value: str, *, required: bool) -> str:
    value = value or ""
    if value == "" and not required:
        return ""
    if value not in Rating.values:
        raise Refused([_("Choose one answer.")])
    return value


def submit(
    evaluation: EvaluationRound,
    household: Household,
    *,
    overall: str,
    cleaning: str = "",
    security: str = "",
    repairs: str = "",
    greenery: str = "",
    comment: str = "",
    today: datetime.date | None = None,
) -> EvaluationAnswer:
    """Record ``household``'s answer in ``evaluation``, replacing its earlier answer there:
    one answer per household per round, the last one counts. Refused when the round is
    closed or past its last day, or the household is not served by the round's firm."""
    today = today or timezone.localdate()
    values = {
        "overall": _rating(overall, required=True),
        "cleaning": _rating(cleaning, required=False),
        "security": _rating(security, required=False),
        "repairs": _rating(repairs, required=False),
        "greenery": _rating(greenery, required=False),
        "comment": (comment or "").strip(),
    }
    with transaction.atomic():
        # Locked, so that a round being closed takes no answer it would not count.
        current = EvaluationRound.objects.select_for_update().get(pk=evaluation.pk)
        if current.closed_at is not None or current.closes_on < today:
            raise Refused([_("The evaluation is closed: it takes no more answers.")])
        served = households_served(current.company_id).filter(pk=household.pk).exists()
        if not served:
            raise Refused([_("Your household is not served by this property firm.")])
        answer, _created = EvaluationAnswer.objects.update_or_create(
            evaluation=current, household=household, defaults=values
        )
    return answer


@dataclass(frozen=True)
class Result:
    households: int
    answered: int
    satisfied: int

    @property
    def turnout(self) -> Fraction | None:
        return Fraction(self.answered, self.households) if self.households else None

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.satisfied, self.answered) if self.answered else None

    @property
    def turnout_percent(self) -> str | None:
        """ "45.2" (percent of the households that answered), None when nobody could."""
        return percent(self.answered, self.households)

    @property
    def rate_percent(self) -> str | None:
        """ "93.3" (percent of the answers satisfied), None when nobody answered."""
        return percent(self.satisfied, self.answered)

    @property
    def enough_answers(self) -> bool:
        return self.turnout is not None and self.turnout >= MIN_TURNOUT

    @property
    def points(self) -> tuple[str | None, Decimal]:
        """The record this result earns: (kind or None, points)."""
        if not self.enough_answers:
            return None, Decimal(0)
        # The last tier starts at 0: every rate finds one.
        return next(
            (kind, points) for lowest, kind, points in POINTS_BY_RATE if self.rate >= lowest
        )


def with_live_counts(rounds):
    """``rounds`` with the answers counted so far (``live_answered``, ``live_satisfied``), so
    that ``result_of`` reads an open round's result without a query of its own."""
    return rounds.annotate(
        live_answered=Count("answers"),
        live_satisfied=Count("answers", filter=Q(answers__overall__in=SATISFIED_RATINGS)),
    )


def result_of(evaluation: EvaluationRound) -> Result:
    """The round's result: as frozen when closed, else as the answers stand (counted by
    ``with_live_counts``, or by one query)."""
    if not evaluation.is_open:
        return Result(evaluation.households, evaluation.answered, evaluation.satisfied)
    if hasattr(evaluation, "live_answered"):
        return Result(evaluation.households, evaluation.live_answered, evaluation.live_satisfied)
    counts = evaluation.answers.aggregate(
        answered=Count("pk"), satisfied=Count("pk", filter=Q(overall__in=SATISFIED_RATINGS))
    )
    return Result(evaluation.households, counts["answered"], counts["satisfied"])


def close_round(
    evaluation: EvaluationRound, *, by=None, today: datetime.date | None = None
) -> EvaluationRound:
    """Close the round, freeze its result and write its points into the firm's credit file,
    dated ``today``. Closing a closed round changes nothing (safe to run twice)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        current = EvaluationRound.objects.select_for_update().get(pk=evaluation.pk)
        if not current.is_open:
            return current
        result = result_of(current)
        kind, points = result.points
        if kind is not None:
            current.credit_record = CreditRecord.objects.create(
                company_id=current.company_id,
                date=today,
                kind=kind,
                source=CreditRecord.Source.EVALUATION,
                points=points,
                description=_(
                    "Residents' evaluation %(period)s: %(answered)d of %(households)d "
                    "households answered (%(turnout)s), %(rate)s satisfied."
                )
                % {
                    "period": current.period,
                    "answered": result.answered,
                    "households": result.households,
                    "turnout": f"{result.turnout_percent}%",
                    "rate": f"{result.rate_percent}%",
                },
                recorded_by=by,
            )
        current.answered = result.answered
        current.satisfied = result.satisfied
        current.closed_at = timezone.now()
        current.closed_by = by
        current.save()
    return current


def points_text(evaluation: EvaluationRound) -> str:
    """What the round earned, in words: "+3", "−3", "no points (…)", or that it is open."""
    if evaluation.is_open:
        return _("open until %(date)s") % {"date": date_format(evaluation.closes_on)}
    if evaluation.credit_record is not None:
        return evaluation.credit_record.signed_points
    if not result_of(evaluation).enough_answers:
        return _("no points: fewer than a third of the households answered")
    return _("no points")


def close_due(today: datetime.date | None = None) -> list[EvaluationRound]:
    """Close every open round whose last day has passed (beat's daily run)."""
    today = today or timezone.localdate()
    due = EvaluationRound.objects.filter(closed_at__isnull=True, closes_on__lt=today)
    return [close_round(evaluation, today=today) for evaluation in due]
