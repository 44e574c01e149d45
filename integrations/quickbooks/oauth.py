"""Connecting QuickBooks: Intuit's OAuth 2 flow, token refresh under a row lock, revoke.

The ``state`` of each attempt is random, kept in the session and popped on the callback, so a
missing, forged or replayed callback stores nothing. Refreshes take ``SELECT … FOR UPDATE`` on
the connection row, re-read it and refresh only if still needed (another worker may have done it
meanwhile); the rotated refresh token is saved in the same transaction. ``invalid_grant`` marks
the connection "reconnect needed".
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db import transaction
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from integrations import oauth_state
from integrations.connections import connection_broken
from integrations.errors import AuthExpired, NotConnected, ReconnectNeeded, TransientError
from integrations.models import ConnectionStatus, QuickBooksConnection
from integrations.quickbooks.discovery import discovery_response
from integrations.records import QBO

logger = logging.getLogger(__name__)

SESSION_STATE = "integrations.qbo.oauth_state"
# Seconds for every call to Intuit's OAuth endpoints (intuitlib sets none).
OAUTH_TIMEOUT = 15.0
# Intuit adds ``x_refresh_token_hard_expires_in`` (seconds until the connection's five-year hard
# limit, after which no refresh works and the user must connect again) to a token response
# only when the token request carries this header.
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"
RECONNECT_REASON = (
    "QuickBooks no longer accepts this connection (the authorization expired or was revoked). "
    "Reconnect QuickBooks."
)


class TimeoutAuthClient(AuthClient):
    """intuitlib's AuthClient with a timeout on every request and a cached discovery document.

    Its token requests also ask for the refresh token's hard expiry (``HARD_EXPIRY_HEADER``);
    intuitlib copies every field of the token response onto the client, so the answer is read
    as ``hard_expires_in()``.

    ``AuthClient.__init__`` makes exactly one request, the discovery GET, through the client
    itself (it is a ``requests.Session``: ``intuitlib.utils.get_discovery_doc(env, session=self)``);
    that GET is answered from the per-process cache when it holds a fresh copy.
    """

    def __init__(self, *args, **kwargs) -> None:
        self._constructing = True
        try:
            super().__init__(*args, **kwargs)
        finally:
            self._constructing = False

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", OAUTH_TIMEOUT)
        if str(method).upper() == "POST" and url == getattr(self, "token_endpoint", None):
            kwargs["headers"] = {**(kwargs.get("headers") or {}), HARD_EXPIRY_HEADER: "true"}
            self.x_refresh_token_hard_expires_in = None
        send = super().request
        if getattr(self, "_constructing", False) and str(method).upper() == "GET":
            return discovery_response(url, lambda: send(method, url, *args, **kwargs))
        return send(method, url, *args, **kwargs)


def hard_expires_in(client) -> int | None:
    """Seconds until the refresh token's hard expiry from the last token response, if given."""
    value = getattr(client, "x_refresh_token_hard_expires_in", None)
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def redirect_uri() -> str:
    return settings.QBO_REDIRECT_URI


def auth_client() -> TimeoutAuthClient:
    """A fresh AuthClient (its discovery document comes from the per-process cache)."""
    environment = settings.QBO_DISCOVERY_URL or settings.QBO_ENVIRONMENT
    try:
        return TimeoutAuthClient(
            settings.QBO_CLIENT_ID, settings.QBO_CLIENT_SECRET, redirect_uri(), environment
        )
    except (requests.RequestException, AuthClientError) as exc:
        raise TransientError("Could not reach Intuit's sign-in service.", system=QBO) from exc


def oauth_error_code(exc: AuthClientError) -> str:
    """The ``error`` of an OAuth error body (``invalid_grant``…), or ``""``."""
    try:
        return str(json.loads(exc.content or b"{}").get("error", ""))
    except (ValueError, AttributeError):
        return ""


# --- The browser flow ---------------------------------------------------------------------------


def start_authorization(session) -> str:
    """A new ``state`` in the session and the Intuit URL to send the user to."""
    state = oauth_state.new_state(session, SESSION_STATE)
    return auth_client().get_authorization_url([Scopes.ACCOUNTING], state_token=state)


def check_state(session, received: str | None) -> bool:
    """Pop the session's state and compare it with the callback's, in constant time."""
    return oauth_state.check_state(session, SESSION_STATE, received)


@dataclass
class TokenGrant:
    """Tokens from a code exchange (kept only in memory until stored encrypted)."""

    realm_id: str
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int | None
    refresh_hard_expires_in: int | None = None

    def __repr__(self) -> str:
        return f"TokenGrant(realm_id={self.realm_id!r})"


class CodeRejected(Exception):
    """Intuit refused the authorization code (expired, used, or for another app)."""


def exchange_code(code: str, realm_id: str) -> TokenGrant:
    """Trade the callback's code for tokens."""
    client = auth_client()
    try:
        client.get_bearer_token(code, realm_id=realm_id)
    except AuthClientError as exc:
        if 400 <= exc.status_code < 500:
            raise CodeRejected(oauth_error_code(exc) or f"HTTP {exc.status_code}") from None
        raise TransientError("Intuit's sign-in service had an error.", system=QBO) from None
    except requests.RequestException as exc:
        raise TransientError("Could not reach Intuit's sign-in service.", system=QBO) from exc
    return TokenGrant(
        realm_id=realm_id,
        access_token=client.access_token,
        refresh_token=client.refresh_token,
        expires_in=int(client.expires_in or 3600),
        refresh_expires_in=int(client.x_refresh_token_expires_in or 0) or None,
        refresh_hard_expires_in=hard_expires_in(client),
    )


