"""The workspace's Less Annoying CRM connection: its client, its status, connect, disconnect."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.connections import status_of, usable
from integrations.lacrm import oauth as lacrm_oauth
from integrations.lacrm.client import LacrmClient
from integrations.models import ConnectionStatus, LacrmConnection
from integrations.records import LACRM

logger = logging.getLogger(__name__)


def lacrm_connection(workspace) -> LacrmConnection | None:
    return LacrmConnection.objects.for_workspace(workspace).first()


def lacrm_client(workspace) -> LacrmClient:
    """The workspace's Less Annoying CRM client; raises NotConnected / ReconnectNeeded."""
    connection = usable(lacrm_connection(workspace), LACRM, "Less Annoying CRM")
    return LacrmClient(
        user_id=connection.lacrm_user_id or 0, auth=lacrm_oauth.ConnectionAuth(connection)
    )


def lacrm_status(workspace) -> dict[str, Any]:
    lacrm = lacrm_connection(workspace)
    status = status_of(lacrm, lacrm.label if lacrm else "")
    if lacrm is not None:
        status["user_id"] = lacrm.lacrm_user_id
        status["auth_kind"] = lacrm.auth_kind
    return status


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
    """Delete the stored key/tokens (LACRM has no revoke endpoint for keys).

    Remove the webhook first (``webhooks.remove_webhook`` needs the key): the disconnect view
    does both."""
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
