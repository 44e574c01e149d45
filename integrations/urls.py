"""URL routes of the integrations app."""

app_name = "integrations"

urlpatterns: list = []
