from django.apps import AppConfig


class QuickBooksConfig(AppConfig):
    """The QuickBooks Online provider: the accounting system of a workspace."""

    name = "integrations.quickbooks"
    label = "quickbooks"

    def ready(self) -> None:
        from integrations import registry, services

        registry.register(
            registry.Provider(
                key="qbo",
                name="QuickBooks",
                role=registry.ACCOUNTING,
                client=services.qbo_client,
                status=services.qbo_status,
                order=10,
            )
        )
