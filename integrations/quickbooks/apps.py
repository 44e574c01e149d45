from django.apps import AppConfig


class QuickBooksConfig(AppConfig):
    """The QuickBooks Online provider: the accounting system of a workspace."""

    name = "integrations.quickbooks"
    label = "quickbooks"

    def ready(self) -> None:
        from integrations import registry
        from integrations.quickbooks import connection, links

        registry.register(
            registry.Provider(
                key="qbo",
                name="QuickBooks",
                role=registry.ACCOUNTING,
                client=connection.qbo_client,
                status=connection.qbo_status,
                url_prefix="quickbooks/",
                urls="integrations.quickbooks.urls",
                card_template="integrations/quickbooks/card.html",
                card_context=lambda workspace: {"qbo": connection.qbo_connection(workspace)},
                record_url=links.record_url,
                order=10,
            )
        )
