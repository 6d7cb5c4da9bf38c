"""The governance household page, under ``/h/`` beside the household pages of ``surveys``
(included before them in ``config/urls.py``, so their catch-all does not take it)."""

from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("<str:token>/property/", views.household_evaluation, name="household_evaluation"),
]
