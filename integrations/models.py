"""Connections of a workspace to QuickBooks Online and Less Annoying CRM.

One row per workspace and system. Tokens and keys are encrypted at rest (``crypto.py``); a
disconnected row keeps its ``realm_id`` so reconnecting a *different* QuickBooks company can be
recognised and confirmed (the ledger belongs to one company).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.scoping import WorkspaceManager
from integrations.crypto import EncryptedTextField

# Refresh an access token when less than this is left, so a call never starts with a token that
# dies mid-flight: five minutes, or a tenth of the token's lifetime when that is shorter (a
# two-minute token refreshed five minutes early would be refreshed before every call).
REFRESH_MARGIN = timedelta(minutes=5)
REFRESH_FRACTION = 10
# The lifetime assumed when a token response leaves out ``expires_in``.
DEFAULT_ACCESS_LIFETIME = 3600


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    RECONNECT_NEEDED = "reconnect_needed", "Reconnect needed"
    DISCONNECTED = "disconnected", "Disconnected"


class _Connection(models.Model):
    """Fields and helpers shared by both connections."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.DISCONNECTED
    )
    # Why the connection is not usable, in words a user understands (never a token).
    status_reason = models.CharField(max_length=300, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField()
    access_expires_at = models.DateTimeField(null=True, blank=True)
    # Seconds the stored access token was issued for (its ``expires_in``); sets the refresh
    # margin. Empty for tokens stored before it was kept: the full margin applies to those.
    access_lifetime = models.PositiveIntegerField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        abstract = True

    @property
    def is_connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED

    @property
    def needs_reconnect(self) -> bool:
        return self.status == ConnectionStatus.RECONNECT_NEEDED

    def token_without_refresh(self, rejected_token: str | None) -> str | None:
        """The stored access token when no refresh is needed (call with the row locked).

        Without ``rejected_token`` a refresh is needed only close to expiry. With it (the
        provider just answered 401 to that token) a refresh is needed unless the stored token is
        already a different, still valid one: another worker refreshed first.
        """
        if rejected_token is None:
            return self.access_token if self.access_token_fresh() else None
        if self.access_token != rejected_token and self.access_token_fresh(margin=timedelta(0)):
            return self.access_token
        return None

    def refresh_margin(self) -> timedelta:
        """How long before expiry the stored access token is refreshed."""
        if self.access_lifetime is None:
            return REFRESH_MARGIN
        return min(REFRESH_MARGIN, timedelta(seconds=self.access_lifetime) / REFRESH_FRACTION)

    def refresh_due_at(self):
        """When the stored access token stops counting as fresh (``None`` without one)."""
        if not (self.access_token and self.access_expires_at):
            return None
        return self.access_expires_at - self.refresh_margin()

    def access_token_fresh(self, *, margin: timedelta | None = None) -> bool:
        """True when the stored access token has more than ``margin`` left.

        ``margin`` defaults to the token's own refresh margin (see ``refresh_margin``).
        """
        if margin is None:
            margin = self.refresh_margin()
        return bool(
            self.access_token
            and self.access_expires_at
            and self.access_expires_at - timezone.now() > margin
        )

    def store_tokens(
        self, *, access_token: str, refresh_token: str, expires_in, refresh_expires_in
    ) -> None:
        """Keep a token response (not saved): tokens plus absolute expiry times."""
        now = timezone.now()
        lifetime = DEFAULT_ACCESS_LIFETIME if expires_in in (None, "") else int(expires_in)
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.access_expires_at = now + timedelta(seconds=lifetime)
        self.access_lifetime = max(0, lifetime)
        self.refresh_expires_at = (
            now + timedelta(seconds=int(refresh_expires_in)) if refresh_expires_in else None
        )
        self.last_refreshed_at = now

    def clear_tokens(self) -> None:
        """Forget every secret (not saved)."""
        self.access_token = ""
        self.refresh_token = ""
        self.access_expires_at = None
        self.access_lifetime = None
        self.refresh_expires_at = None


class QuickBooksConnection(_Connection):
    """The workspace's link to one QuickBooks Online company (realm)."""

    realm_id = models.CharField(max_length=32, blank=True)
    company_name = models.CharField(max_length=255, blank=True)
    # A different company the user authorised while this one was (or had been) connected: held,
    # tokens encrypted, until the user confirms the switch on the confirmation page.
    pending_realm_id = models.CharField(max_length=32, blank=True)
    pending_company_name = models.CharField(max_length=255, blank=True)
    pending_access_token = EncryptedTextField()
    pending_refresh_token = EncryptedTextField()
    pending_expires_in = models.PositiveIntegerField(null=True, blank=True)
    pending_refresh_expires_in = models.PositiveIntegerField(null=True, blank=True)
    pending_at = models.DateTimeField(null=True, blank=True)
    # Set when the user confirmed switching companies; the sync app resets the ledger then.
    pending_refresh_hard_expires_in = models.PositiveBigIntegerField(null=True, blank=True)
    # When the refresh token's five-year hard limit ends the authorization (Intuit's
    # ``x_refresh_token_hard_expires_in``, asked for on every token request); warnings go out
    # 30 and 7 days before (``notifications.expiry``).
    refresh_hard_expires_at = models.DateTimeField(null=True, blank=True)
    previous_realm_id = models.CharField(max_length=32, blank=True)
    company_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "QuickBooks connection"
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="one_qbo_connection_per_workspace")
        ]

    def __str__(self) -> str:
        return f"QuickBooks: {self.company_name or self.realm_id or '—'} ({self.status})"

    @property
    def has_pending_company(self) -> bool:
        return bool(self.pending_realm_id and self.pending_refresh_token)

    def clear_tokens(self) -> None:
        super().clear_tokens()
        self.refresh_hard_expires_at = None

    def store_hard_expiry(self, seconds: int | None) -> None:
        """Keep the hard expiry of a token response (not saved); an answer without it keeps the
        value already known."""
        if seconds is not None:
            self.refresh_hard_expires_at = timezone.now() + timedelta(seconds=max(0, seconds))

    def clear_pending(self) -> None:
        self.pending_refresh_hard_expires_in = None
        self.pending_realm_id = ""
        self.pending_company_name = ""
        self.pending_access_token = ""
        self.pending_refresh_token = ""
        self.pending_expires_in = None
        self.pending_refresh_expires_in = None
        self.pending_at = None


class LacrmConnection(_Connection):
    """The workspace's link to a Less Annoying CRM user, by API key or partner OAuth."""

    class AuthKind(models.TextChoices):
        API_KEY = "api_key", "API key"
        OAUTH = "oauth", "OAuth"

    auth_kind = models.CharField(max_length=10, choices=AuthKind.choices, default=AuthKind.API_KEY)
    api_key = EncryptedTextField()
    # LACRM UserIds are plain integers (unlike contact Uids); used as AssignedTo on creates.
    lacrm_user_id = models.BigIntegerField(null=True, blank=True)
    user_name = models.CharField(max_length=255, blank=True)
    user_email = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "Less Annoying CRM connection"
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="one_lacrm_connection_per_workspace")
        ]

    def __str__(self) -> str:
        return f"Less Annoying CRM: {self.user_name or self.user_email or '—'} ({self.status})"

    @property
    def label(self) -> str:
        if self.user_name and self.user_email:
            return f"{self.user_name} ({self.user_email})"
        return (
            self.user_name
            or self.user_email
            or (f"User {self.lacrm_user_id}" if self.lacrm_user_id else "")
        )

    def clear_tokens(self) -> None:
        super().clear_tokens()
        self.api_key = ""
