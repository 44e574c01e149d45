"""``{% record_url system record_id as url %}``: where a person reads a record (see
``integrations.registry.record_url``): the provider's web app, or the sandbox's record page."""

from __future__ import annotations

from django import template

from integrations import registry

register = template.Library()


@register.simple_tag
def record_url(system: str, record_id) -> str:
    return registry.record_url(system or "", str(record_id or ""))


@register.simple_tag
def other_system(system: str) -> str:
    """The system of a log entry's counterpart (``target_id``): the other provider."""
    keys = [p.key for p in registry.providers()]
    others = [k for k in keys if k != system]
    return others[0] if len(others) == 1 else ""


@register.simple_tag
def sandbox_records_url() -> str:
    """The sandbox's record pages when this install serves demo providers ("" otherwise)."""
    from integrations.record_links import sandbox_page, sandbox_serves_a_provider

    return sandbox_page("index") if sandbox_serves_a_provider() else ""
