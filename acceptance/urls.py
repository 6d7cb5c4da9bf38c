"""The acceptance's household page, under ``/h/`` beside the household pages of ``surveys``
(included before them in ``config/urls.py``, so their catch-all does not take it)."""

from django.urls import path

from . import views

app_name = "acceptance"

urlpatterns = [
    path("<str:token>/satisfaction/", views.household_survey, name="household_survey"),
]
