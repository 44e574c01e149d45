"""The dashboard's banners: the same things the emails say, while they are still true."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.models import ConnectionStatus, QuickBooksConnection
from notifications.notices import EXPIRY_WARNING_DAYS
from sync.models import ACTIVE_STATUSES, SyncRun


@dataclass(frozen=True)
class Banner:
    key: str
    level: str  # "warn" or "error"
    text: str
    link: str = ""
    link_text: str = ""


def banners(workspace, now=None) -> list[Banner]:
    """Reconnect needed, QuickBooks' hard expiry within 30 days, the last run failed."""
    if workspace is None:
        return []
    now = now or timezone.now()
    found: list[Banner] = []
    connections = reverse("integrations:index")
    for key, status in registry.connection_status(workspace).items():
        if status.get("needs_reconnect"):
            name = registry.name(key)
            found.append(
                Banner(
                    f"reconnect-{key}",
                    "error",
                    f"{name} needs reconnecting: {status.get('reason') or 'access was refused'}",
                    connections,
                    f"Reconnect {name}",
                )
            )
    qbo = (
        QuickBooksConnection.objects.for_workspace(workspace)
        .filter(status=ConnectionStatus.CONNECTED, refresh_hard_expires_at__isnull=False)
        .first()
    )
    horizon = now + timedelta(days=max(EXPIRY_WARNING_DAYS))
    if qbo is not None and qbo.refresh_hard_expires_at <= horizon:
        days = max(0, (qbo.refresh_hard_expires_at - now).days)
        found.append(
            Banner(
                "hard-expiry",
                "warn",
                f"QuickBooks' authorization for {qbo.company_name or qbo.realm_id} ends on "
                f"{qbo.refresh_hard_expires_at:%Y-%m-%d} ({days} day{'s' if days != 1 else ''} "
                "left). Reconnect QuickBooks before then to keep syncing.",
                connections,
                "Reconnect QuickBooks",
            )
        )
    last = (
        SyncRun.objects.for_workspace(workspace)
        .exclude(status__in=ACTIVE_STATUSES)
        .order_by("-created_at")
        .first()
    )
    if last is not None and last.status == SyncRun.Status.FAILED:
        found.append(
            Banner(
                "last-run-failed",
                "error",
                f"The last {last.kind_label} run failed: "
                f"{last.failure_reason or 'no reason given'}",
                reverse("sync:run_detail", kwargs={"run_id": last.id}),
                "See the run",
            )
        )
    return found
