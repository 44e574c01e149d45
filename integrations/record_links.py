"""Whether a provider's endpoint is the built-in sandbox, for the record links of each provider.

In demo mode (the provider's API is this install's ``/sandbox/``) a record's page is the
sandbox's read-only record page; otherwise it is the provider's own web app.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse


def served_by_sandbox(api_url: str) -> bool:
    """True when ``api_url`` points at this install's built-in sandbox providers."""
    if not settings.SANDBOX_ENABLED or not api_url:
        return False
    return api_url.startswith(settings.SITE_URL.rstrip("/") + "/sandbox/")


def sandbox_page(name: str, **kwargs) -> str:
    """The sandbox record page ``name`` (``""`` when the sandbox is not served)."""
    try:
        return reverse(f"sandbox_browse:{name}", kwargs=kwargs)
    except NoReverseMatch:
        return ""


def sandbox_serves_a_provider() -> bool:
    """True in demo mode: QuickBooks' or LACRM's API is this install's sandbox."""
    return served_by_sandbox(settings.QBO_API_BASE_URL) or served_by_sandbox(settings.LACRM_API_URL)
