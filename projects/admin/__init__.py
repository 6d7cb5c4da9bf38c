"""The admin of projects: the project with its lifecycle, outputs and funds, media."""

from . import media, outputs, project  # noqa: F401  (each registers its model admins)
