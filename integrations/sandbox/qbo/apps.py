from django.apps import AppConfig


class SandboxQboConfig(AppConfig):
    """Sandbox provider: Intuit OAuth and the QuickBooks Online Accounting API v3."""

    name = "integrations.sandbox.qbo"
    label = "sandbox_qbo"
