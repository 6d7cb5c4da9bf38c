"""What the acceptance's admin pages share: pages whose form runs a service step."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from projects.models import Project
from projects.services import Refused


def completed_projects(user):
    """The completed projects (awaiting acceptance) that ``user`` may see, by name."""
    return (
        Project.objects.visible_to(user)
        .filter(status=Project.Status.COMPLETED)
        .order_by("name", "pk")
    )


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
