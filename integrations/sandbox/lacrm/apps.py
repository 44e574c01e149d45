from django.apps import AppConfig


class SandboxLacrmConfig(AppConfig):
    """Sandbox provider: The Less Annoying CRM API v2 and its partner OAuth."""

    name = "integrations.sandbox.lacrm"
    label = "sandbox_lacrm"
