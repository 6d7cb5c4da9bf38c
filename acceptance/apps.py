from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcceptanceConfig(AppConfig):
    name = "acceptance"
    verbose_name = _("Acceptance")

    def ready(self):
        # The satisfaction survey's card on the household's page: registered with surveys,
        # which may not import this app (DESIGN.md: dependencies run one way).
        from surveys import household_sections

        from . import views

        household_sections.register(views.survey_card)
