"""URL routes of the sandbox LACRM provider (mounted at /sandbox/lacrm/)."""

from django.urls import path

from integrations.sandbox.lacrm import api, oauth, views

app_name = "sandbox_lacrm"

urlpatterns = [
    path("v2/", api.api, name="api"),
    path("oauth/authorize", oauth.authorize, name="authorize"),
    path("oauth/token", oauth.token, name="token"),
    path("keys/", views.keys, name="keys"),
]
