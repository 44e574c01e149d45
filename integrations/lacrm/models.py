"""The workspace's Less Annoying CRM webhook and its edit-polling cursor.

LACRM sends a ``Contact.Create`` webhook but nothing for edits or deletions, so a workspace in
continuous mode has two moving parts here: the registered webhook (one per workspace, with the
signing secret LACRM sent in its handshake, encrypted at rest) and the cursor of the cheap poll
for edited contacts (``sync.continuous.lacrm_poll``).
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models

from accounts.scoping import WorkspaceManager
from integrations.crypto import EncryptedTextField

# How often the edit poll runs by default (LACRM sends no Contact.Update event).
DEFAULT_POLL_MINUTES = 15


def new_route_token() -> str:
    """The unguessable part of the webhook URL (it routes; the signature authenticates)."""
    return secrets.token_urlsafe(32)


class LacrmWebhook(models.Model):
    """Our registration of a ``Contact.Create`` webhook in the workspace's LACRM account."""

    class State(models.TextChoices):
        # Asked LACRM to create it; its handshake has not arrived (yet).
        PENDING = "pending", "Waiting for the handshake"
        # The handshake came and CreateWebhook answered: deliveries are signed with the secret.
        ACTIVE = "active", "Registered"
        FAILED = "failed", "Registration failed"
        REMOVED = "removed", "Removed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=new_route_token)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # LACRM's id for the webhook (what DeleteWebhook takes) and what we registered.
    webhook_id = models.CharField(max_length=64, blank=True)
    endpoint_url = models.CharField(max_length=500, blank=True)
    scope = models.CharField(max_length=10, default="Account")
    # The X-Hook-Secret of the handshake: it keys the HMAC of every delivery. Never logged.
    secret = EncryptedTextField()
    # A handshake is accepted only while a registration is in progress, and only once.
    handshake_open_until = models.DateTimeField(null=True, blank=True)
    handshake_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    # Why registration failed or the webhook was removed, in words a user understands.
    problem = models.CharField(max_length=300, blank=True)
    # Removed with the card's button: continuous mode does not register it again on its own.
    removed_by_user = models.BooleanField(default=False)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=0)
    rejected_deliveries = models.PositiveIntegerField(default=0)
    last_rejected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = "Less Annoying CRM webhook"
        constraints = [
            models.UniqueConstraint(fields=["workspace"], name="one_lacrm_webhook_per_workspace")
        ]

    def __str__(self) -> str:
        return f"LACRM webhook of {self.workspace_id} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class LacrmWebhookDelivery(models.Model):
    """One accepted delivery, kept so a retried or replayed one is recognised and ignored.

    ``key`` names the event, not the HTTP attempt: ``Contact.Create:<ContactId>`` happens once
    per contact, so a retry after a lost answer, or a replay of a captured body, finds its row.
    """

    webhook = models.ForeignKey(LacrmWebhook, on_delete=models.CASCADE, related_name="received")
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=120)
    event = models.CharField(max_length=60)
    contact_ids = models.JSONField(default=list)
    received_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = "Less Annoying CRM webhook delivery"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="lacrm_delivery_once")
        ]

    def __str__(self) -> str:
        return self.key


class LacrmEditCursor(models.Model):
    """Where the edit poll stopped: the newest ``LastUpdate`` it has seen, and its cadence."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    # The newest LastUpdate handed on; the next poll pages newest first until it reaches it.
    cursor = models.DateTimeField(null=True, blank=True)
    # Contacts at exactly ``cursor`` already handed on (LACRM's dates are to the second).
    ids_at_cursor = models.JSONField(default=list)
    interval_minutes = models.PositiveIntegerField(default=DEFAULT_POLL_MINUTES)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_calls = models.PositiveIntegerField(default=0)
    last_changes = models.PositiveIntegerField(default=0)
    last_deletions_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = "Less Annoying CRM edit cursor"

    def __str__(self) -> str:
        return f"LACRM edit cursor of {self.workspace_id}: {self.cursor}"
