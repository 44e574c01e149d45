"""Routes of the sandbox's record pages (mounted at /sandbox/browse/)."""

from django.urls import path

from integrations.sandbox.browse import views

app_name = "sandbox_browse"

urlpatterns = [
    path("", views.index, name="index"),
    path("quickbooks/customers/", views.qbo_customers, name="qbo_customers"),
    path("quickbooks/customers/<str:qbo_id>/", views.qbo_customer, name="qbo_customer"),
    path("lacrm/contacts/", views.lacrm_contacts_page, name="lacrm_contacts"),
    path("lacrm/contacts/<str:contact_id>/", views.lacrm_contact, name="lacrm_contact"),
]
