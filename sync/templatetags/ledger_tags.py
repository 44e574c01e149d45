"""Template tags for pages every template shares: the review count and the next scheduled sync."""

from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def open_review_count(context) -> int:
    """Cases waiting in the review queue of the request's workspace (0 without one)."""
    from sync.ledger.review import open_case_count as count

    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    return count(workspace) if workspace is not None else 0


@register.simple_tag(takes_context=True)
def next_scheduled_sync(context) -> datetime | None:
    """When the workspace's next automatic sync is due, or None when the schedule is off."""
    from sync.models import SyncSettings
    from sync.schedule import next_scheduled_at

    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        return None
    sync_settings = SyncSettings.objects.for_workspace(workspace).first()
    return next_scheduled_at(sync_settings) if sync_settings is not None else None
