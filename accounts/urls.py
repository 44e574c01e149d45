"""URL routes of the accounts app."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("workspace/<uuid:workspace_id>/", views.workspace_settings, name="workspace_settings"),
]
