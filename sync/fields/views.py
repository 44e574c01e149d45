"""The Update Linked Records preview: what a run would change, read live, nothing written."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.scoping import workspace_required
from integrations.errors import IntegrationError, NotConnected, ReconnectNeeded
from integrations.records import LACRM, QBO, SYSTEM_NAMES
from sync import runs
from sync.fields import values as field_values
from sync.fields.apply import preview_updates
from sync.models import SyncRun, SyncSettings

logger = logging.getLogger(__name__)

# The page lists this many pairs; the counts above it cover all of them.
MAX_SHOWN = 300


def _rows(update) -> list[dict]:
    return [
        {
            "label": change.label,
            "target": SYSTEM_NAMES[change.target],
            "source": SYSTEM_NAMES[change.source],
            "old": field_values.display(change.field, change.old),
            "new": field_values.display(change.field, change.new),
        }
        for change in update.changes
    ]


@workspace_required
def preview(request: HttpRequest) -> HttpResponse:
    """Pull both sides and show, per linked pair, what an update run would change."""
    workspace = request.workspace
    sync_settings = SyncSettings.for_workspace(workspace)
    context: dict = {
        "system_of_record": sync_settings.get_system_of_record_display(),
        "update_email": sync_settings.update_email,
        "kind": SyncRun.Kind.FIELD_UPDATES,
        "problems": runs.connection_problems(workspace),
        "error": "",
        "result": None,
    }
    if not context["problems"]:
        try:
            result = preview_updates(workspace)
        except (NotConnected, ReconnectNeeded) as exc:
            context["problems"] = [str(exc)]
        except IntegrationError as exc:
            logger.info("preview of workspace %s could not read a side: %s", workspace.id, exc)
            context["error"] = str(exc)
        else:
            pairs = [
                {
                    "update": update,
                    "qbo_name": update.names.get(QBO, ""),
                    "lacrm_name": update.names.get(LACRM, ""),
                    "rows": _rows(update),
                }
                for update in result.with_changes[:MAX_SHOWN]
            ]
            context.update(
                result=result,
                pairs=pairs,
                hidden=max(0, len(result.with_changes) - MAX_SHOWN),
                held=result.held[:MAX_SHOWN],
            )
    active = runs.active_run(workspace)
    blocked = runs.start_blockers(workspace, active, kind=SyncRun.Kind.FIELD_UPDATES)
    context.update(active=active, can_start=not blocked, blocked_reason="; ".join(blocked))
    return render(request, "sync/field_preview.html", context)
