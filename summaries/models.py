"""The per-contact state of invoice summaries: the 24-hour throttle and the notes posted."""

from __future__ import annotations

from django.db import models

from accounts.scoping import WorkspaceManager
from summaries.plan import THROTTLE_HOURS

__all__ = ["THROTTLE_HOURS", "ContactSummaryState", "SummaryNote", "SummarySettings"]


class ContactSummaryState(models.Model):
    """One row per LACRM contact that ever got (or is getting) a summary note.

    The throttle is enforced here, in the database: a note may only be posted by whoever moved
    ``pending_key`` from NULL to their key with a conditional UPDATE that also requires the last
    note to be at least 24 hours old. Two runs, or a retried task, cannot both win it.
    """

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    lacrm_id = models.CharField(max_length=64)
    qbo_id = models.CharField(max_length=64, blank=True)
    last_posted_at = models.DateTimeField(null=True, blank=True)
    last_note_id = models.CharField(max_length=64, blank=True)
    last_fingerprint = models.CharField(max_length=64, blank=True)
    # The outbox: a claimed, not yet confirmed note (its text carries the key as a reference).
    pending_key = models.UUIDField(null=True, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    pending_text = models.TextField(blank=True)
    pending_fingerprint = models.CharField(max_length=64, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "lacrm_id"], name="unique_summary_state_per_contact"
            ),
        ]

    def __str__(self) -> str:
        return f"summary state of LACRM {self.lacrm_id}"


class SummaryNote(models.Model):
    """A note LedgerLink posted to a LACRM contact."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    run = models.ForeignKey("sync.SyncRun", null=True, on_delete=models.SET_NULL)
    lacrm_id = models.CharField(max_length=64)
    qbo_id = models.CharField(max_length=64, blank=True)
    note_id = models.CharField(max_length=64)
    posted_at = models.DateTimeField()
    fingerprint = models.CharField(max_length=64, blank=True)
    text = models.TextField()

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-posted_at"]
        indexes = [models.Index(fields=["workspace", "lacrm_id", "-posted_at"])]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "note_id"], name="unique_summary_note"),
        ]

    def __str__(self) -> str:
        return f"note {self.note_id} on LACRM {self.lacrm_id}"


class SummarySettings(models.Model):
    """How a workspace wants its invoice summaries (a card on the settings page)."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="summary_settings"
    )
    skip_unchanged_summaries = models.BooleanField(
        default=True, help_text="Skip a summary identical to the last one posted."
    )

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "summary settings"

    def __str__(self) -> str:
        return f"Summary settings of {self.workspace}"

    @classmethod
    def for_workspace(cls, workspace) -> SummarySettings:
        obj, _ = cls.objects.get_or_create(workspace=workspace)
        return obj
