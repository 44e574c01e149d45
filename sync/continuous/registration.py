"""The ``changes`` run kind and the change sink (called from ``ContinuousConfig.ready``)."""

from __future__ import annotations

from integrations import changes
from integrations.connections import webhook_verified
from sync import kinds, outcomes
from sync.continuous.intake import KIND


def _handler():
    from sync.continuous.handler import ChangesHandler

    return ChangesHandler()


def _sink(workspace, system, items, source) -> None:
    from sync.continuous.intake import record_changes

    record_changes(workspace, system, list(items), source)


def _unavailable(workspace) -> str:
    from sync.continuous.intake import pending

    return "" if pending(workspace).exists() else "no changes are waiting"


def register() -> None:
    kinds.register(
        kinds.RunKind(
            name=KIND,
            label="Apply changes",
            handler=_handler,
            progress_noun="changes to apply",
            button_id="apply-changes",
            counters=(
                kinds.Counter("created_in_lacrm", "created in LACRM", "count-created-lacrm"),
                kinds.Counter("created_in_qbo", "created in QuickBooks", "count-created-qbo"),
                kinds.Counter("matched", "matched", "count-matched"),
                kinds.Counter("updated", "records updated", "count-updated"),
                kinds.Counter("needs_review", "need review", "count-review"),
            ),
            result=lambda run: (
                f"{run.created_in_lacrm + run.created_in_qbo} created, {run.updated} updated"
            ),
            unavailable=_unavailable,
            order=50,
        )
    )
    outcomes.register(
        outcomes.Outcome(
            "catch_up",
            "Catch-up",
            outcomes.SUCCEEDED,
            help=(
                "Continuous sync missed changes for longer than QuickBooks keeps them (30 days), "
                "so this full sync catches up instead."
            ),
        )
    )
    changes.register_sink(_sink)
    changes.register_mode(_is_continuous)
    webhook_verified.connect(_webhook_verified, dispatch_uid="continuous-webhook-verified")
    from sync.continuous import lacrm_poll

    lacrm_poll.register()


def _is_continuous(workspace) -> bool:
    from sync.models import SyncSettings

    return SyncSettings.for_workspace(workspace).schedule == SyncSettings.Schedule.CONTINUOUS


def _webhook_verified(sender, workspace, system, at, **kwargs) -> None:
    from sync.continuous.models import ContinuousState

    state = ContinuousState.for_workspace(workspace)
    field = {"qbo": "last_qbo_delivery_at"}.get(system)
    if field:
        ContinuousState.objects.filter(pk=state.pk).update(**{field: at})
