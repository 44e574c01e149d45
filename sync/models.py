"""Runs, their work items and logs, the contact ledger, and the workspace's sync settings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from accounts.scoping import WorkspaceManager
from sync import kinds, outcomes

ACTIVE_STATUSES = ("queued", "running", "stopping")


class SyncRun(models.Model):
    """One click of Sync New Contacts or Update Invoice Summaries, from queued to an end state."""

    class Kind(models.TextChoices):
        """The kinds the sync app registers (``sync.apps``); other apps register their own."""

        CONTACTS = "contacts", "Sync New Contacts"
        FIELD_UPDATES = "field_updates", "Update Linked Records"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        STOPPING = "stopping", "Stopping"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        USER = "user", "Started by a user"
        SCHEDULE = "schedule", "Scheduled"
        OPERATOR = "operator", "Started from the command line"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="runs"
    )
    # A registered run kind's name (``sync.kinds``), not a fixed choice list.
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.USER)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    stop_requested = models.BooleanField(default=False)
    failure_reason = models.TextField(blank=True)
    # Batches are numbered; a task carrying an old number is a duplicate delivery and is dropped.
    next_batch = models.PositiveIntegerField(default=0)
    planned = models.BooleanField(default=False)
    # "Retry failed items": this run retries exactly the failed items of that finished run.
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    # Counters feeding the progress bar; each moves together with its log entries.
    total = models.PositiveIntegerField(default=0, help_text="Contacts planned for creation/notes.")
    processed = models.PositiveIntegerField(default=0)
    created_in_lacrm = models.PositiveIntegerField(default=0)
    created_in_qbo = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    already_matched = models.PositiveIntegerField(default=0)
    needs_review = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    notes_added = models.PositiveIntegerField(default=0)
    throttled = models.PositiveIntegerField(default=0)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_run_per_workspace",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind_label} {self.status} ({self.id})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def kind_label(self) -> str:
        return kinds.label(self.kind)

    @property
    def kind_info(self):
        return kinds.get(self.kind)

    @property
    def kind_counters(self) -> list[tuple[object, int]]:
        """The kind's own counters with their values, for the progress panel."""
        return [(c, getattr(self, c.name)) for c in self.kind_info.counters]

    @property
    def result_text(self) -> str:
        """The run history's one-line result."""
        return self.kind_info.result(self)

    @property
    def progress_percent(self) -> int:
        if not self.planned:
            return 0
        if self.total == 0:
            return 100
        return min(100, round(100 * self.processed / self.total))


class SyncWorkItem(models.Model):
    """One thing a run has to act on (create a contact on the other side, update a pair…)."""

    class Action(models.TextChoices):
        """The sync app's actions; other run kinds name their own."""

        CREATE_IN_LACRM = "create_in_lacrm", "Create in Less Annoying CRM"
        CREATE_IN_QBO = "create_in_qbo", "Create in QuickBooks"
        UPDATE_PAIR = "update_pair", "Update a linked pair's fields"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="items")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=20)
    source_id = models.CharField(max_length=64)
    # The neutral record (or summary input) as planned, so batches never re-pull a whole side.
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)

    # A run's work belongs to the run's workspace.
    objects = WorkspaceManager("run__workspace")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="unique_work_item_seq"),
        ]
        indexes = [models.Index(fields=["run", "state", "seq"])]

    def __str__(self) -> str:
        return f"{self.action} {self.source_id}"


class SyncLogEntry(models.Model):
    """One contact's outcome in one run: the runtime log the dashboard shows."""

    class Outcome(models.TextChoices):
        """The sync app's outcomes (registered with their filter groups in ``sync.apps``)."""

        CREATED = "created", "Created"
        MATCHED = "matched", "Matched"
        ALREADY_MATCHED = "already_matched", "Already matched"
        UPDATED = "updated", "Updated"
        SKIPPED = "skipped", "Skipped"
        NEEDS_REVIEW = "needs_review", "Needs review"
        FAILED = "failed", "Failed"
        LINKED = "linked", "Linked by hand"
        UNLINKED = "unlinked", "Unlinked"
        UNCHANGED = "unchanged", "Unchanged"

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    # No index of its own: the composite indexes below all start with it.
    run = models.ForeignKey(
        SyncRun,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="log_entries",
        db_index=False,
    )
    # A registered outcome (``sync.outcomes``): its label and filter group live there.
    outcome = models.CharField(max_length=20)
    system = models.CharField(max_length=10, blank=True, help_text="The record's own system.")
    record_id = models.CharField(max_length=64, blank=True)
    record_name = models.CharField(max_length=500, blank=True)
    record_email = models.CharField(max_length=254, blank=True)
    target_id = models.CharField(max_length=64, blank=True, help_text="Counterpart's id.")
    reason = models.TextField(blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # The run page pages by (at, id) in both directions, over all of a run's entries or
            # one outcome at a time (sync.logpage).
            models.Index(fields=["run", "at", "id"], name="sync_log_run_at_id"),
            models.Index(fields=["run", "outcome", "at", "id"], name="sync_log_run_outcome_at_id"),
            # Searching a run for a record's or its counterpart's id.
            models.Index(fields=["run", "record_id"], name="sync_log_run_record_id"),
            models.Index(fields=["run", "target_id"], name="sync_log_run_target_id"),
            # Name and email search is ``icontains``, which Django writes as
            # ``UPPER(column) LIKE UPPER('%q%')``: trigram indexes over the same expressions.
            GinIndex(OpClass(Upper("record_name"), name="gin_trgm_ops"), name="sync_log_name_trgm"),
            GinIndex(
                OpClass(Upper("record_email"), name="gin_trgm_ops"), name="sync_log_email_trgm"
            ),
            models.Index(fields=["workspace", "-at"]),
        ]
        verbose_name_plural = "sync log entries"

    def __str__(self) -> str:
        return f"{self.outcome} {self.system}:{self.record_id}"

    @property
    def outcome_label(self) -> str:
        return outcomes.label(self.outcome)

    @property
    def outcome_help(self) -> str:
        return outcomes.help_text(self.outcome)


