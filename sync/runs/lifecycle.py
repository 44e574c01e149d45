"""Starting and stopping runs, and the one answer to "can a run start now?"."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone

from integrations import registry
from sync import kinds
from sync.models import ACTIVE_STATUSES, SyncRun
from sync.runs import dispatch

logger = logging.getLogger(__name__)

# Sent when a run reaches an end state (once: only the call that ends it sends). Arguments:
# run_id, workspace_id, status. Receivers doing work outside the database (mail) defer it
# with ``transaction.on_commit`` and must never raise into the run.
run_finished = Signal()


def active_run(workspace) -> SyncRun | None:
    return SyncRun.objects.for_workspace(workspace).filter(status__in=ACTIVE_STATUSES).first()


def connection_problems(workspace) -> list[str]:
    """What keeps the workspace's connections from being used now ([] when nothing does)."""
    status = registry.connection_status(workspace)
    problems = []
    for provider in registry.providers():
        info = status[provider.key]
        if info.get("needs_reconnect"):
            problems.append(f"{provider.name} needs reconnecting")
        elif not info.get("connected"):
            problems.append(f"{provider.name} is not connected")
    return problems


def start_blockers(workspace, active: SyncRun | None = None, kind: str = "") -> list[str]:
    """Why no run (of ``kind``, when given) can start for the workspace now ([] when one can):
    the dashboard buttons, the start view and the preview pages all ask this."""
    problems = connection_problems(workspace)
    reason = kinds.get(kind).unavailable(workspace) if kind else ""
    if reason:
        problems.append(reason)
    active = active if active is not None else active_run(workspace)
    if active is not None:
        problems.append(f"{active.kind_label} is in progress")
    return problems


def start_run(
    workspace,
    kind: str,
    *,
    user=None,
    trigger: str = SyncRun.Trigger.USER,
    retry_of: SyncRun | None = None,
    delay: float = 0,
) -> tuple[SyncRun, bool]:
    """Queue a run unless one is active (the database constraint decides races).

    Returns ``(run, created)``; when a run is already active it is returned with ``False``.
    ``retry_of``: the finished run whose failed items this one retries (``sync.retry``).
    ``delay``: seconds before it plans (a changes run gathering what else arrives meanwhile);
    its heartbeat is set to when it is due, so stale-run recovery does not plan it early.
    """
    kinds.get(kind)  # An unknown kind is a programming error, raised before anything is written.
    due = timezone.now() + timedelta(seconds=delay) if delay > 0 else None
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                workspace=workspace,
                kind=kind,
                started_by=user,
                trigger=trigger,
                retry_of=retry_of,
                heartbeat_at=due,
            )
    except IntegrityError:
        existing = active_run(workspace)
        if existing is None:  # It finished between our insert and this read; try once more.
            return start_run(
                workspace, kind, user=user, trigger=trigger, retry_of=retry_of, delay=delay
            )
        return existing, False
    dispatch.enqueue_plan(run, countdown=delay)
    logger.info("run %s (%s) queued for workspace %s", run.id, kind, workspace.id)
    return run, True


def request_stop(run: SyncRun) -> SyncRun:
    """Ask a run to stop; a queued run stops at once, a running one after its current contact."""
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.STOPPED, stop_requested=True, finished_at=now
    )
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.STOPPING, stop_requested=True
    )
    run.refresh_from_db()
    return run


def finish(run: SyncRun, status: str, reason: str = "") -> None:
    ended = SyncRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(
        status=status, finished_at=timezone.now(), failure_reason=reason[:2000]
    )
    logger.info("run %s finished: %s %s", run.id, status, reason)
    if ended:
        run_finished.send_robust(
            sender=SyncRun, run_id=run.pk, workspace_id=run.workspace_id, status=status
        )
