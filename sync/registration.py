"""The run kinds and log outcomes of the sync app itself (called from ``SyncConfig.ready``)."""

from __future__ import annotations

from sync import kinds, outcomes
from sync.models import SyncLogEntry, SyncRun

Outcome = SyncLogEntry.Outcome


def _contacts():
    from sync.contacts.handler import ContactSyncHandler

    return ContactSyncHandler()


def _field_updates():
    from sync.fields.handler import FieldUpdateHandler

    return FieldUpdateHandler()


def _field_updates_unavailable(workspace) -> str:
    from sync.models import SyncSettings

    # Read without creating the settings row (the dashboard asks on every view).
    on = SyncSettings.objects.filter(workspace=workspace).values_list("update_fields", flat=True)
    if on.first():
        return ""
    return "keeping linked records in step is off in Settings"


def register() -> None:
    kinds.register(
        kinds.RunKind(
            name=SyncRun.Kind.CONTACTS.value,
            label=SyncRun.Kind.CONTACTS.label,
            handler=_contacts,
            progress_noun="contacts to create",
            button_id="sync-contacts",
            counters=(
                kinds.Counter("created_in_lacrm", "created in LACRM", "count-created-lacrm"),
                kinds.Counter("created_in_qbo", "created in QuickBooks", "count-created-qbo"),
                kinds.Counter("matched", "matched", "count-matched"),
                kinds.Counter("already_matched", "already matched", "count-already"),
                kinds.Counter("needs_review", "need review", "count-review"),
            ),
            result=lambda run: str(run.created_in_lacrm + run.created_in_qbo),
            primary=True,
            order=10,
        )
    )
    kinds.register(
        kinds.RunKind(
            name=SyncRun.Kind.FIELD_UPDATES.value,
            label=SyncRun.Kind.FIELD_UPDATES.label,
            handler=_field_updates,
            progress_noun="linked pairs to update",
            button_id="update-linked",
            counters=(kinds.Counter("updated", "records updated", "count-updated"),),
            unavailable=_field_updates_unavailable,
            result=lambda run: f"{run.updated} updated",
            order=30,
        )
    )
    # Each outcome's filter group and the counters its entries move (sync.contact_plan,
    # sync.contacts, sync.fields); linked and unlinked by hand belong to no run.
    groups = {
        Outcome.CREATED: (outcomes.SUCCEEDED, ("created_in_lacrm", "created_in_qbo")),
        Outcome.MATCHED: (outcomes.SUCCEEDED, ("matched",)),
        Outcome.UPDATED: (outcomes.SUCCEEDED, ("updated",)),
        Outcome.LINKED: (outcomes.SUCCEEDED, ()),
        Outcome.UNLINKED: (outcomes.SUCCEEDED, ()),
        Outcome.ALREADY_MATCHED: (outcomes.ALREADY_MATCHED, ("already_matched",)),
        Outcome.NEEDS_REVIEW: (outcomes.NEEDS_REVIEW, ("needs_review",)),
        Outcome.SKIPPED: (outcomes.SKIPPED, ("skipped",)),
        Outcome.UNCHANGED: (outcomes.SKIPPED, ("skipped",)),
        Outcome.FAILED: (outcomes.FAILED, ("failed",)),
    }
    outcomes.register(*(outcomes.Outcome(o.value, o.label, g, c) for o, (g, c) in groups.items()))
    # A run that applies a stored preview (sync.preview) leaves these records alone.
    outcomes.register(
        outcomes.Outcome(
            "preview_changed",
            "Changed since preview",
            outcomes.SKIPPED,
            ("skipped",),
            help=(
                "The run applied a stored preview, and this record was edited, created or "
                "deleted since, or its decision would now differ: it was not acted on. The next "
                "Sync New Contacts (or a new preview) decides it afresh."
            ),
        ),
        outcomes.Outcome(
            "preview_excluded",
            "Excluded from the plan",
            outcomes.SKIPPED,
            ("skipped",),
            help="You unticked this record on the preview before applying it: not acted on.",
        ),
    )