class RealmNotConfirmed(Exception):
    """QuickBooks refused the new token for the callback's ``realmId``: it is another company's."""


def confirm_realm(grant: TokenGrant) -> str:
    """Prove the new token belongs to ``grant.realm_id``; return that company's name.

    The callback's ``realmId`` is only a query parameter and anyone can edit it; the token is
    what Intuit issued. Reading the realm's CompanyInfo with the token settles it: QuickBooks
    answers 401/403 for a token of another company (the sandbox does the same). Raises
    ``RealmNotConfirmed`` then, and the ``IntegrationError`` of the call when QuickBooks could
    not be asked (nothing may be stored without the answer either way).
    """
    from integrations.quickbooks.client import QuickBooksClient

    client = QuickBooksClient(grant.realm_id, StaticTokens(grant.access_token))
    try:
        info = client.company_info()
    except (ReconnectNeeded, AuthExpired) as exc:
        raise RealmNotConfirmed(grant.realm_id) from exc
    return str(info.get("CompanyName") or info.get("LegalName") or "")


def revoke(token: str) -> bool:
    """Revoke a refresh (or access) token at Intuit; False when Intuit could not be reached."""
    if not token:
        return False
    try:
        auth_client().revoke(token=token)
    except AuthClientError as exc:
        # Already revoked or expired: nothing left to revoke.
        logger.info("Intuit revoke answered HTTP %s", exc.status_code)
        return exc.status_code == 400
    except (requests.RequestException, TransientError):
        logger.warning("Could not reach Intuit to revoke a token")
        return False
    return True


# --- Tokens for API calls -----------------------------------------------------------------------


def refresh_tokens(connection_id, *, rejected_token: str | None = None) -> str:
    """Return a usable access token for the connection, refreshing it if (still) needed.

    ``rejected_token`` is the token QBO just answered 401 to: refresh unless the stored token
    is already a different, newer one (another worker refreshed first).
    """
    failure: Exception | None = None
    with transaction.atomic():
        conn = QuickBooksConnection.objects.select_for_update().filter(pk=connection_id).first()
        if conn is None or conn.status == ConnectionStatus.DISCONNECTED or not conn.refresh_token:
            raise NotConnected("QuickBooks is not connected.", system=QBO)
        if conn.status == ConnectionStatus.RECONNECT_NEEDED:
            raise ReconnectNeeded(conn.status_reason or RECONNECT_REASON, system=QBO)
        current = conn.token_without_refresh(rejected_token)
        if current is not None:
            return current
        client = auth_client()
        try:
            client.refresh(refresh_token=conn.refresh_token)
        except AuthClientError as exc:
            if oauth_error_code(exc) == "invalid_grant" or exc.status_code == 401:
                conn.status = ConnectionStatus.RECONNECT_NEEDED
                conn.status_reason = RECONNECT_REASON
                conn.clear_tokens()
                conn.save()
                logger.warning(
                    "QBO connection %s: refresh token rejected, reconnect needed", conn.pk
                )
                connection_broken.send(
                    sender=QuickBooksConnection,
                    workspace_id=conn.workspace_id,
                    system=QBO,
                    reason=RECONNECT_REASON,
                )
                failure = ReconnectNeeded(RECONNECT_REASON, code="invalid_grant", system=QBO)
            else:
                raise TransientError(
                    f"Intuit could not refresh the QuickBooks token (HTTP {exc.status_code}).",
                    system=QBO,
                ) from None
        except requests.RequestException as exc:
            raise TransientError(
                "Could not reach Intuit to refresh the token.", system=QBO
            ) from exc
        else:
            conn.store_tokens(
                access_token=client.access_token,
                refresh_token=client.refresh_token or conn.refresh_token,
                expires_in=client.expires_in,
                refresh_expires_in=client.x_refresh_token_expires_in,
            )
            conn.store_hard_expiry(hard_expires_in(client))
            conn.save()
            logger.info("QBO connection %s: access token refreshed", conn.pk)
            return conn.access_token
    # Raised after the block so the "reconnect needed" status is committed, not rolled back.
    raise failure


class ConnectionTokens:
    """The ``TokenSource`` of a stored connection (see ``quickbooks.transport``)."""

    def __init__(self, connection: QuickBooksConnection) -> None:
        self.connection_id = connection.pk
        self._token = connection.access_token if connection.access_token_fresh() else ""

    def access_token(self) -> str:
        if not self._token:
            self._token = refresh_tokens(self.connection_id)
        else:
            # Cheap re-check so a long run picks up a refresh done elsewhere before expiry.
            conn = (
                QuickBooksConnection.objects.only(
                    "access_token", "access_expires_at", "access_lifetime", "status"
                )
                .filter(pk=self.connection_id)
                .first()
            )
            if (
                conn is None
                or conn.status != ConnectionStatus.CONNECTED
                or not conn.access_token_fresh()
            ):
                self._token = refresh_tokens(self.connection_id)
            else:
                self._token = conn.access_token
        return self._token

    def force_refresh(self, rejected_token: str) -> str:
        self._token = refresh_tokens(self.connection_id, rejected_token=rejected_token)
        return self._token


class StaticTokens:
    """A ``TokenSource`` for a token just obtained (the callback reads the company name)."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def access_token(self) -> str:
        return self._token

    def force_refresh(self, rejected_token: str) -> str:
        raise ReconnectNeeded(
            "QuickBooks rejected the new token; please connect again.", system=QBO
        )
