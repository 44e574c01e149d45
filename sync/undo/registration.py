"""The undo run kind and its log outcomes (called from ``UndoConfig.ready``).

An undo run has no counters of its own: it moves the run's existing counter columns under its
own labels (``COUNTERS``), so the run table needs no new columns.
"""

from __future__ import annotations

from sync import kinds, outcomes

KIND = "undo"

# outcome: (label, filter group, counter column, help text)
OUTCOMES = {
    "undo_deleted": (
        "Deleted",
        outcomes.SUCCEEDED,
        "created_in_lacrm",
        "A contact the run had created in Less Annoying CRM, untouched since, was deleted "
        "(with its notes) and its link removed.",
    ),
    "made_inactive": (
        "Made inactive",
        outcomes.SUCCEEDED,
        "created_in_qbo",
        "A customer the run had created in QuickBooks, untouched since, was made inactive "
        "(QuickBooks cannot delete customers) and its link removed.",
    ),
    "link_removed": (
        "Link removed",
        outcomes.SUCCEEDED,
        "matched",
        "A match the run had linked was unlinked; both records stay as they are.",
    ),
    "note_deleted": (
        "Note deleted",
        outcomes.SUCCEEDED,
        "notes_added",
        "An invoice summary note the run had posted, unedited since, was deleted.",
    ),
    "restored": (
        "Restored",
        outcomes.SUCCEEDED,
        "updated",
        "Fields the run had copied, still holding what it wrote, got their previous values back.",
    ),
    "edited_since": (
        "Edited since, left alone",
        outcomes.SKIPPED,
        "skipped",
        "Someone (or a later run) changed the record, note or link after the run wrote it, so "
        "undo left it as it is; the reason says what changed.",
    ),
    "already_undone": (
        "Already undone",
        outcomes.ALREADY_MATCHED,
        "already_matched",
        "Already as undo would leave it: deleted, inactive, unlinked or restored before.",
    ),
}

COUNTERS = (
    kinds.Counter("created_in_lacrm", "deleted in LACRM", "count-undo-deleted"),
    kinds.Counter("created_in_qbo", "made inactive in QuickBooks", "count-undo-inactive"),
    kinds.Counter("matched", "matches unlinked", "count-undo-unlinked"),
    kinds.Counter("notes_added", "notes deleted", "count-undo-notes"),
    kinds.Counter("updated", "records restored", "count-undo-restored"),
    kinds.Counter("skipped", "edited since, left alone", "count-undo-left-alone"),
)


def _handler():
    from sync.undo.handler import UndoHandler

    return UndoHandler()


def _result(run) -> str:
    done = run.created_in_lacrm + run.created_in_qbo + run.matched + run.notes_added + run.updated
    return f"{done} undone, {run.skipped} left alone"


def register() -> None:
    kinds.register(
        kinds.RunKind(
            name=KIND,
            label="Undo a run",
            handler=_handler,
            progress_noun="changes to undo",
            button_id="undo-run",
            counters=COUNTERS,
            result=_result,
            # Started from the run's own page (with its preview), never from the dashboard.
            unavailable=lambda workspace: "an undo starts from the page of the run to undo",
            on_dashboard=False,
            order=90,
        )
    )
    outcomes.register(
        *(
            outcomes.Outcome(value, label, group, (counter,), help)
            for value, (label, group, counter, help) in OUTCOMES.items()
        )
    )
