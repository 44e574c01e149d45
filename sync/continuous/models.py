"""Changes waiting to be applied, and each workspace's continuous-sync state."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.scoping import WorkspaceManager


class ChangeEvent(models.Model):
    """One announced change of one record; a ``changes`` run claims it when it plans."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    # What the id is an id of (``integrations.changes``: "qbo", "lacrm", "qbo_invoice").
    system = models.CharField(max_length=16)
    record_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)
    survivor_id = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    # Where it came from ("qbo_webhook", "qbo_cdc", "lacrm_webhook", "lacrm_poll"…).
    source = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200, null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    run = models.ForeignKey(
        "sync.SyncRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "event_id"],
                condition=Q(event_id__isnull=False),
                name="unique_change_event_per_source",
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "received_at"],
                condition=Q(run__isnull=True),
                name="change_event_unclaimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system} {self.record_id} {self.kind} ({self.source})"


class ContinuousState(models.Model):
    """A workspace's CDC cursor and what the dashboard says about its event feeds."""

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="continuous_state"
    )
    # QuickBooks' response ``time`` of the last CDC call: the next call's ``changedSince``.
    cdc_cursor = models.DateTimeField(null=True, blank=True)
    last_cdc_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    last_event_source = models.CharField(max_length=20, blank=True)
    # The last webhook delivery from QuickBooks whose signature checked out.
    last_qbo_delivery_at = models.DateTimeField(null=True, blank=True)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    # Set when a gap is suspected (a run failed, a delivery was lost): CDC runs at the next beat.
    catch_up_requested = models.BooleanField(default=False)

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"Continuous sync state of {self.workspace}"

    @classmethod
    def for_workspace(cls, workspace) -> ContinuousState:
        obj, _ = cls.objects.get_or_create(workspace=workspace)
        return obj


class SummaryRefresh(models.Model):
    """A QuickBooks customer whose invoices changed: its summary is due at the next summaries
    run (which still posts at most one note per contact per 24 h)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    qbo_id = models.CharField(max_length=64)
    marked_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "qbo_id"], name="unique_summary_refresh"),
        ]

    def __str__(self) -> str:
        return f"refresh summary of customer {self.qbo_id}"
