"""The providers LedgerLink can connect, filled by each provider app in its ``AppConfig.ready``.

``sync`` and ``summaries`` reach a workspace's systems only through here: ``accounting(ws)``
and ``crm(ws)`` return clients that satisfy ``integrations.protocols``, and
``connection_status(ws)`` tells the dashboard how each connection stands. A provider registers
its key (the ``system`` of its records), display name, role, and how to build its client and
read its connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integrations.protocols import CRM, AccountingSystem

ACCOUNTING = "accounting"
CRM_ROLE = "crm"
ROLES = (ACCOUNTING, CRM_ROLE)


class UnknownProvider(LookupError):
    """No provider app registered that key or role."""


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    role: str
    # The workspace's client; raises NotConnected / ReconnectNeeded.
    client: Callable[[Any], Any]
    # The workspace's connection for the dashboard: connected, needs_reconnect, label, since,
    # reason, status (and provider-specific extras).
    status: Callable[[Any], dict[str, Any]]
    # Its connect pages: a urls module included under /integrations/<url_prefix>.
    url_prefix: str = ""
    urls: str = ""
    # Its card on the connections page, rendered with ``s`` (the status) and card_context(ws).
    card_template: str = ""
    card_context: Callable[[Any], dict[str, Any]] = field(default=lambda workspace: {})
    # The page of one of its records (by the id our records carry): the provider's own web app,
    # or the sandbox's record page in demo mode; "" when there is none.
    record_url: Callable[[str], str] = field(default=lambda record_id: "")
    order: int = 100

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"Provider {self.key!r}: unknown role {self.role!r}")


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    existing = _PROVIDERS.get(provider.key)
    if existing is not None and existing != provider:
        raise ValueError(f"Provider {provider.key!r} is registered already")
    taken = next((p for p in _PROVIDERS.values() if p.role == provider.role), None)
    if taken is not None and taken.key != provider.key:
        raise ValueError(
            f"{taken.name} already fills the {provider.role} role; a workspace connects one"
        )
    _PROVIDERS[provider.key] = provider
    return provider


def providers() -> list[Provider]:
    return sorted(_PROVIDERS.values(), key=lambda p: (p.order, p.key))


def get(key: str) -> Provider:
    try:
        return _PROVIDERS[key]
    except KeyError:
        raise UnknownProvider(f"No provider {key!r}") from None


def for_role(role: str) -> Provider:
    for provider in _PROVIDERS.values():
        if provider.role == role:
            return provider
    raise UnknownProvider(f"No provider fills the {role} role")


def name(key: str) -> str:
    provider = _PROVIDERS.get(key)
    return provider.name if provider else key


def client(workspace, key: str) -> AccountingSystem | CRM:
    """The workspace's client for the provider ``key``."""
    return get(key).client(workspace)


def accounting(workspace) -> AccountingSystem:
    return for_role(ACCOUNTING).client(workspace)


def crm(workspace) -> CRM:
    return for_role(CRM_ROLE).client(workspace)


def record_url(key: str, record_id: str) -> str:
    """Where a person reads the record ``record_id`` of provider ``key`` ("" if nowhere)."""
    provider = _PROVIDERS.get(key)
    if provider is None or not record_id:
        return ""
    return provider.record_url(str(record_id))


def connection_status(workspace) -> dict[str, dict[str, Any]]:
    """Every provider's connection, by key."""
    return {p.key: p.status(workspace) for p in providers()}
