"""The leader pages: the month at a glance, the records behind each figure, a project's page."""

from django.urls import path

import cycle.urls  # noqa: F401  (registers the ``month`` converter, "2026-10")

from . import views

app_name = "leaders"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("<month:month>/", views.overview, name="overview_month"),
    path("outputs/<slug:code>/", views.output_items, name="output_items"),
    path("funds/", views.funding_lines, name="funding_lines"),
    path("behind/", views.behind_schedule, name="behind_schedule"),
    path("requests/", views.requests, name="requests"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
]
