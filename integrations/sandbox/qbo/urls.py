"""URL routes of the sandbox qbo provider."""

app_name = "sandbox_qbo"

urlpatterns: list = []