class ContactLink(models.Model):
    """The ledger: one row per QBO customer and/or LACRM contact LedgerLink has decided about.

    Keyed by ids, never names, so links survive renames. A ``creating`` row is the outbox entry
    committed before a create call (``sync.outbox``): its ``idempotency_key`` makes a retry after a
    crash adopt the record instead of creating it twice.
    """

    class State(models.TextChoices):
        LINKED = "linked", "Linked"
        CREATING = "creating", "Creating"
        NEEDS_REVIEW = "needs_review", "Needs review"
        IGNORED = "ignored", "Ignored"

    class Method(models.TextChoices):
        EMAIL = "email", "Email"
        NAME = "name", "Name"
        EMAIL_NAME = "email+name", "Email and name"
        COMPANY = "company", "Company record"
        MANUAL = "manual", "Linked by hand"
        CREATED = "created", "Created by LedgerLink"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="contact_links"
    )
    qbo_id = models.CharField(max_length=64, null=True, blank=True)
    lacrm_id = models.CharField(max_length=64, null=True, blank=True)
    state = models.CharField(max_length=15, choices=State.choices)
    method = models.CharField(max_length=12, choices=Method.choices, blank=True)
    reason = models.TextField(blank=True)
    # For review rows: the other side's candidate ids; for creating rows: where it goes.
    candidates = models.JSONField(default=list, blank=True)
    target_system = models.CharField(max_length=10, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    # Set just before a create call is sent; a retry that finds it searches before creating.
    attempted_at = models.DateTimeField(null=True, blank=True)
    created_in_qbo = models.BooleanField(default=False)
    created_in_lacrm = models.BooleanField(default=False)
    # Display snapshots from the last pull, so the ledger pages need no API call.
    qbo_name = models.CharField(max_length=500, blank=True)
    qbo_email = models.CharField(max_length=254, blank=True)
    lacrm_name = models.CharField(max_length=500, blank=True)
    lacrm_email = models.CharField(max_length=254, blank=True)
    # The field values both sides agreed on after the last field update (design: "changes only").
    synced_fields = models.JSONField(default=dict, blank=True)
    # Set when a record of this pair vanished or went inactive on its side: flagged, never unlinked.
    flag = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    linked_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "qbo_id"],
                condition=Q(qbo_id__isnull=False),
                name="unique_ledger_qbo_id",
            ),
            models.UniqueConstraint(
                fields=["workspace", "lacrm_id"],
                condition=Q(lacrm_id__isnull=False),
                name="unique_ledger_lacrm_id",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "state"])]

    def __str__(self) -> str:
        return f"{self.state}: qbo {self.qbo_id} / lacrm {self.lacrm_id}"


class RejectedPair(models.Model):
    """A pair the user marked "not a match": never proposed again."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE)
    qbo_id = models.CharField(max_length=64)
    lacrm_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "qbo_id", "lacrm_id"], name="unique_rejected_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"not a match: qbo {self.qbo_id} / lacrm {self.lacrm_id}"


class SyncSettings(models.Model):
    """How a workspace wants its contacts synced."""

    class Direction(models.TextChoices):
        BOTH = "both", "Both ways"
        QBO_TO_LACRM = "qbo_to_lacrm", "QuickBooks → Less Annoying CRM only"
        LACRM_TO_QBO = "lacrm_to_qbo", "Less Annoying CRM → QuickBooks only"

    class SubCustomers(models.TextChoices):
        SKIP = "skip", "Skip sub-customers (their invoices roll up to the parent)"
        OWN = "own", "Sync sub-customers as their own contacts"

    class NoEmail(models.TextChoices):
        MATCH_BY_NAME = "match_by_name", "Match by name"
        HOLD_FOR_REVIEW = "hold_for_review", "Hold for review"

    class SystemOfRecord(models.TextChoices):
        LACRM = "lacrm", "Less Annoying CRM"
        QBO = "qbo", "QuickBooks"

    class Schedule(models.TextChoices):
        """ "Keep in step": by hand, full syncs on a schedule, or continuously (webhooks with a
        CDC safety net and LACRM edit polling, ``sync.continuous``)."""

        OFF = "off", "Manual (only when you click)"
        HOURLY = "hourly", "Every hour (a full sync)"
        DAILY = "daily", "Every day (a full sync)"
        CONTINUOUS = "continuous", "Continuous (changes as they happen)"

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="sync_settings"
    )
    direction = models.CharField(max_length=15, choices=Direction.choices, default=Direction.BOTH)
    include_inactive = models.BooleanField(
        default=False, help_text="Also sync QuickBooks customers marked inactive."
    )
    sub_customers = models.CharField(
        max_length=5, choices=SubCustomers.choices, default=SubCustomers.SKIP
    )
    no_email = models.CharField(
        max_length=16, choices=NoEmail.choices, default=NoEmail.MATCH_BY_NAME
    )
    update_fields = models.BooleanField(
        default=False, help_text="Keep address, phone and website of linked records in step."
    )
    update_email = models.BooleanField(default=False)
    system_of_record = models.CharField(
        max_length=5, choices=SystemOfRecord.choices, default=SystemOfRecord.LACRM
    )
    schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.OFF)
    last_scheduled_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = "sync settings"

    def __str__(self) -> str:
        return f"Sync settings of {self.workspace}"

    @classmethod
    def for_workspace(cls, workspace) -> SyncSettings:
        obj, _ = cls.objects.get_or_create(workspace=workspace)
        return obj
