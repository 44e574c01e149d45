"""URL routes of the sandbox lacrm provider."""

app_name = "sandbox_lacrm"

urlpatterns: list = []
