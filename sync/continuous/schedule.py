"""What "Keep in step: continuous" does on the beat (``tick``, every few minutes).

For each continuous workspace:
- a CDC catch-up (``cdc.catch_up``) every ``CATCH_UP_EVERY``, at once when a gap is suspected
  (a changes run failed, ``catch_up_requested``), and never past the read budget's 95 %;
- the registered pollers (``integrations.changes.register_poller``: LACRM edit polling) every
  ``POLL_EVERY``;
- and, for every workspace, changes left waiting (``intake.drain_pending``) get their run;
  applied changes are kept 30 days (the de-duplication window: Intuit retries for hours).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.scoping import scope, scopes_disabled
from integrations import changes
from sync.continuous import budget, cdc
from sync.continuous.intake import KIND, drain_pending
from sync.continuous.models import ChangeEvent, ContinuousState
from sync.models import SyncRun, SyncSettings

logger = logging.getLogger(__name__)

CATCH_UP_EVERY = timedelta(hours=6)
POLL_EVERY = timedelta(minutes=15)


def catch_up_due(state: ContinuousState, workspace, now: datetime) -> bool:
    if state.catch_up_requested or state.last_cdc_at is None:
        return True
    if now - state.last_cdc_at >= CATCH_UP_EVERY:
        return True
    # A changes run that failed may have lost its changes' effect: catch up at once.
    return (
        SyncRun.objects.for_workspace(workspace)
        .filter(kind=KIND, status=SyncRun.Status.FAILED, finished_at__gt=state.last_cdc_at)
        .exists()
    )


def tick(now: datetime | None = None) -> dict[str, str]:
    """One beat of continuous sync; returns what it did per workspace (for logs and tests)."""
    now = now or timezone.now()
    done: dict[str, str] = {}
    with scopes_disabled():
        continuous = list(
            SyncSettings.objects.filter(schedule=SyncSettings.Schedule.CONTINUOUS).select_related(
                "workspace"
            )
        )
    for sync_settings in continuous:
        workspace = sync_settings.workspace
        with scope(workspace=workspace.pk):
            done[str(workspace.pk)] = _tick_workspace(workspace, now)
    drain_pending()
    forget_applied(now)
    return done


KEEP_APPLIED = timedelta(days=30)


def forget_applied(now: datetime) -> int:
    """Drop applied changes older than ``KEEP_APPLIED`` (waiting ones are kept, however old)."""
    with scopes_disabled():
        deleted, _ = ChangeEvent.objects.filter(
            run__isnull=False, received_at__lt=now - KEEP_APPLIED
        ).delete()
    return deleted


def _tick_workspace(workspace, now: datetime) -> str:
    state = ContinuousState.for_workspace(workspace)
    said = []
    if catch_up_due(state, workspace, now):
        waits = budget.scheduled_allowed(budget.CATCH_UP)
        if waits:
            logger.warning("catch-up of workspace %s waits: %s", workspace.pk, waits)
            said.append(waits)
        else:
            said.append(cdc.catch_up(workspace))
    if state.last_poll_at is None or now - state.last_poll_at >= POLL_EVERY:
        for system, poll in changes.pollers().items():
            try:
                poll(workspace)
            except Exception:  # noqa: BLE001 - one system's poll must not stop the others
                logger.exception("polling %s for workspace %s failed", system, workspace.pk)
            said.append(f"polled {system}")
        ContinuousState.objects.filter(pk=state.pk).update(last_poll_at=now)
    return "; ".join(said)
