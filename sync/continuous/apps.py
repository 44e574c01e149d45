from django.apps import AppConfig


class ContinuousConfig(AppConfig):
    """Continuous sync: the change intake and the incremental ``changes`` run."""

    name = "sync.continuous"
    label = "continuous"

    def ready(self) -> None:
        from sync.continuous import registration

        registration.register()
