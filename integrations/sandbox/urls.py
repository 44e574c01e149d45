"""URL routes of the built-in sandbox providers (served under /sandbox/ when SANDBOX_ENABLED)."""

app_name = "sandbox"

urlpatterns: list = []
