"""What the summaries app adds to the run engine and the settings page (called from ``ready``)."""

from __future__ import annotations

from summaries.kind import KIND, Outcome
from sync import kinds, outcomes, settings_sections


def _handler():
    from summaries.engine import SummaryHandler

    return SummaryHandler()


def _notices(run) -> list[str]:
    from summaries.throttle import throttle_notice

    notice = throttle_notice(run)
    return [notice] if notice else []


def _instance(workspace):
    from summaries.models import SummarySettings

    return SummarySettings.for_workspace(workspace)


def register() -> None:
    from summaries import undo
    from summaries.forms import SummarySettingsForm
    from sync.undo import sources

    sources.register(sources.NoteSource(kind=KIND, notes_of=undo.notes_of, forget=undo.forget))

    kinds.register(
        kinds.RunKind(
            name=KIND,
            label="Update Invoice Summaries",
            handler=_handler,
            progress_noun="contacts to update",
            button_id="update-summaries",
            counters=(
                kinds.Counter("notes_added", "notes added", "count-notes"),
                kinds.Counter("throttled", "updated in the last 24 h", "count-throttled"),
            ),
            result=lambda run: f"{run.notes_added} notes",
            notices=_notices,
            order=20,
        )
    )
    outcomes.register(
        outcomes.Outcome(
            Outcome.NOTE_ADDED,
            "Note added",
            outcomes.SUCCEEDED,
            ("notes_added",),
            "A note with the customer's open invoices was added to the LACRM contact.",
        ),
        outcomes.Outcome(
            Outcome.THROTTLED,
            "Throttled (24 h)",
            outcomes.SKIPPED,
            ("throttled",),
            "This contact got a summary note less than 24 hours ago (at most one a day); the "
            "reason says when the next one is possible.",
        ),
        outcomes.Outcome(
            Outcome.NO_OPEN_INVOICES,
            "No open invoices",
            outcomes.SKIPPED,
            ("skipped",),
            "The QuickBooks customer has no unpaid invoices, so no note was added.",
        ),
        outcomes.Outcome(
            Outcome.NOT_LINKED,
            "Not linked",
            outcomes.SKIPPED,
            ("skipped",),
            "The contact has no linked QuickBooks customer; run Sync New Contacts first.",
        ),
        # Its help text comes with the sync app's registration of the same outcome.
        outcomes.Outcome(Outcome.UNCHANGED, "Unchanged", outcomes.SKIPPED, ("skipped",)),
    )
    settings_sections.register(
        settings_sections.SettingsSection(
            key="summaries",
            title="Invoice summaries",
            form_class=SummarySettingsForm,
            instance=_instance,
        )
    )
