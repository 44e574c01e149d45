"""The preview pages: start a preview, watch it plan, read and trim the plan, apply it."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.scoping import get_for_workspace, workspace_required
from sync import runs
from sync.preview import pages
from sync.preview.apply import CannotApply, apply_blockers, start_apply
from sync.preview.models import ACTIONABLE, Category, ContactPreview, PreviewItem
from sync.preview.tasks import enqueue_build

logger = logging.getLogger(__name__)


def _preview(request: HttpRequest, preview_id) -> ContactPreview:
    return get_for_workspace(request, ContactPreview, pk=preview_id)


@workspace_required
def home(request: HttpRequest) -> HttpResponse:
    """The latest preview, or the empty state with the button that starts one."""
    latest = ContactPreview.objects.for_workspace(request.workspace).first()
    if latest is not None:
        return redirect("sync:preview:detail", preview_id=latest.id)
    problems = runs.connection_problems(request.workspace)
    return render(request, "sync/preview/empty.html", {"problems": problems})


@workspace_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    problems = runs.connection_problems(workspace)
    if problems:
        messages.warning(request, f"No preview started: {'; '.join(problems)}.")
        return redirect("dashboard")
    working = [
        p
        for p in ContactPreview.objects.for_workspace(workspace).filter(
            status__in=(ContactPreview.Status.QUEUED, ContactPreview.Status.RUNNING)
        )
        if not p.is_stale
    ]
    if working:
        messages.info(request, "A preview is being made already.")
        return redirect("sync:preview:detail", preview_id=working[0].id)
    with transaction.atomic():
        preview = ContactPreview.objects.create(
            workspace=workspace, created_by=request.user, stage="Waiting for a worker…"
        )
        enqueue_build(preview)
    return redirect("sync:preview:detail", preview_id=preview.id)


def _apply_question(preview: ContactPreview, included: dict[str, int]) -> str:
    parts = []
    if included[Category.CREATE_IN_QBO]:
        parts.append(f"create {included[Category.CREATE_IN_QBO]:,} in QuickBooks")
    if included[Category.CREATE_IN_LACRM]:
        parts.append(f"{included[Category.CREATE_IN_LACRM]:,} in LACRM")
    if included[Category.LINK]:
        parts.append(f"link {included[Category.LINK]:,}")
    if not parts:
        return "Nothing is left to create or link; apply anyway (review rows are still kept)?"
    text = ", ".join(parts)
    return f"{text[:1].upper()}{text[1:]} — apply?"


def _included(preview: ContactPreview) -> dict[str, int]:
    excluded = dict.fromkeys(ACTIONABLE, 0)
    for category in (
        PreviewItem.objects.filter(preview=preview, excluded=True)
        .values_list("category", flat=True)
        .iterator()
    ):
        excluded[category] = excluded.get(category, 0) + 1
    return {c: preview.count(c) - excluded.get(c, 0) for c in ACTIONABLE}


@workspace_required
def detail(request: HttpRequest, preview_id) -> HttpResponse:
    preview = _preview(request, preview_id)
    context: dict = {"preview": preview}
    if preview.status == ContactPreview.Status.READY:
        item_filter = pages.ItemFilter.from_params(request.GET)
        included = _included(preview)
        params = item_filter.params()
        context.update(
            page=pages.item_page(preview, item_filter, request.GET),
            item_filter=item_filter,
            total=sum(preview.counts.values()),
            # (value, label, items, items still ticked — None where nothing can be unticked)
            categories=[
                (value, label, preview.count(value), included.get(value))
                for value, label in Category.choices
            ],
            included=included,
            excluded_total=sum(preview.count(c) for c in ACTIONABLE) - sum(included.values()),
            actionable=ACTIONABLE,
            apply_question=_apply_question(preview, included),
            apply_problems=apply_blockers(preview),
            applications=list(preview.applications.select_related("run").order_by("-created_at")),
            csv_url=reverse("sync:preview:csv", kwargs={"preview_id": preview.id})
            + ("?" + urlencode(params) if params else ""),
            return_query=request.GET.urlencode(),
        )
    return render(request, "sync/preview/detail.html", context)


@workspace_required
def panel(request: HttpRequest, preview_id) -> HttpResponse:
    """The progress panel, polled by htmx while the preview is being made."""
    preview = _preview(request, preview_id)
    response = render(request, "sync/preview/_progress.html", {"preview": preview})
    if not preview.is_working and request.htmx:
        response["HX-Refresh"] = "true"
    return response


def _editable(request: HttpRequest, preview: ContactPreview) -> bool:
    if preview.status != ContactPreview.Status.READY or preview.is_expired:
        messages.warning(request, "This preview can no longer be changed; make a new one.")
        return False
    return True


def _back(request: HttpRequest, preview: ContactPreview) -> HttpResponse:
    url = reverse("sync:preview:detail", kwargs={"preview_id": preview.id})
    query = request.POST.get("return_query", "")
    return redirect(f"{url}?{query}" if query and "\n" not in query else url)


@workspace_required
@require_POST
def save_ticks(request: HttpRequest, preview_id) -> HttpResponse:
    """Rows shown on the page: the ticked ones are in the plan, the unticked ones excluded."""
    preview = _preview(request, preview_id)
    if not _editable(request, preview):
        return _back(request, preview)
    shown = {int(v) for v in request.POST.getlist("shown") if v.isdigit()}
    kept = {int(v) for v in request.POST.getlist("keep") if v.isdigit()} & shown
    items = PreviewItem.objects.filter(preview=preview, category__in=ACTIONABLE)
    now_excluded = items.filter(pk__in=shown - kept, excluded=False).update(excluded=True)
    now_included = items.filter(pk__in=kept, excluded=True).update(excluded=False)
    messages.success(
        request, f"Saved: {now_excluded} excluded, {now_included} put back in the plan."
    )
    return _back(request, preview)


@workspace_required
@require_POST
def category(request: HttpRequest, preview_id) -> HttpResponse:
    """Exclude (or put back) a whole category."""
    preview = _preview(request, preview_id)
    if not _editable(request, preview):
        return _back(request, preview)
    which = request.POST.get("category", "")
    if which not in ACTIONABLE:
        messages.warning(request, "Only links and creates can be excluded.")
        return _back(request, preview)
    exclude = request.POST.get("action") == "exclude"
    changed = PreviewItem.objects.filter(preview=preview, category=which).update(excluded=exclude)
    label = dict(Category.choices)[which]
    verb = "excluded" if exclude else "put back in the plan"
    messages.success(request, f"{label}: {changed:,} {verb}.")
    return _back(request, preview)


@workspace_required
@require_POST
def apply(request: HttpRequest, preview_id) -> HttpResponse:
    preview = _preview(request, preview_id)
    try:
        run = start_apply(preview, user=request.user)
    except CannotApply as exc:
        messages.warning(request, f"Not applied: {exc}.")
        return redirect("sync:preview:detail", preview_id=preview.id)
    messages.success(request, "Applying the previewed plan.")
    return redirect("sync:run_detail", run_id=run.id)


@workspace_required
def csv_export(request: HttpRequest, preview_id) -> StreamingHttpResponse:
    preview = _preview(request, preview_id)
    lines = pages.csv_lines(preview, pages.ItemFilter.from_params(request.GET))
    response = StreamingHttpResponse(pages.in_blocks(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ledgerlink-preview-{preview.id}.csv"'
    return response
