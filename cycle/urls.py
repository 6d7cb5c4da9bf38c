"""The pages of the monthly cycle: bulletins by month ("2026-11"), meeting packs by quarter
("2026-Q4")."""

from django.urls import path, register_converter

from . import views
from .periods import Month, Quarter


class MonthConverter:
    """A month key in a URL ("2026-11"); no such month (2026-13) is a 404."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> Month:
        return Month.parse(value)

    def to_url(self, value) -> str:
        return value.key if isinstance(value, Month) else str(value)


class QuarterConverter:
    """A quarter key in a URL ("2026-Q4")."""

    regex = r"\d{4}-Q[1-4]"

    def to_python(self, value: str) -> Quarter:
        return Quarter.parse(value)

    def to_url(self, value) -> str:
        return value.key if isinstance(value, Quarter) else str(value)


register_converter(MonthConverter, "month")
register_converter(QuarterConverter, "quarter")

app_name = "cycle"

urlpatterns = [
    path("bulletins/", views.bulletin_list, name="bulletin_list"),
    path("bulletins/<month:month>/", views.bulletin_detail, name="bulletin_detail"),
    path("bulletins/<month:month>/docx/", views.bulletin_docx, name="bulletin_docx"),
    path("bulletins/<month:month>/xlsx/", views.bulletin_xlsx, name="bulletin_xlsx"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/<quarter:quarter>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<quarter:quarter>/docx/", views.meeting_docx, name="meeting_docx"),
]
