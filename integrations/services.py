"""What the rest of LedgerLink asks of the integrations app: clients, status, connect/disconnect.

``sync`` and ``summaries`` call ``qbo_client(workspace)`` and ``lacrm_client(workspace)``; the
dashboard calls ``connection_status(workspace)``. Views and test fixtures use the connect and
disconnect functions below so the browser flow and the fixtures store connections the same way.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from integrations.errors import AuthExpired, NotConnected, ReconnectNeeded
from integrations.lacrm import oauth as lacrm_oauth
from integrations.lacrm.client import LacrmClient
from integrations.models import ConnectionStatus, LacrmConnection, QuickBooksConnection
from integrations.quickbooks import oauth as qbo_oauth
from integrations.quickbooks.client import QuickBooksClient
from integrations.records import LACRM, QBO

logger = logging.getLogger(__name__)

# Sent when the user confirmed connecting a *different* QuickBooks company than the one the
# workspace's ledger was built with. Arguments: workspace, old_realm_id, new_realm_id.
qbo_company_changed = Signal()


def on_company_changed(workspace, *, old_realm_id: str = "", new_realm_id: str = "") -> None:
    """Hook for the ledger reset when a workspace switches QuickBooks companies.

    The ledger links QBO customer ids of ONE company to LACRM contacts; after a switch those ids
    mean nothing. This function deliberately does nothing itself: the sync app connects a
    receiver to ``qbo_company_changed`` (or replaces this body) to clear the workspace's ledger.
    It runs inside the transaction that switches the connection, after the new realm is saved.
    """
    logger.info(
        "Workspace %s switched QuickBooks company %s -> %s",
        workspace.pk,
        old_realm_id or "-",
        new_realm_id,
    )
    qbo_company_changed.send(
        sender=QuickBooksConnection,
        workspace=workspace,
        old_realm_id=old_realm_id,
        new_realm_id=new_realm_id,
    )


# --- Clients ------------------------------------------------------------------------------------


def qbo_connection(workspace) -> QuickBooksConnection | None:
    return QuickBooksConnection.objects.for_workspace(workspace).first()


def lacrm_connection(workspace) -> LacrmConnection | None:
    return LacrmConnection.objects.for_workspace(workspace).first()


def _usable(connection, system_name: str):
    if connection is None or connection.status == ConnectionStatus.DISCONNECTED:
        raise NotConnected(
            f"{system_name} is not connected.", system=QBO if system_name == "QuickBooks" else LACRM
        )
    if connection.status == ConnectionStatus.RECONNECT_NEEDED:
        raise ReconnectNeeded(
            connection.status_reason or f"{system_name} needs to be reconnected.",
            system=QBO if system_name == "QuickBooks" else LACRM,
        )
    return connection


def qbo_client(workspace) -> QuickBooksClient:
    """The workspace's QuickBooks client; raises NotConnected / ReconnectNeeded."""
    connection = _usable(qbo_connection(workspace), "QuickBooks")
    return QuickBooksClient(connection.realm_id, qbo_oauth.ConnectionTokens(connection))


def lacrm_client(workspace) -> LacrmClient:
    """The workspace's Less Annoying CRM client; raises NotConnected / ReconnectNeeded."""
    connection = _usable(lacrm_connection(workspace), "Less Annoying CRM")
    return LacrmClient(
        user_id=connection.lacrm_user_id or 0, auth=lacrm_oauth.ConnectionAuth(connection)
    )


def _status(connection, label: str) -> dict[str, Any]:
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


def qbo_status(workspace) -> dict[str, Any]:
    qbo = qbo_connection(workspace)
    qbo_label = (qbo.company_name or f"Company {qbo.realm_id}") if qbo else ""
    status = _status(qbo, qbo_label)
    if qbo is not None:
        status["realm_id"] = qbo.realm_id
    return status


def lacrm_status(workspace) -> dict[str, Any]:
    lacrm = lacrm_connection(workspace)
    status = _status(lacrm, lacrm.label if lacrm else "")
    if lacrm is not None:
        status["user_id"] = lacrm.lacrm_user_id
        status["auth_kind"] = lacrm.auth_kind
    return status


def connection_status(workspace) -> dict[str, dict[str, Any]]:
    """Every connection for the dashboard: connected, needs_reconnect, label, since, reason."""
    from integrations import registry

    return registry.connection_status(workspace)


# --- QuickBooks connect / switch / disconnect ---------------------------------------------------


def store_qbo_grant(workspace, user, grant: qbo_oauth.TokenGrant, company_name: str) -> str:
    """Store tokens from a callback; returns ``"connected"`` or ``"confirm"``.

    The same realm (or a first connection) is stored at once and keeps the ledger. A different
    realm than the one the workspace has (or had) is held, encrypted, until the user confirms.
    """
    with transaction.atomic():
        conn, _ = QuickBooksConnection.objects.select_for_update().get_or_create(
            workspace=workspace
        )
        if conn.realm_id and conn.realm_id != grant.realm_id:
            if conn.pending_refresh_token and conn.pending_realm_id != grant.realm_id:
                qbo_oauth.revoke(conn.pending_refresh_token)
            conn.pending_realm_id = grant.realm_id
            conn.pending_company_name = company_name
            conn.pending_access_token = grant.access_token
            conn.pending_refresh_token = grant.refresh_token
            conn.pending_expires_in = grant.expires_in
            conn.pending_refresh_expires_in = grant.refresh_expires_in
            conn.pending_at = timezone.now()
            conn.save()
            return "confirm"
        _activate(
            conn,
            user,
            grant.realm_id,
            company_name,
            grant.access_token,
            grant.refresh_token,
            grant.expires_in,
            grant.refresh_expires_in,
        )
        conn.clear_pending()
        conn.save()
    return "connected"


