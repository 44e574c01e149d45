"""URL routes of the sync app."""

app_name = "sync"

urlpatterns: list = []
