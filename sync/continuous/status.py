"""What the dashboard and the operator page say about continuous sync."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from integrations import changes, metering
from integrations.records import QBO
from sync.continuous import budget
from sync.continuous.intake import pending
from sync.continuous.models import ChangeEvent, ContinuousState, SummaryRefresh
from sync.models import ContactLink, SyncSettings

logger = logging.getLogger(__name__)


@dataclass
class Panel:
    mode: str
    mode_label: str
    continuous: bool
    usage: budget.Usage
    pending: int
    summaries_due: int
    last_event_at: datetime | None
    last_event_source: str
    last_qbo_delivery_at: datetime | None
    last_cdc_at: datetime | None
    last_poll_at: datetime | None
    full_pull_reads: int
    feeds: list[tuple[str, str]] = field(default_factory=list)
    # The changes window (``budget.changes_window``) in whole minutes, and why it is wider.
    window_minutes: int = 0
    window_widened: bool = False
    course_percent: int = 0


def panel(workspace) -> Panel:
    sync_settings = SyncSettings.objects.filter(workspace=workspace).first()
    mode = sync_settings.schedule if sync_settings else SyncSettings.Schedule.OFF
    state = ContinuousState.objects.for_workspace(workspace).first() or ContinuousState()
    customers = ContactLink.objects.for_workspace(workspace).filter(qbo_id__isnull=False).count()
    feeds = []
    for label, status in changes.statuses().items():
        try:
            text = status(workspace)
        except Exception:  # noqa: BLE001 - a status line must never break the dashboard
            logger.exception("status %s failed for workspace %s", label, workspace.pk)
            text = "unknown"
        if text:
            feeds.append((label, text))
    usage = budget.usage(workspace)
    window = budget.changes_window()
    base = max(0, settings.SYNC_CHANGES_WINDOW_SECONDS)
    return Panel(
        mode=mode,
        mode_label=SyncSettings.Schedule(mode).label,
        continuous=mode == SyncSettings.Schedule.CONTINUOUS,
        usage=usage,
        pending=pending(workspace).count(),
        summaries_due=SummaryRefresh.objects.for_workspace(workspace).count(),
        last_event_at=state.last_event_at,
        last_event_source=SOURCE_LABELS.get(state.last_event_source, state.last_event_source),
        last_qbo_delivery_at=state.last_qbo_delivery_at,
        last_cdc_at=state.last_cdc_at,
        last_poll_at=state.last_poll_at,
        full_pull_reads=budget.full_pull_reads(customers),
        feeds=feeds,
        window_minutes=-(-int(window) // 60),
        window_widened=window > base,
        course_percent=int(budget.projected_share(usage) * 100),
    )


SOURCE_LABELS = {
    "qbo_webhook": "QuickBooks webhook",
    "qbo_cdc": "QuickBooks catch-up",
    "lacrm_webhook": "LACRM webhook",
    "lacrm_poll": "LACRM edit check",
}


@dataclass
class Operator:
    usage: budget.Usage
    top: list[tuple[str, str, int]]
    pending: int
    unrouted_note: str = ""


def operator(limit: int = 50) -> Operator:
    """The whole install: called with scopes disabled by the operator view."""
    from accounts.models import Workspace

    reads = metering.accounts(QBO)
    names = dict(
        Workspace.objects.filter(
            pk__in=[k for k in reads if not k.startswith("realm:")]
        ).values_list("pk", "name")
    )
    top = [
        (key, str(names.get(_uuid(key), key)), count) for key, count in list(reads.items())[:limit]
    ]
    return Operator(
        usage=budget.usage(),
        top=top,
        pending=ChangeEvent.objects.filter(run__isnull=True).count(),
    )


def _uuid(key: str):
    import uuid

    try:
        return uuid.UUID(key)
    except ValueError:
        return key
