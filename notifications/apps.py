from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Email notifications (runs, broken connections, QuickBooks' hard expiry) and banners."""

    name = "notifications"

    def ready(self) -> None:
        from notifications import receivers

        receivers.connect()
