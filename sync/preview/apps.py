from django.apps import AppConfig


class PreviewConfig(AppConfig):
    """Preview Sync New Contacts and apply the stored plan (tables of its own)."""

    name = "sync.preview"
    label = "preview"
    verbose_name = "Sync previews"

    def ready(self) -> None:
        from sync.contacts import writes
        from sync.preview.apply import hold_to_preview

        writes.restrict_plans_with(hold_to_preview)
