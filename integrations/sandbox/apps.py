from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Built-in QuickBooks Online and Less Annoying CRM providers for demo mode and tests."""

    name = "integrations.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox providers"
