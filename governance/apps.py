from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"
    verbose_name = _("Governance after renovation")

    def ready(self):
        # The evaluation's card on the household's page: registered with surveys, which may
        # not import this app (DESIGN.md: dependencies run one way).
        from surveys import household_sections

        from . import views

        household_sections.register(views.evaluation_card)

        from . import signals  # noqa: F401  (the assessment follows the credit file)
