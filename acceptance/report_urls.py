"""The acceptance report of a project, for staff: the printable page and its .docx download."""

from django.urls import path

from . import report_views

app_name = "acceptance_report"

urlpatterns = [
    path("<int:pk>/", report_views.page, name="page"),
    path("<int:pk>/docx/", report_views.docx, name="docx"),
]
