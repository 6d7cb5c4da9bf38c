"""The leader pages of governance after renovation (后半篇文章): the property firms ranked by
their points, with their latest residents' evaluation; blacklist and exits; how far the
neighbourhoods are covered by owners' committees, building heads, property firms and big
property areas; the convention and four meetings of the year; and one page per firm (一企一档).

Read like the other leader pages (``leaders.views.leaders_only``). Staff contacts' names and
phones are masked for readers without the permission to see personal data.
"""

from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, render

from governance import evaluation, scoring
from governance.models import (
    AreaNeighbourhood,
    CompanyDecision,
    EvaluationRound,
    PartyMember,
    ResidentsMeeting,
)
from residents.masking import name_for, phone_for
from residents.models import (
    BuildingHead,
    Neighbourhood,
    OwnersCommittee,
    PropertyCompany,
    in_office_condition,
)

from .figures import percent_of
from .views import Period, leaders_only

COVERAGE = (
    "committee",
    "committee_out",
    "heads_only",
    "neither",
    "firm",
    "big_property",
    "party",
)


def _firms_ranked(year: int) -> tuple[list[dict], list[dict]]:
    """This year's firms as the credit file stands (two queries), best first, each with its
    latest residents' evaluation (one query): those serving neighbourhoods ranked, the others
    (between contracts, or after an exit) listed apart (one query)."""
    firms = scoring.scores(year)
    serving = dict(
        Neighbourhood.objects.filter(property_company__isnull=False)
        .values_list("property_company")
        .annotate(n=Count("pk"))
        .order_by()
    )
    latest = {}
    rounds = evaluation.with_live_counts(
        EvaluationRound.objects.filter(year__gte=year - 1).select_related("credit_record")
    )
    for round_ in rounds.order_by("year", "quarter"):
        latest[round_.company_id] = round_
    ranked, apart = [], []
    for firm in firms:
        round_ = latest.get(firm["company"])
        firm["neighbourhoods"] = serving.get(firm["company"], 0)
        firm["evaluation"] = round_
        firm["evaluation_result"] = evaluation.result_of(round_) if round_ else None
        firm["evaluation_points"] = evaluation.points_text(round_) if round_ else ""
        (ranked if firm["neighbourhoods"] else apart).append(firm)
    for rank, firm in enumerate(ranked, start=1):
        firm["rank"] = rank
    return ranked, apart


def _coverage() -> dict:
    """How the neighbourhoods are covered (one query). The first four add up to the total:
    a committee in office; a committee whose term ended or is still being prepared; building
    heads and no committee; neither. The last three are counted apart."""
    heads = BuildingHead.objects.filter(neighbourhood=OuterRef("pk"))
    area = AreaNeighbourhood.objects.filter(neighbourhood=OuterRef("pk"))
    party = PartyMember.objects.filter(neighbourhood=OuterRef("pk"))
    committee = Q(owners_committee__isnull=False)
    in_office = committee & in_office_condition("owners_committee__")
    return Neighbourhood.objects.annotate(
        has_head=Exists(heads), in_area=Exists(area), has_party=Exists(party)
    ).aggregate(
        total=Count("pk"),
        committee=Count("pk", filter=in_office),
        committee_out=Count("pk", filter=committee & ~in_office),
        heads_only=Count("pk", filter=~committee & Q(has_head=True)),
        neither=Count("pk", filter=~committee & Q(has_head=False)),
        firm=Count("pk", filter=Q(property_company__isnull=False)),
        big_property=Count("pk", filter=Q(in_area=True)),
        party=Count("pk", filter=Q(has_party=True)),
    )


@leaders_only
def governance(request):
    """The firms ranked, the decisions on them, the neighbourhoods' coverage, the committees by
    formation stage and the year's meetings by kind. A fixed number of queries."""
    period = Period(None)
    year = period.current.first.year
    ranked, apart = _firms_ranked(year)
    coverage = _coverage()
    committees = OwnersCommittee.objects.aggregate(
        in_office=Count("pk", filter=in_office_condition("")),
        **{stage: Count("pk", filter=Q(stage=stage)) for stage in OwnersCommittee.Stage.values},
    )
    meetings = dict(
        ResidentsMeeting.objects.filter(held_on__year=year)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    context = {
        **period.context(),
        "page_name": "governance",
        "year": year,
        "base": scoring.base_points(),
        "firms": ranked,
        "firms_apart": apart,
        "decisions": list(
            CompanyDecision.objects.select_related("company").order_by("-decided_on", "pk")
        ),
        "coverage": coverage,
        "coverage_percent": {key: percent_of(coverage[key], coverage["total"]) for key in COVERAGE},
        "committees_in_office": committees["in_office"],
        "stages": [(label, committees[value]) for value, label in OwnersCommittee.Stage.choices],
        "meetings": [
            (label, meetings.get(value, 0)) for value, label in ResidentsMeeting.Kind.choices
        ],
    }
    return render(request, "leaders/governance.html", context)


@leaders_only
def firm(request, pk):
    """A firm's file (一企一档): its neighbourhoods and contracts, its staff contacts, its
    scores year by year, its residents' evaluations, its credit file and any decision."""
    company = get_object_or_404(PropertyCompany, pk=pk)
    period = Period(None)
    year = period.current.first.year
    (this_year,) = scoring.scores(year, [company.pk])
    staff = [
        {
            "duty": person.duty,
            "name": name_for(request.user, person.name),
            "phone": phone_for(request.user, person.phone),
            "neighbourhood": person.neighbourhood,
        }
        for person in company.staff.select_related("neighbourhood")
    ]
    rounds = evaluation.with_live_counts(
        company.evaluation_rounds.select_related("credit_record").order_by("-year", "-quarter")
    )
    context = {
        **period.context(),
        "page_name": "governance",
        "company": company,
        "contact_name": name_for(request.user, company.contact_name),
        "contact_phone": phone_for(request.user, company.contact_phone),
        "year": year,
        "this_year": this_year,
        "neighbourhoods": company.neighbourhoods.select_related("community").with_register_counts(),
        "contracts": company.contracts.select_related("neighbourhood"),
        "staff": staff,
        "assessments": company.assessments.exclude(year=year).order_by("-year"),
        "rounds": [(r, evaluation.result_of(r), evaluation.points_text(r)) for r in rounds],
        "records": company.credit_records.select_related("negative_item")[:100],
        "decisions": company.decisions.all(),
    }
    return render(request, "leaders/firm.html", context)
