from django.apps import AppConfig


class SummariesConfig(AppConfig):
    """Invoice summaries: computing them, formatting the note, the 24-hour throttle."""

    name = "summaries"

    def ready(self) -> None:
        from summaries import registration, signals  # noqa: F401 - connects the receivers

        registration.register()
