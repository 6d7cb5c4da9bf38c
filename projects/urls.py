"""Public pages of projects: the notices and disclosures, no login."""

from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.notice_index, name="notice_index"),
    path("<int:pk>/", views.notice_detail, name="notice_detail"),
]
