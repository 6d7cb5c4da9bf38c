"""The leader pages: the month at a glance, its projects, ranking and inspection report, the
records behind each figure, a project's page. Every list carries its month ("2026-11"): the
current month is live, a past one frozen."""

from django.urls import path

import cycle.urls  # noqa: F401  (registers the ``month`` converter, "2026-10")

from . import governance, views

app_name = "leaders"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("<month:month>/", views.overview, name="overview_month"),
    path("<month:month>/projects/", views.project_list, name="project_list"),
    path("<month:month>/outputs/<slug:code>/", views.output_items, name="output_items"),
    path("<month:month>/funds/", views.funding_lines, name="funding_lines"),
    path("<month:month>/requests/", views.requests, name="requests"),
    path("<month:month>/inspections/", views.inspections, name="inspections"),
    path("ranking/", views.ranking, name="ranking"),
    path("<month:month>/ranking/", views.ranking, name="ranking_month"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("governance/", governance.governance, name="governance"),
    path("governance/firms/<int:pk>/", governance.firm, name="firm"),
]
