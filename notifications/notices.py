"""What each notification says and when it goes: run ends, broken connections, hard expiry."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace
from accounts.scoping import scope
from integrations import registry
from integrations.models import ConnectionStatus, QuickBooksConnection
from notifications import mailing
from notifications.models import SentNotice
from sync.models import SyncRun

logger = logging.getLogger(__name__)

# Warnings before QuickBooks' hard expiry, in days; each is sent once per authorization.
EXPIRY_WARNING_DAYS = (30, 7)


def run_finished(run_id) -> int:
    """Mail the end of a run (completed or failed) to the members who want it."""
    run = SyncRun.objects.select_related("workspace").filter(pk=run_id).first()
    if run is None or run.status not in (SyncRun.Status.COMPLETED, SyncRun.Status.FAILED):
        return 0
    failed = run.status == SyncRun.Status.FAILED
    context = {
        "run": run,
        "kind_label": run.kind_label,
        "failed": failed,
        "result": run.result_text,
        "reason": run.failure_reason,
        "trigger": run.get_trigger_display(),
        "run_url": mailing.absolute(reverse("sync:run_detail", kwargs={"run_id": run.id})),
    }
    return mailing.send(
        run.workspace,
        "run_failed" if failed else "run_completed",
        "notifications/email/run_finished",
        context,
    )


def connection_broken(workspace_id, system: str, reason: str) -> int:
    """Mail that a connection needs reconnecting (its provider rejected LedgerLink's access)."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    return mailing.send(
        workspace,
        "connection_problem",
        "notifications/email/connection_broken",
        {
            "system_name": registry.name(system),
            "reason": reason,
            "connections_url": mailing.absolute(reverse("integrations:index")),
        },
    )


def expiry_threshold(days_left: float) -> int | None:
    """The warning due with ``days_left`` until the hard expiry (the nearest), or ``None``."""
    due = [d for d in EXPIRY_WARNING_DAYS if days_left <= d]
    return min(due) if due else None


def _claim(workspace, key: str) -> bool:
    """Record that ``key`` is being sent; False when it was sent before."""
    try:
        with transaction.atomic():
            SentNotice.objects.create(workspace=workspace, key=key)
    except IntegrityError:
        return False
    return True


def warn_hard_expiry(now=None) -> int:
    """Send the due 30- and 7-day warnings before QuickBooks' hard expiry (each once).

    Runs across tenants (beat, daily); each workspace's mail is sent inside its own scope.
    """
    now = now or timezone.now()
    horizon = now + timedelta(days=max(EXPIRY_WARNING_DAYS))
    due = QuickBooksConnection.objects.filter(
        status=ConnectionStatus.CONNECTED,
        refresh_hard_expires_at__isnull=False,
        refresh_hard_expires_at__lte=horizon,
    ).select_related("workspace")
    sent = 0
    for conn in due:
        left = (conn.refresh_hard_expires_at - now).total_seconds() / 86400
        threshold = expiry_threshold(left)
        if threshold is None or left <= 0:
            continue
        key = f"qbo-hard-expiry-{threshold}:{conn.realm_id}:{conn.refresh_hard_expires_at:%Y-%m-%d}"
        with scope(workspace=conn.workspace_id):
            if not _claim(conn.workspace, key):
                continue
            delivered = mailing.send(
                conn.workspace,
                "expiry_warning",
                "notifications/email/hard_expiry",
                {
                    "company": conn.company_name or conn.realm_id,
                    "expires_at": conn.refresh_hard_expires_at,
                    "days_left": max(1, int(left)),
                    "connections_url": mailing.absolute(reverse("integrations:index")),
                },
            )
            if not delivered:
                # Nobody got it (mail down, or everyone opted out): try again tomorrow.
                SentNotice.objects.filter(workspace=conn.workspace, key=key).delete()
                continue
        sent += 1
    return sent
