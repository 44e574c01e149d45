"""Connecting Less Annoying CRM: API keys, partner OAuth, and the credentials clients use.

A pasted API key is checked with ``GetUser`` before anything is stored. Partner OAuth (only
when ``LACRM_OAUTH_CLIENT_ID``/``_SECRET`` are set) follows LACRM's authorization-code flow with
the ``state`` in the session; LACRM refresh tokens are single-use, so refreshes take a row lock,
re-read, refresh only if still needed and save the new pair in the same transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from integrations import oauth_state
from integrations.connections import connection_broken
from integrations.errors import (
    AuthExpired,
    NotConnected,
    ReconnectNeeded,
    TransientError,
)
from integrations.lacrm.client import LacrmClient
from integrations.models import ConnectionStatus, LacrmConnection
from integrations.records import LACRM

logger = logging.getLogger(__name__)

SESSION_STATE = "integrations.lacrm.oauth_state"
TOKEN_TIMEOUT = 15.0
KEY_REJECTED = (
    "Less Annoying CRM no longer accepts the API key (it was deleted or API access was turned "
    "off). Paste a new key."
)
GRANT_REJECTED = (
    "Less Annoying CRM no longer accepts this connection (the authorization expired or was "
    "revoked). Reconnect Less Annoying CRM."
)


def oauth_enabled() -> bool:
    return bool(settings.LACRM_OAUTH_CLIENT_ID and settings.LACRM_OAUTH_CLIENT_SECRET)


def redirect_url() -> str:
    return settings.SITE_URL + reverse("integrations:lacrm_oauth_callback")


# --- API keys -----------------------------------------------------------------------------------


class KeyAuth:
    """A fixed credential (an API key, or a just-issued access token) with no refresh."""

    def __init__(self, header: str, pace_key: str, on_reject=None) -> None:
        self._header = header
        self.pace_key = pace_key
        self._on_reject = on_reject

    def header(self) -> str:
        return self._header

    def rejected(self, header: str) -> None:
        if self._on_reject is not None:
            self._on_reject()
        raise AuthExpired(
            "Less Annoying CRM did not accept this key: Invalid credentials", system=LACRM
        )

    def __repr__(self) -> str:
        return f"KeyAuth(pace_key={self.pace_key!r})"


def pace_key_for(secret: str) -> str:
    """A rate-limit bucket for a credential that has no connection row yet (never the secret)."""
    import hashlib

    return "key-" + hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


def check_api_key(api_key: str) -> dict:
    """``GetUser`` with the key; raises ``AuthExpired`` when LACRM refuses it."""
    auth = KeyAuth(api_key.strip(), pace_key_for(api_key.strip()))
    client = LacrmClient(user_id=0, auth=auth)
    return client.get_user()


# --- Partner OAuth ------------------------------------------------------------------------------


def start_authorization(session) -> str:
    state = oauth_state.new_state(session, SESSION_STATE)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.LACRM_OAUTH_CLIENT_ID,
            "state": state,
            "redirect_url": redirect_url(),
        }
    )
    return f"{settings.LACRM_OAUTH_AUTHORIZE_URL}?{query}"


def check_state(session, received: str | None) -> bool:
    return oauth_state.check_state(session, SESSION_STATE, received)


@dataclass
class LacrmTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int | None

    def __repr__(self) -> str:
        return "LacrmTokens(…)"


class GrantRejected(Exception):
    """LACRM's token endpoint answered ``invalid_grant`` (code or refresh token spent/expired)."""


