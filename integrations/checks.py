"""System checks of the integrations settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def sandbox_in_production(app_configs, **kwargs) -> list[Warning]:
    """Warn in ``check --deploy`` when production also serves the fake providers."""
    if settings.PRODUCTION and settings.SANDBOX_ENABLED:
        return [
            Warning(
                "The built-in sandbox providers are served in production "
                "(SANDBOX_ENABLED=true, SANDBOX_IN_PRODUCTION=true).",
                hint="Anyone can mint sandbox tokens and keys under /sandbox/; use this only "
                "for a public demo and set SANDBOX_ENABLED=false otherwise.",
                id="ledgerlink.W001",
            )
        ]
    return []
