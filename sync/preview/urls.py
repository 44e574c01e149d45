"""Preview Sync New Contacts (included under /sync/contacts/preview/ as ``sync:preview``)."""

from django.urls import path

from sync.preview import views

app_name = "preview"

urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.start, name="start"),
    path("<uuid:preview_id>/", views.detail, name="detail"),
    path("<uuid:preview_id>/panel/", views.panel, name="panel"),
    path("<uuid:preview_id>/items/", views.save_ticks, name="items"),
    path("<uuid:preview_id>/category/", views.category, name="category"),
    path("<uuid:preview_id>/apply/", views.apply, name="apply"),
    path("<uuid:preview_id>/plan.csv", views.csv_export, name="csv"),
]