def _token_request(body: dict) -> LacrmTokens:
    try:
        response = requests.post(
            settings.LACRM_OAUTH_TOKEN_URL,
            json=body,
            auth=(settings.LACRM_OAUTH_CLIENT_ID, settings.LACRM_OAUTH_CLIENT_SECRET),
            timeout=TOKEN_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise TransientError(
            "Could not reach Less Annoying CRM's sign-in service.", system=LACRM
        ) from exc
    if response.status_code >= 500:
        raise TransientError("Less Annoying CRM's sign-in service had an error.", system=LACRM)
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200:
        raise GrantRejected(str(data.get("error") or f"HTTP {response.status_code}"))
    return LacrmTokens(
        access_token=str(data["access_token"]),
        refresh_token=str(data.get("refresh_token") or ""),
        expires_in=int(data.get("expires_in") or 3600),
        refresh_expires_in=int(data.get("refresh_token_expires_in") or 0) or None,
    )


def exchange_code(code: str) -> LacrmTokens:
    return _token_request({"grant_type": "authorization_code", "code": code})


def refresh_tokens(connection_id, *, rejected_token: str | None = None) -> str:
    """A usable OAuth access token, refreshing the single-use refresh token only if needed."""
    return fresh_connection(connection_id, rejected_token=rejected_token).access_token


def fresh_connection(connection_id, *, rejected_token: str | None = None) -> LacrmConnection:
    """The connection row holding a usable access token, refreshed first only if needed."""
    failure: Exception | None = None
    with transaction.atomic():
        conn = LacrmConnection.objects.select_for_update().filter(pk=connection_id).first()
        if conn is None or conn.status == ConnectionStatus.DISCONNECTED or not conn.refresh_token:
            raise NotConnected("Less Annoying CRM is not connected.", system=LACRM)
        if conn.status == ConnectionStatus.RECONNECT_NEEDED:
            raise ReconnectNeeded(conn.status_reason or GRANT_REJECTED, system=LACRM)
        if conn.token_without_refresh(rejected_token) is not None:
            return conn
        try:
            tokens = _token_request(
                {"grant_type": "refresh_token", "refresh_token": conn.refresh_token}
            )
        except GrantRejected:
            conn.status = ConnectionStatus.RECONNECT_NEEDED
            conn.status_reason = GRANT_REJECTED
            conn.clear_tokens()
            conn.save()
            logger.warning("LACRM connection %s: refresh token rejected, reconnect needed", conn.pk)
            connection_broken.send(
                sender=LacrmConnection,
                workspace_id=conn.workspace_id,
                system=LACRM,
                reason=GRANT_REJECTED,
            )
            failure = ReconnectNeeded(GRANT_REJECTED, code="invalid_grant", system=LACRM)
        else:
            conn.store_tokens(
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token or conn.refresh_token,
                expires_in=tokens.expires_in,
                refresh_expires_in=tokens.refresh_expires_in,
            )
            conn.save()
            logger.info("LACRM connection %s: access token refreshed", conn.pk)
            return conn
    raise failure


def mark_key_rejected(connection_id) -> None:
    """An API key LACRM refuses is dead: say so on the connection."""
    rows = LacrmConnection.objects.filter(pk=connection_id, status=ConnectionStatus.CONNECTED)
    workspace_id = rows.values_list("workspace_id", flat=True).first()
    if rows.update(status=ConnectionStatus.RECONNECT_NEEDED, status_reason=KEY_REJECTED):
        logger.warning("LACRM connection %s: API key rejected, reconnect needed", connection_id)
        connection_broken.send(
            sender=LacrmConnection, workspace_id=workspace_id, system=LACRM, reason=KEY_REJECTED
        )


class ConnectionAuth:
    """The ``LacrmAuth`` of a stored connection (API key, or OAuth with refresh)."""

    def __init__(self, connection: LacrmConnection) -> None:
        self.connection_id = connection.pk
        self.pace_key = str(connection.pk)
        self._kind = connection.auth_kind
        self._api_key = connection.api_key
        self._token = ""
        # When the held token is due for a refresh (its refresh margin before expiry), so a
        # long-lived client refreshes ahead of time instead of waiting for LACRM to refuse it.
        self._refresh_due_at = None
        if connection.access_token_fresh():
            self._hold(connection)

    def _hold(self, connection: LacrmConnection) -> None:
        self._token = connection.access_token
        self._refresh_due_at = connection.refresh_due_at()

    def header(self) -> str:
        if self._kind == LacrmConnection.AuthKind.API_KEY:
            return self._api_key
        due = self._refresh_due_at
        if not self._token or (due is not None and timezone.now() >= due):
            self._hold(fresh_connection(self.connection_id))
        return f"Bearer {self._token}"

    def rejected(self, header: str) -> None:
        if self._kind == LacrmConnection.AuthKind.API_KEY:
            mark_key_rejected(self.connection_id)
            raise ReconnectNeeded(KEY_REJECTED, system=LACRM)
        self._hold(
            fresh_connection(self.connection_id, rejected_token=header.removeprefix("Bearer "))
        )

    def __repr__(self) -> str:
        return f"ConnectionAuth(connection={self.connection_id})"
