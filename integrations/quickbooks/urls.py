"""QuickBooks' connect routes, under /integrations/quickbooks/ in the integrations namespace.

The callback's path is what an Intuit app registers as its redirect URI.
"""

from django.urls import path

from integrations.quickbooks import views, webhooks

urlpatterns = [
    path("connect/", views.qbo_connect, name="qbo_connect"),
    path("callback/", views.qbo_callback, name="qbo_callback"),
    path("confirm-company/", views.qbo_confirm_company, name="qbo_confirm_company"),
    path("disconnect/", views.qbo_disconnect, name="qbo_disconnect"),
    path("webhooks/", webhooks.qbo_webhook, name="qbo_webhook"),
]
