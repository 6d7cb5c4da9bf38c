"""What the acceptance's admin pages share: pages whose form runs a service step."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from projects.models import Project
from projects.services import Refused

from ..models import AcceptanceCheck, Result, SurveyRound

#: The query parameter that narrows the auditor's list of answers to one survey round.
ROUND_PARAMETER = "round"


class RoundStateFilter(admin.SimpleListFilter):
    """Open or closed rounds (or, with ``closed_path``, the rows of open or closed rounds)."""

    title = _("state")
    parameter_name = "state"
    closed_path = "closed_at"

    def lookups(self, request, model_admin):
        return [
            ("open", pgettext_lazy("survey round", "Open")),
            ("closed", pgettext_lazy("survey round", "Closed")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(**{f"{self.closed_path}__isnull": True})
        if self.value() == "closed":
            return queryset.filter(**{f"{self.closed_path}__isnull": False})
        return queryset


def completed_projects(user):
    """The completed projects (awaiting acceptance) that ``user`` may see, by name."""
    return (
        Project.objects.visible_to(user)
        .filter(status=Project.Status.COMPLETED)
        .order_by("name", "pk")
    )


def checkable_projects(user):
    """The completed projects ``user`` may see in which a completion check may start: none in
    progress, none passed (a first check, or a re-check after a failed one)."""
    taken = AcceptanceCheck.objects.filter(result__in=[Result.PENDING, Result.PASSED])
    return completed_projects(user).exclude(pk__in=taken.values("project_id"))


def projects_without_open_round(user):
    """The completed projects ``user`` may see in which a survey round may open: none open."""
    open_rounds = SurveyRound.objects.filter(closed_at__isnull=True)
    return completed_projects(user).exclude(pk__in=open_rounds.values("project_id"))


def refusal_texts(refusal: Refused) -> list[str]:
    return [str(reason) for reason in refusal.reasons]


class ServiceFormMixin:
    """An admin page whose form, once valid, runs a service step that creates a record: a
    refusal becomes the form's error (what was typed stays in the form); success logs the
    addition, says what was done and opens the new record."""

    service_form_template = "admin/acceptance/service_form.html"

    def service_form_view(self, request, form, *, title, intro, submit_label, run, done):
        if request.method == "POST" and form.is_valid():
            try:
                created = run(form.cleaned_data)
            except Refused as refusal:
                form.add_error(None, refusal_texts(refusal))
            else:
                self.log_addition(request, created, [{"added": {}}])
                self.message_user(request, done(created), messages.SUCCESS)
                return HttpResponseRedirect(self.change_url(created))
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "submit_label": submit_label,
            "form": form,
            "opts": self.opts,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, self.service_form_template, context)

    def change_url(self, obj) -> str:
        info = self.admin_site.name, self.opts.app_label, self.opts.model_name
        return reverse("{}:{}_{}_change".format(*info), args=[obj.pk])
