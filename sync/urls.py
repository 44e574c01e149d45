"""URL routes of the sync app (the dashboard itself is at /dashboard/)."""

from django.urls import include, path

from sync import views
from sync.fields import views as field_views
from sync.ledger import views as ledger_views
from sync.undo import views as undo_views

app_name = "sync"

urlpatterns = [
    path("start/<str:kind>/", views.start, name="start"),
    path("updates/preview/", field_views.preview, name="field_preview"),
    path("contacts/preview/", include("sync.preview.urls")),
    path("runs/<uuid:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<uuid:run_id>/stop/", views.stop, name="stop"),
    path("runs/<uuid:run_id>/retry/", views.retry_failed, name="retry_failed"),
    path("runs/<uuid:run_id>/panel/", views.run_panel, name="run_panel"),
    path("runs/<uuid:run_id>/logs.csv", views.run_logs_csv, name="run_logs_csv"),
    path("runs/<uuid:run_id>/undo/", undo_views.preview, name="undo_preview"),
    path("runs/<uuid:run_id>/undo/start/", undo_views.start, name="undo_start"),
    # The match ledger, the review queue and the workspace's sync settings.
    path("ledger/", ledger_views.ledger_list, name="ledger"),
    path("ledger/link/", ledger_views.manual_link, name="manual_link"),
    path("ledger/create/", ledger_views.create_counterpart, name="create_counterpart"),
    path("ledger/<uuid:link_id>/", ledger_views.pair_detail, name="ledger_detail"),
    path("ledger/<uuid:link_id>/unlink/", ledger_views.unlink, name="unlink"),
    path("review/", ledger_views.review, name="review"),
    path("review/<uuid:row_id>/link/", ledger_views.review_link, name="review_link"),
    path("review/<uuid:row_id>/reject/", ledger_views.review_reject, name="review_reject"),
    path("review/<uuid:row_id>/create/", ledger_views.review_create, name="review_create"),
    path("settings/", ledger_views.sync_settings, name="settings"),
]
