"""The dashboard: connections, the two actions, live progress, run history and runtime logs."""

from __future__ import annotations

import csv
import itertools
import logging
from collections.abc import Iterator
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.scoping import get_for_workspace, workspace_required
from integrations import registry
from sync import kinds, logpage, outcomes, retry, runs, searchterms
from sync.models import SyncLogEntry, SyncRun

logger = logging.getLogger(__name__)


def _action_state(workspace, active: SyncRun | None) -> dict:
    """Whether each action button may be pressed now, and if not, why."""
    problems = runs.start_blockers(workspace, active)
    return {
        "connections": registry.connection_status(workspace),
        "can_start": not problems,
        "blocked_reason": "; ".join(problems),
    }


@workspace_required
def dashboard(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    active = runs.active_run(workspace)
    history = list(SyncRun.objects.for_workspace(workspace).select_related("started_by")[:10])
    current = active or (history[0] if history else None)
    recent_logs = (
        SyncLogEntry.objects.for_workspace(workspace).filter(run=current)[:15] if current else []
    )
    return render(
        request,
        "sync/dashboard.html",
        {
            **_action_state(workspace, active),
            "active": active,
            "current": current,
            "history": history,
            "recent_logs": recent_logs,
            "first_run": not history,
            "kinds": [(k, k.unavailable(workspace)) for k in kinds.all_kinds() if k.on_dashboard],
        },
    )


@workspace_required
@require_POST
def start(request: HttpRequest, kind: str) -> HttpResponse:
    if not kinds.is_known(kind):
        raise Http404("Unknown run kind.")
    problems = runs.start_blockers(request.workspace, kind=kind)
    if problems:
        messages.warning(request, f"Not started: {'; '.join(problems)}.")
        return redirect("dashboard")
    run, created = runs.start_run(request.workspace, kind, user=request.user)
    if created:
        messages.success(request, f"{run.kind_label} started.")
    else:
        messages.info(request, f"{run.kind_label} is already running.")
    return redirect("dashboard")


@workspace_required
@require_POST
def stop(request: HttpRequest, run_id) -> HttpResponse:
    run = get_for_workspace(request, SyncRun, pk=run_id)
    if run.is_active:
        run = runs.request_stop(run)
        messages.info(
            request,
            "Stopping after the contact in flight. Check the results, then click the button "
            "again to continue where it left off.",
        )
    if request.htmx:
        return render(request, "sync/_run_panel.html", {"current": run, "history_oob": True})
    return redirect("dashboard")


@workspace_required
@require_POST
def retry_failed(request: HttpRequest, run_id) -> HttpResponse:
    """Start a run that retries exactly the failed items of a finished run."""
    run = get_for_workspace(request, SyncRun, pk=run_id)
    problems = retry.retry_blockers(run)
    if problems:
        messages.warning(request, f"Not retried: {'; '.join(problems)}.")
        return redirect("sync:run_detail", run_id=run.id)
    new_run, created = retry.start_retry(run, user=request.user)
    if created:
        messages.success(
            request, f"Retrying the {run.failed} failed item{'s' if run.failed != 1 else ''}."
        )
    else:
        messages.info(request, f"{new_run.kind_label} is already running.")
    return redirect("dashboard")


@workspace_required
def run_panel(request: HttpRequest, run_id) -> HttpResponse:
    """The live progress panel, polled by htmx while a run is active."""
    run = get_for_workspace(request, SyncRun, pk=run_id)
    on_detail_page = request.GET.get("detail") == "1"
    response = render(
        request,
        "sync/_run_panel.html",
        # On the dashboard each poll also refreshes the run's status in the run history.
        {"current": run, "on_detail_page": on_detail_page, "history_oob": not on_detail_page},
    )
    if not run.is_active and request.htmx:
        # Refresh the whole dashboard once, so buttons and history catch up with the end state.
        response["HX-Refresh"] = "true"
    return response


def _run_logs(request: HttpRequest, run: SyncRun):
    return SyncLogEntry.objects.for_workspace(request.workspace).filter(run=run)


@workspace_required
def run_detail(request: HttpRequest, run_id) -> HttpResponse:
    run = get_for_workspace(request, SyncRun, pk=run_id)
    log_filter = logpage.LogFilter.from_params(request.GET)
    page = logpage.log_page(run, _run_logs(request, run), log_filter, request.GET)
    params = log_filter.params()
    return render(
        request,
        "sync/run_detail.html",
        {
            "current": run,
            "page": page,
            "filters": list(logpage.LOG_FILTERS.items()),
            "legend": outcomes.legend(),
            "outcome": log_filter.outcome,
            "query": log_filter.text,
            "search_notice": searchterms.search_notice(request.GET),
            "csv_url": reverse("sync:run_logs_csv", kwargs={"run_id": run.id})
            + (f"?{urlencode(params)}" if params else ""),
        },
    )


class _Echo:
    def write(self, value):
        return value


INCOMPLETE_EXPORT = (
    "EXPORT INCOMPLETE: an error stopped this export after {count} log entries; "
    "the entries after them are missing. Please download it again."
)


def complete_or_say_so(lines: Iterator[str], *, incomplete_line, what: str) -> Iterator[str]:
    """Pass ``lines`` through; if producing one fails, log it and end with a line saying so.

    A streamed response has sent its 200 and its first lines before a later line can fail, so
    the failure cannot become an error status any more; without this the download would just
    end early and look complete.
    """
    count = 0
    try:
        for line in lines:
            yield line
            count += 1
    except Exception:
        logger.exception(
            "%s stopped after %s lines; the download says it is incomplete", what, count
        )
        yield incomplete_line(count)


CSV_FIELDS = (
    "at",
    "outcome",
    "system",
    "record_id",
    "record_name",
    "record_email",
    "target_id",
    "reason",
    "error_code",
)
CSV_BOM = "\ufeff"
# Lines are sent in blocks of about this many characters: one write per line would cost more
# than writing the line.
CSV_BLOCK = 64 * 1024


@workspace_required
def run_logs_csv(request: HttpRequest, run_id) -> StreamingHttpResponse:
    run = get_for_workspace(request, SyncRun, pk=run_id)
    logs = logpage.LogFilter.from_params(request.GET).apply(_run_logs(request, run))
    writer = csv.writer(_Echo())
    header = ["time", "outcome", "system", "record id", "name", "email", "counterpart id"]
    header += ["reason", "error code"]
    # Plain tuples from a server-side cursor, 2,000 rows at a time: memory stays flat however
    # long the log is.
    entries = logs.order_by("at", "id").values_list(*CSV_FIELDS).iterator(chunk_size=2000)
    # Read the first chunk now: a query that fails at once is an ordinary error response
    # instead of a 200 that holds only the header.
    first = list(itertools.islice(entries, 1))

    def rows():
        # A byte-order mark first: Excel reads a CSV without one as ANSI and garbles accents.
        yield CSV_BOM + writer.writerow(header)
        for at, outcome, system, record_id, name, email, target_id, reason, code in itertools.chain(
            first, entries
        ):
            yield writer.writerow(
                [
                    at.isoformat(),
                    outcomes.label(outcome),
                    system,
                    record_id,
                    _csv_safe(name),
                    _csv_safe(email),
                    target_id,
                    _csv_safe(reason),
                    code,
                ]
            )

    lines = complete_or_say_so(
        rows(),
        # The header is the first line, so ``count - 1`` entries made it out.
        incomplete_line=lambda count: writer.writerow(
            [INCOMPLETE_EXPORT.format(count=max(count - 1, 0))]
        ),
        what=f"CSV export of run {run.id}",
    )
    response = StreamingHttpResponse(
        _in_blocks(lines, CSV_BLOCK), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="ledgerlink-run-{run.id}.csv"'
    return response


def _in_blocks(lines: Iterator[str], size: int) -> Iterator[str]:
    """Join ``lines`` into blocks of at least ``size`` characters (the last may be shorter)."""
    block: list[str] = []
    length = 0
    for line in lines:
        block.append(line)
        length += len(line)
        if length >= size:
            yield "".join(block)
            block, length = [], 0
    if block:
        yield "".join(block)


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in names that came from the other systems."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
