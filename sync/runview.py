"""A run as a person reads it: the whole sync across resumed runs, elapsed time and an ETA.

Stop and click the button again, and a new run continues where the stopped one left off: it
plans afresh, and what the stopped run finished is no longer in its plan. So a resumed sync is
no stored link but a sequence: the runs of one kind just before it that were stopped (a run of
another kind in between does not break it; a completed or failed run does). A retry
(``retry_of``) is never part of one. Its total is what the earlier runs finished, failures left
out (they are planned again), plus the latest run's own total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from sync import retry
from sync.models import SyncRun

# How far back a resumed sync is looked for: more stops than this in a row are not expected.
CHAIN_LIMIT = 50


@dataclass(frozen=True)
class SyncTotal:
    """The whole sync a resumed run belongs to: "51 of 51 done over 2 runs"."""

    runs: int
    done: int
    total: int


@dataclass
class RunStory:
    """What the progress panel says besides the counters."""

    total: SyncTotal | None = None
    elapsed: timedelta | None = None
    eta: timedelta | None = None
    notices: list[str] = field(default_factory=list)
    # "Retry failed items": offered for a finished run with failures of a kind that can.
    retry_offered: bool = False
    retry_blocked: str = ""


def earlier_stopped(run: SyncRun) -> list[SyncRun]:
    """The stopped runs of ``run``'s kind that ``run`` continues, newest first."""
    if run.retry_of_id:
        return []
    before = (
        SyncRun.objects.filter(workspace=run.workspace_id, kind=run.kind, retry_of=None)
        .filter(created_at__lt=run.created_at)
        .order_by("-created_at")[:CHAIN_LIMIT]
    )
    chain = []
    for earlier in before:
        if earlier.status != SyncRun.Status.STOPPED:
            break
        chain.append(earlier)
    return chain


def sync_total(run: SyncRun) -> SyncTotal | None:
    """The total over the resumed sync ``run`` ends, or None when it continues no run."""
    chain = [r for r in earlier_stopped(run) if r.planned]
    if not chain or not run.planned:
        return None
    finished_before = sum(max(r.processed - r.failed, 0) for r in chain)
    return SyncTotal(
        runs=len(chain) + 1,
        done=finished_before + run.processed,
        total=finished_before + run.total,
    )


def elapsed(run: SyncRun, now: datetime) -> timedelta | None:
    """How long the run has been (or was) working, from its start to its end or ``now``."""
    if run.started_at is None:
        return None
    end = run.finished_at if not run.is_active and run.finished_at else now
    return max(end - run.started_at, timedelta(0))


def eta(run: SyncRun, now: datetime) -> timedelta | None:
    """About how long the rest will take at the run's own rate so far (None until it can tell:
    not running, nothing processed yet, or nothing left)."""
    if run.status != SyncRun.Status.RUNNING or not run.planned or run.processed <= 0:
        return None
    left = run.total - run.processed
    spent = elapsed(run, now)
    if left <= 0 or not spent:
        return None
    return timedelta(seconds=spent.total_seconds() * left / run.processed)


def story(run: SyncRun, now: datetime | None = None) -> RunStory:
    now = now or timezone.now()
    finished = not run.is_active
    offered = finished and run.failed > 0 and run.kind_info.retry_failed
    return RunStory(
        total=sync_total(run),
        elapsed=elapsed(run, now),
        eta=eta(run, now),
        notices=run.kind_info.notices(run) if finished else [],
        retry_offered=offered,
        retry_blocked="; ".join(retry.retry_blockers(run)) if offered else "",
    )


def duration_text(value: timedelta | None) -> str:
    """A duration as people say it: "45 s", "3 min 20 s", "1 h 5 min"."""
    if value is None:
        return ""
    seconds = int(round(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"
