"""The household's own pages, reached by its secret link."""

from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", views.household_home, name="household_home"),
    path("<str:token>/opinion/", views.submit_opinion, name="household_opinion"),
    path("<str:token>/objection/", views.submit_objection, name="household_objection"),
    # Any other address under a token: the same friendly 404, logged without the token.
    path("<str:token>/<path:rest>/", views.household_not_found),
]
