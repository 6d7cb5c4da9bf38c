from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    """The project as a whole: its commands that span every app (``seed_demo``,
    ``compiletranslations``)."""

    name = "config"
    verbose_name = _("Anju")

    def ready(self):
        from . import sessions  # noqa: F401 (connects the login receiver)
