"""URL routes of the integrations app (mounted at /integrations/).

Connections are per workspace, so no route carries an id.
"""

from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    path("quickbooks/connect/", views.qbo_connect, name="qbo_connect"),
    path("quickbooks/callback/", views.qbo_callback, name="qbo_callback"),
    path("quickbooks/confirm-company/", views.qbo_confirm_company, name="qbo_confirm_company"),
    path("quickbooks/disconnect/", views.qbo_disconnect, name="qbo_disconnect"),
    path("lacrm/connect/", views.lacrm_connect, name="lacrm_connect"),
    path("lacrm/oauth/start/", views.lacrm_oauth_start, name="lacrm_oauth_start"),
    path("lacrm/oauth/callback/", views.lacrm_oauth_callback, name="lacrm_oauth_callback"),
    path("lacrm/disconnect/", views.lacrm_disconnect, name="lacrm_disconnect"),
]
