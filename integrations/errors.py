"""Typed errors raised by the provider clients, each carrying a human message for the logs.

``permanent`` errors are never retried (the same request would fail the same way); the others are
transient and the clients retry them with back-off before giving up. ``connection_level`` errors
mean the whole connection is unusable: a run stops with that reason instead of failing contact
after contact.
"""

from __future__ import annotations


class IntegrationError(Exception):
    """Base class: ``str(error)`` is safe to show a user and to log (no secrets)."""

    permanent = True
    connection_level = False
    code = ""

    def __init__(self, message: str, *, code: str = "", system: str = "") -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.system = system


class NotConnected(IntegrationError):
    """The workspace has not connected this system."""

    connection_level = True


class ReconnectNeeded(IntegrationError):
    """The stored grant is dead (``invalid_grant``, key revoked): the user must reconnect."""

    connection_level = True


class AuthExpired(IntegrationError):
    """The access token expired; the client refreshes once and retries."""

    permanent = False


class RateLimited(IntegrationError):
    """The provider throttled us (HTTP 429) and back-off was exhausted."""

    permanent = False

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        # Seconds the provider asked us to wait (``Retry-After``), when it said.
        self.retry_after = retry_after


class TransientError(IntegrationError):
    """A 5xx, a timeout or a connection reset that outlasted the retries."""

    permanent = False


class ValidationFailed(IntegrationError):
    """The provider rejected the record's content (a bad field, a missing required value)."""


class DuplicateName(ValidationFailed):
    """QBO 6240: the DisplayName is held by another customer, vendor or employee."""

    def __init__(self, message: str, *, existing_id: str = "", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.existing_id = existing_id


class StaleObject(IntegrationError):
    """QBO 5010: the SyncToken was stale; fetch the record again and retry once."""


class NotFound(IntegrationError):
    """The record does not exist (deleted, merged, or never there)."""
