"""The workspace's QuickBooks connection: its client, its status, connect, switch, disconnect.

Views and test fixtures use these functions, so the browser flow and the fixtures store
connections the same way.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.connections import company_changed, status_of, usable
from integrations.models import ConnectionStatus, QuickBooksConnection
from integrations.quickbooks import oauth as qbo_oauth
from integrations.quickbooks.client import QuickBooksClient
from integrations.records import QBO

logger = logging.getLogger(__name__)


def qbo_connection(workspace) -> QuickBooksConnection | None:
    return QuickBooksConnection.objects.for_workspace(workspace).first()


def qbo_client(workspace) -> QuickBooksClient:
    """The workspace's QuickBooks client; raises NotConnected / ReconnectNeeded."""
    connection = usable(qbo_connection(workspace), QBO, "QuickBooks")
    return QuickBooksClient(
        connection.realm_id, qbo_oauth.ConnectionTokens(connection), meter=str(workspace.pk)
    )


def qbo_status(workspace) -> dict[str, Any]:
    qbo = qbo_connection(workspace)
    qbo_label = (qbo.company_name or f"Company {qbo.realm_id}") if qbo else ""
    status = status_of(qbo, qbo_label)
    if qbo is not None:
        status["realm_id"] = qbo.realm_id
    return status


def on_company_changed(workspace, *, old_realm_id: str = "", new_realm_id: str = "") -> None:
    """Tell the ledger and the summaries that the workspace switched QuickBooks companies.

    Runs inside the transaction that switches the connection, after the new realm is saved.
    """
    logger.info(
        "Workspace %s switched QuickBooks company %s -> %s",
        workspace.pk,
        old_realm_id or "-",
        new_realm_id,
    )
    company_changed.send(
        sender=QuickBooksConnection,
        workspace=workspace,
        old_realm_id=old_realm_id,
        new_realm_id=new_realm_id,
    )


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
            conn.pending_refresh_hard_expires_in = grant.refresh_hard_expires_in
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
        conn.refresh_hard_expires_at = None
        conn.store_hard_expiry(grant.refresh_hard_expires_in)
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
        conn.refresh_hard_expires_at = None
        conn.store_hard_expiry(conn.pending_refresh_hard_expires_in)
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
