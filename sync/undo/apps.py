from django.apps import AppConfig


class UndoConfig(AppConfig):
    """Undo a run: its run kind, log outcomes, preview page and the table of undo runs."""

    name = "sync.undo"
    label = "undo"

    def ready(self) -> None:
        from sync.undo import registration

        registration.register()