def _activate(conn, user, realm_id, company_name, access, refresh, expires_in, refresh_in):
    conn.realm_id = realm_id
    conn.company_name = company_name
    conn.store_tokens(
        access_token=access,
        refresh_token=refresh,
        expires_in=expires_in,
        refresh_expires_in=refresh_in,
    )
    conn.status = ConnectionStatus.CONNECTED
    conn.status_reason = ""
    conn.connected_at = timezone.now()
    conn.connected_by = user


def confirm_company_change(workspace, user) -> QuickBooksConnection | None:
    """Switch to the held company; the old grant is revoked and the ledger hook runs."""
    with transaction.atomic():
        conn = QuickBooksConnection.objects.select_for_update().for_workspace(workspace).first()
        if conn is None or not conn.has_pending_company:
            return None
        old_realm, old_refresh = conn.realm_id, conn.refresh_token
        _activate(
            conn,
            user,
            conn.pending_realm_id,
            conn.pending_company_name,
            conn.pending_access_token,
            conn.pending_refresh_token,
            conn.pending_expires_in,
            conn.pending_refresh_expires_in,
        )
        conn.previous_realm_id = old_realm
        conn.company_changed_at = timezone.now()
        conn.clear_pending()
        conn.save()
        on_company_changed(workspace, old_realm_id=old_realm, new_realm_id=conn.realm_id)
    if old_refresh:
        qbo_oauth.revoke(old_refresh)
    return conn


def cancel_company_change(workspace) -> None:
    """Drop the held company (its grant is revoked); the current connection is untouched."""
    with transaction.atomic():
        conn = QuickBooksConnection.objects.select_for_update().for_workspace(workspace).first()
        if conn is None or not conn.has_pending_company:
            return
        token = conn.pending_refresh_token
        conn.clear_pending()
        conn.save()
    qbo_oauth.revoke(token)


def disconnect_qbo(workspace) -> bool:
    """Revoke at Intuit and delete the tokens; ``realm_id`` stays to recognise the company."""
    with transaction.atomic():
        conn = QuickBooksConnection.objects.select_for_update().for_workspace(workspace).first()
        if conn is None:
            return False
        tokens = [t for t in (conn.refresh_token, conn.pending_refresh_token) if t]
        conn.clear_tokens()
        conn.clear_pending()
        conn.status = ConnectionStatus.DISCONNECTED
        conn.status_reason = ""
        conn.save()
    for token in tokens:
        qbo_oauth.revoke(token)
    logger.info("Workspace %s disconnected QuickBooks realm %s", workspace.pk, conn.realm_id)
    return True


# --- LACRM connect / disconnect -----------------------------------------------------------------


def connect_lacrm_api_key(
    workspace, user, api_key: str, *, user_info: dict | None = None
) -> LacrmConnection:
    """Check the key with GetUser (unless ``user_info`` is that answer already), then store it
    encrypted. Raises ``AuthExpired`` if LACRM refuses the key; nothing is stored then."""
    api_key = api_key.strip()
    info = user_info if user_info is not None else lacrm_oauth.check_api_key(api_key)
    with transaction.atomic():
        conn, _ = LacrmConnection.objects.select_for_update().get_or_create(workspace=workspace)
        conn.clear_tokens()
        conn.auth_kind = LacrmConnection.AuthKind.API_KEY
        conn.api_key = api_key
        _store_user(conn, user, info)
        conn.save()
    return conn


def connect_lacrm_oauth(workspace, user, tokens: lacrm_oauth.LacrmTokens) -> LacrmConnection:
    """Store partner-OAuth tokens after reading the user with them."""
    auth = lacrm_oauth.KeyAuth(
        f"Bearer {tokens.access_token}", lacrm_oauth.pace_key_for(tokens.access_token)
    )
    info = LacrmClient(user_id=0, auth=auth).get_user()
    with transaction.atomic():
        conn, _ = LacrmConnection.objects.select_for_update().get_or_create(workspace=workspace)
        conn.clear_tokens()
        conn.auth_kind = LacrmConnection.AuthKind.OAUTH
        conn.store_tokens(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
            refresh_expires_in=tokens.refresh_expires_in,
        )
        _store_user(conn, user, info)
        conn.save()
    return conn


def _store_user(conn: LacrmConnection, user, info: dict) -> None:
    conn.lacrm_user_id = int(info["UserId"])
    conn.user_name = " ".join(
        str(info.get(k) or "").strip() for k in ("FirstName", "LastName") if info.get(k)
    )
    conn.user_email = str(info.get("Email") or "")
    conn.status = ConnectionStatus.CONNECTED
    conn.status_reason = ""
    conn.connected_at = timezone.now()
    conn.connected_by = user


def disconnect_lacrm(workspace) -> bool:
    """Delete the stored key/tokens (LACRM has no revoke endpoint for keys)."""
    with transaction.atomic():
        conn = LacrmConnection.objects.select_for_update().for_workspace(workspace).first()
        if conn is None:
            return False
        conn.clear_tokens()
        conn.status = ConnectionStatus.DISCONNECTED
        conn.status_reason = ""
        conn.save()
    logger.info("Workspace %s disconnected Less Annoying CRM", workspace.pk)
    return True


__all__ = [
    "AuthExpired",
    "qbo_client",
    "lacrm_client",
    "connection_status",
    "on_company_changed",
    "qbo_company_changed",
]
