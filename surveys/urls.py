"""The household's own pages, reached by its secret link."""

from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", views.household_home, name="household_home"),
]
