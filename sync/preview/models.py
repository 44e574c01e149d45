"""A stored preview of Sync New Contacts: its plan, item by item, kept until it expires."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.scoping import WorkspaceManager

# How long a plan may be applied after it was made.
PREVIEW_LIFETIME = timedelta(hours=24)
# How long an expired preview's list is kept for reading (then only its counts are).
KEEP_EXPIRED = timedelta(days=7)


class Category(models.TextChoices):
    """What Sync New Contacts would do with a record."""

    LINK = "link", "Will link"
    CREATE_IN_QBO = "create_in_qbo", "Will create in QuickBooks"
    CREATE_IN_LACRM = "create_in_lacrm", "Will create in LACRM"
    REVIEW = "review", "Held for review"
    SKIPPED = "skipped", "Skipped"
    ALREADY_LINKED = "already_linked", "Already linked"


# The categories an apply run acts on; the user may exclude their items.
ACTIONABLE = (Category.LINK, Category.CREATE_IN_QBO, Category.CREATE_IN_LACRM)


class ContactPreview(models.Model):
    """One press of Preview Sync New Contacts: pulled, planned and stored by a worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Planning"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # What the job is doing now, as the progress line says it.
    stage = models.CharField(max_length=120, blank=True)
    failure_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Items per category (``Category`` values), and the records pulled from each side.
    counts = models.JSONField(default=dict, blank=True)
    qbo_pulled = models.PositiveIntegerField(default=0)
    lacrm_pulled = models.PositiveIntegerField(default=0)
    # Seconds spent planning and storing (after the pull), for the page and the bench.
    plan_seconds = models.FloatField(default=0)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"Preview {self.status} ({self.id})"

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_stale(self) -> bool:
        """A job whose worker died: no sign of life for a while (it is not resumed)."""
        if not self.is_working:
            return False
        last = self.heartbeat_at or self.created_at
        limit = timedelta(seconds=max(120, 4 * settings.SYNC_STALE_AFTER_SECONDS))
        return last < timezone.now() - limit

    @property
    def list_removed(self) -> bool:
        return self.expires_at is not None and self.expires_at < timezone.now() - KEEP_EXPIRED

    def count(self, category: str) -> int:
        return int(self.counts.get(category, 0))


class PreviewItem(models.Model):
    """One record's decision in a preview, with what a new record would get."""

    preview = models.ForeignKey(ContactPreview, on_delete=models.CASCADE, related_name="items")
    # Work order within the preview; pages are keyset pages over it.
    seq = models.PositiveIntegerField()
    category = models.CharField(max_length=20, choices=Category.choices)
    system = models.CharField(max_length=10)
    record_id = models.CharField(max_length=64)
    record_name = models.CharField(max_length=500, blank=True)
    record_email = models.CharField(max_length=254, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=500, blank=True)
    reason = models.TextField(blank=True)
    # For creates: the new record's fields ([[name, value], …] in reading order) and notes.
    fields = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    # The decision and the records it was made on; an apply acts only where it is unchanged.
    fingerprint = models.CharField(max_length=64)
    excluded = models.BooleanField(default=False)

    objects = WorkspaceManager("preview__workspace")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["preview", "seq"], name="unique_preview_item_seq"),
            models.UniqueConstraint(
                fields=["preview", "system", "record_id"], name="unique_preview_item_record"
            ),
        ]
        indexes = [models.Index(fields=["preview", "category", "seq"])]

    def __str__(self) -> str:
        return f"{self.category} {self.system}:{self.record_id}"

    @property
    def key(self) -> str:
        return f"{self.system}:{self.record_id}"


class PreviewApplication(models.Model):
    """A Sync New Contacts run that applies a stored preview (and nothing else)."""

    run = models.OneToOneField(
        "sync.SyncRun", primary_key=True, on_delete=models.CASCADE, related_name="applied_preview"
    )
    preview = models.ForeignKey(
        ContactPreview, on_delete=models.CASCADE, related_name="applications"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager("run__workspace")

    def __str__(self) -> str:
        return f"Run {self.run_id} applies preview {self.preview_id}"
