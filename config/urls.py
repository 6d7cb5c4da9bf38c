"""The URLs of Anju: the admin for staff, the portal pages, the health check."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("notices/", include("projects.urls")),
    path("cycle/", include("cycle.urls")),
    path("leaders/", include("leaders.urls")),
    path("h/", include("acceptance.urls")),  # before surveys' catch-all under a token
    path("h/", include("governance.urls")),
    path("h/", include("surveys.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/acceptance/report/", include("acceptance.report_urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
