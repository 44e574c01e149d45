"""Less Annoying CRM's connect routes, under /integrations/lacrm/ in the integrations namespace."""

from django.urls import path

from integrations.lacrm import views, webhooks

urlpatterns = [
    path("connect/", views.lacrm_connect, name="lacrm_connect"),
    path("oauth/start/", views.lacrm_oauth_start, name="lacrm_oauth_start"),
    path("oauth/callback/", views.lacrm_oauth_callback, name="lacrm_oauth_callback"),
    path("disconnect/", views.lacrm_disconnect, name="lacrm_disconnect"),
    path("webhook/", views.lacrm_webhook_action, name="lacrm_webhook_action"),
    path("webhooks/<str:token>/", webhooks.receive, name="lacrm_webhook"),
]
