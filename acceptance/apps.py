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

        # Checks and survey rounds belong to the project's audit trail (全过程跟踪审计).
        from projects import audit

        from .models import AcceptanceCheck, CheckItem, Participant, SurveyRound

        audit.register(AcceptanceCheck, "project_id")
        audit.register(CheckItem, "acceptance_check__project_id")
        audit.register(Participant, "acceptance_check__project_id")
        audit.register(SurveyRound, "project_id")
