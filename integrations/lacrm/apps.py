from django.apps import AppConfig


class LacrmConfig(AppConfig):
    """The Less Annoying CRM provider: the CRM of a workspace."""

    name = "integrations.lacrm"
    label = "lacrm"

    def ready(self) -> None:
        from integrations import changes, registry
        from integrations.lacrm import connection, links, polling, tasks, views, webhooks

        registry.register(
            registry.Provider(
                key="lacrm",
                name="Less Annoying CRM",
                role=registry.CRM_ROLE,
                client=connection.lacrm_client,
                status=connection.lacrm_status,
                url_prefix="lacrm/",
                urls="integrations.lacrm.urls",
                card_template="integrations/lacrm/card.html",
                card_context=views.card_context,
                record_url=links.record_url,
                order=20,
            )
        )
        polling.register()
        changes.register_status("LACRM webhook", webhooks.dashboard_line)
        changes.register_status("LACRM edit check", polling.dashboard_line)
        changes.on_mode_change(tasks.mode_changed)
