from django.apps import AppConfig


class LacrmConfig(AppConfig):
    """The Less Annoying CRM provider: the CRM of a workspace."""

    name = "integrations.lacrm"
    label = "lacrm"

    def ready(self) -> None:
        from integrations import registry, services

        registry.register(
            registry.Provider(
                key="lacrm",
                name="Less Annoying CRM",
                role=registry.CRM_ROLE,
                client=services.lacrm_client,
                status=services.lacrm_status,
                order=20,
            )
        )
