"""The household's evaluation of its property firm (``/h/<token>/property/``) and its card
on the household's page.

The page is one of the household pages of ``surveys.views`` (``household_page``): reached by
the household's link, rate-limited, never cached, logged without the token, an unknown token
answered by the same friendly 404. It never shows the household's earlier answer, only that
it answered: whoever else holds the link would read it. The rules are in
``governance.evaluation``.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from projects.services import Refused
from surveys import links
from surveys.views import household_page

from . import evaluation as rules
from .forms import ASPECTS, EvaluationForm
from .models import EvaluationRound


def evaluation_url(token: str) -> str:
    return reverse("governance:household_evaluation", args=[token])


def evaluation_card(household, token):
    """The household page's section (``surveys.household_sections``): an invitation to
    evaluate the firm while a round is open for it, or that it answered (one query)."""
    current = rules.open_round_for(household)
    if current is None:
        return None
    return "governance/household_evaluation_card.html", {
        "evaluation": current,
        "url": evaluation_url(token),
    }


def _render(request, household, token, current, *, form=None, kept="", status=200):
    if current is not None and form is None:
        form = EvaluationForm(initial={"evaluation": current.pk})
    context = {
        "address": household.address,
        "evaluation": current,
        "form": form,
        "overall": form["overall"] if form is not None else None,
        "aspects": [form[name] for name in ASPECTS] if form is not None else [],
        "kept": kept,
        "action_url": evaluation_url(token),
        "home_url": links.link_path(token),
    }
    return render(request, "governance/household_evaluation.html", context, status=status)


@household_page
def household_evaluation(request, household, token):
    """GET the evaluation form; POST an answer, then back to the household's page."""
    current = rules.open_round_for(household)
    if request.method != "POST":
        return _render(request, household, token, current)
    form = EvaluationForm(request.POST)
    if not form.is_valid():
        return _render(
            request,
            household,
            token,
            current,
            form=form if current else None,
            kept=request.POST.get("comment", ""),
        )
    data = form.cleaned_data
    shown = EvaluationRound.objects.filter(pk=data["evaluation"]).first()
    try:
        if shown is None or current is None or shown.pk != current.pk:
            raise Refused([_("The evaluation has changed since you opened the page.")])
        rules.submit(
            shown,
            household,
            overall=data["overall"],
            **{name: data[name] for name in ASPECTS},
            comment=data["comment"],
        )
    except Refused as refusal:
        for reason in refusal.reasons:
            messages.error(request, reason)
        current = rules.open_round_for(household)
        if current is not None:
            form = EvaluationForm({**data, "evaluation": current.pk}, auto_id=form.auto_id)
        return _render(
            request, household, token, current, form=form if current else None, kept=data["comment"]
        )
    messages.success(
        request,
        _(
            "Thank you: your evaluation was recorded. You may change it while the evaluation "
            "is open; the last answer counts."
        ),
    )
    return redirect(links.link_path(token))
