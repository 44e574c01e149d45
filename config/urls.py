"""Top-level URL routes."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from sync import views as sync_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("dashboard/", sync_views.dashboard, name="dashboard"),
    path("workspace/new/", account_views.create_own_workspace, name="create_own_workspace"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("integrations/", include("integrations.urls")),
    path("sync/", include("sync.urls")),
    path("continuous/", include("sync.continuous.urls")),
    path("summaries/", include("summaries.urls")),
    path("notifications/", include("notifications.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

if settings.SANDBOX_ENABLED:
    urlpatterns += [path("sandbox/", include("integrations.sandbox.urls"))]
