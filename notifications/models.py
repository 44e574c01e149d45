"""Who wants which emails, and which one-time notices went out already."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.scoping import WorkspaceManager


class NotificationSettings(models.Model):
    """One user's email choices for one workspace (every notice is on until they opt out)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="notification_settings"
    )
    run_completed = models.BooleanField(
        "A sync finished", default=True, help_text="Sync New Contacts, invoice summaries…"
    )
    run_failed = models.BooleanField("A sync failed", default=True)
    connection_problem = models.BooleanField(
        "A connection needs reconnecting",
        default=True,
        help_text="QuickBooks or Less Annoying CRM stopped accepting LedgerLink's access.",
    )
    expiry_warning = models.BooleanField(
        "QuickBooks' authorization is about to expire",
        default=True,
        help_text="30 and 7 days before QuickBooks' five-year limit ends the connection.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "notification settings"
        constraints = [
            models.UniqueConstraint(fields=["user", "workspace"], name="one_notification_row"),
        ]

    def __str__(self) -> str:
        return f"Notifications of {self.user} in {self.workspace}"


class SentNotice(models.Model):
    """A notice that must go out once only (an expiry warning), recorded when it was sent."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    sent_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "key"], name="one_notice_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.workspace_id})"
