"""The admin of consultation: visits, discussions, notices and objections, requests, links."""

from . import consultation, links, notices, requests  # noqa: F401  (each registers its admins)
