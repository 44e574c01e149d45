"""What every provider's connection shares: whether it can be used, and how it stands.

The connection models live in ``integrations.models``; each provider's own ``connection``
module builds its client and stores, switches and removes its connection.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

from integrations.errors import NotConnected, ReconnectNeeded
from integrations.models import ConnectionStatus

# Sent (inside the switching transaction) when the user confirmed connecting a *different*
# accounting company than the one the workspace's ledger was built with: the ledger's customer
# ids mean nothing any more. Arguments: workspace, old_realm_id, new_realm_id.
company_changed = Signal()
# Sent when a connection stops working and needs the user to reconnect (the provider rejected
# its refresh token or key). Arguments: workspace_id, system, reason. Receivers that do work
# outside the database defer it with ``transaction.on_commit``.
connection_broken = Signal()

# Sent when a webhook delivery from ``system`` passed its signature check, for each workspace
# connected to the account it is about (the dashboard's "last verified delivery"). Arguments:
# workspace, system, at.
webhook_verified = Signal()


def usable(connection, system: str, system_name: str):
    """The connection if it can be used now; raises NotConnected / ReconnectNeeded."""
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        raise NotConnected(f"{system_name} is not connected.", system=system)
    if connection.status == ConnectionStatus.RECONNECT_NEEDED:
        raise ReconnectNeeded(
            connection.status_reason or f"{system_name} needs to be reconnected.", system=system
        )
    return connection


def status_of(connection, label: str) -> dict[str, Any]:
    if connection is None:
        return {
            "connected": False,
            "needs_reconnect": False,
            "label": "",
            "since": None,
            "reason": "",
            "status": ConnectionStatus.DISCONNECTED.value,
        }
    return {
        "connected": connection.status == ConnectionStatus.CONNECTED,
        "needs_reconnect": connection.status == ConnectionStatus.RECONNECT_NEEDED,
        "label": label if connection.status != ConnectionStatus.DISCONNECTED else "",
        "since": connection.connected_at,
        "reason": connection.status_reason,
        "status": connection.status,
    }
