"""URL routes of the sync app (the dashboard itself is at /dashboard/)."""

from django.urls import path

from sync import views

app_name = "sync"

urlpatterns = [
    path("start/<str:kind>/", views.start, name="start"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<uuid:run_id>/stop/", views.stop, name="stop"),
    path("runs/<uuid:run_id>/panel/", views.run_panel, name="run_panel"),
    path("runs/<uuid:run_id>/logs.csv", views.run_logs_csv, name="run_logs_csv"),
]
