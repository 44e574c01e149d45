"""URL routes of the summaries app."""

app_name = "summaries"

urlpatterns: list = []
