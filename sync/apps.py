from django.apps import AppConfig


class SyncConfig(AppConfig):
    """Runs, the contact ledger, matching, runtime logs and the dashboard."""

    name = "sync"

    def ready(self) -> None:
        from sync import registration, signals  # noqa: F401 - connects the receivers

        registration.register()
