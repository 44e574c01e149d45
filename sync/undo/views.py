"""The undo preview (the reverse plan, read live, nothing written) and its confirmation."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.scoping import get_for_workspace, workspace_required
from integrations.errors import IntegrationError
from sync.models import SyncRun
from sync.undo import gather, service
from sync.undo.plan import UndoPlan

logger = logging.getLogger(__name__)

# Rows listed per category on the preview; the counts always cover everything.
LISTED = 200


def _categories(plan: UndoPlan) -> list[dict]:
    rows = [
        ("delete-lacrm", "Will delete in Less Annoying CRM", plan.will_delete_lacrm, ""),
        (
            "deactivate-qbo",
            "Will make inactive in QuickBooks",
            plan.will_deactivate_qbo,
            "QuickBooks cannot delete customers, so they are made inactive instead: they "
            "disappear from customer lists but keep their history.",
        ),
        ("unlink", "Will unlink", plan.will_unlink, "The ledger forgets these pairs."),
        ("delete-notes", "Will delete notes in Less Annoying CRM", plan.will_delete_notes, ""),
        ("restore", "Will restore previous values", plan.will_restore, ""),
        (
            "left-alone",
            "Edited since — left alone",
            plan.left_alone,
            "Changed after the run wrote them, so undo does not touch them.",
        ),
        ("already", "Already undone", plan.already_undone, ""),
    ]
    return [
        {
            "key": key,
            "title": title,
            "help": help_text,
            "count": len(steps),
            "steps": steps[:LISTED],
            "more": max(0, len(steps) - LISTED),
        }
        for key, title, steps, help_text in rows
    ]


@workspace_required
def preview(request: HttpRequest, run_id) -> HttpResponse:
    run = get_for_workspace(request, SyncRun, pk=run_id)
    state = service.state_of(run)
    context = {"current": run, "state": state, "problems": service.blockers(run)}
    if state.can_undo:
        try:
            plan = gather.plan_undo(run)
        except IntegrationError as exc:
            context["error"] = str(exc)
        else:
            context.update(plan=plan, counts=plan.counts(), categories=_categories(plan))
    return render(request, "undo/preview.html", context)


@workspace_required
@require_POST
def start(request: HttpRequest, run_id) -> HttpResponse:
    run = get_for_workspace(request, SyncRun, pk=run_id)
    if request.POST.get("confirm") != "yes":
        messages.warning(request, "Not undone: tick the box to confirm first.")
        return redirect("sync:undo_preview", run_id=run.id)
    try:
        undo_run = service.start_undo(run, user=request.user)
    except service.UndoRefused as exc:
        messages.warning(request, f"Not undone: {exc}.")
        return redirect("sync:run_detail", run_id=run.id)
    messages.success(request, "Undo started.")
    return redirect("sync:run_detail", run_id=undo_run.id)
