"""Links to a QuickBooks customer's page: Intuit's web app, or the sandbox's page in demo mode."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

from integrations.record_links import sandbox_page, served_by_sandbox

APP_URLS = {
    "production": "https://app.qbo.intuit.com",
    "sandbox": "https://app.sandbox.qbo.intuit.com",
}


def record_url(record_id: str) -> str:
    """The customer's page (``/app/customerdetail?nameId=<Id>`` in QuickBooks Online)."""
    if not record_id.isdigit():
        return ""
    if served_by_sandbox(settings.QBO_API_BASE_URL):
        return sandbox_page("qbo_customer", qbo_id=record_id)
    app = APP_URLS.get(settings.QBO_ENVIRONMENT, APP_URLS["production"])
    return f"{app}/app/customerdetail?nameId={quote(record_id)}"
