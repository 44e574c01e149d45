"""Pages for the match ledger: matched records, a pair's details, the review queue, settings."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.roles import owner_required
from accounts.scoping import get_for_workspace, workspace_required
from integrations import changes
from integrations.errors import IntegrationError
from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord
from sync import searchterms, settings_sections
from sync.forms import SyncSettingsForm
from sync.ledger import actions as ledger_actions
from sync.ledger import queries as ledger
from sync.ledger import review as review_queue
from sync.ledger.queries import LedgerError
from sync.models import ContactLink, SyncLogEntry, SyncSettings
from sync.schedule import next_scheduled_at

logger = logging.getLogger(__name__)

PER_PAGE = 50
CASES_PER_PAGE = 20


def _params(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- Matched records -----------------------------------------------------------------------------


@workspace_required
def ledger_list(request: HttpRequest) -> HttpResponse:
    """Every ledger row (or the unmatched records of the latest sync), searchable and filtered."""
    workspace = request.workspace
    filter_key = request.GET.get("filter", "")
    if filter_key not in ledger.LEDGER_FILTERS:
        filter_key = ""
    query = searchterms.search_text(request.GET)
    unmatched_system = ledger.UNMATCHED_FILTERS.get(filter_key)
    source_run = None
    if unmatched_system:
        source_run, records = ledger.unmatched_records(workspace, unmatched_system, query)
        page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    else:
        rows = ledger.ledger_rows(workspace, filter_key, query)
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    ledger_total = ContactLink.objects.for_workspace(workspace).count()
    return render(
        request,
        "sync/ledger/list.html",
        {
            "page": page,
            "filters": list(ledger.LEDGER_FILTERS.items()),
            "filter_key": filter_key,
            "filter_label": ledger.LEDGER_FILTERS.get(filter_key, ""),
            "query": query,
            "search_notice": searchterms.search_notice(request.GET),
            "params": _params(request),
            "unmatched_system": unmatched_system,
            "source_run": source_run,
            "ledger_total": ledger_total,
            "flagged": ledger.flagged_count(workspace),
            "review_count": review_queue.open_case_count(workspace),
        },
    )


def _field_rows(qbo: ContactRecord | None, lacrm: ContactRecord | None) -> list[dict]:
    """The mapped fields of both records, one row per field, differences marked."""

    def values(record: ContactRecord | None) -> dict[str, str]:
        if record is None:
            return {}
        return {
            "Name": " ".join(
                p
                for p in (
                    record.salutation,
                    record.first_name,
                    record.middle_name,
                    record.last_name,
                    record.suffix,
                )
                if p
            ),
            "Company": record.company_name,
            "Display name": record.display_name,
            "Job title": record.job_title,
            "Emails": "\n".join(record.emails),
            "Phones": "\n".join(f"{p.number} ({p.kind})" for p in record.phones),
            "Websites": "\n".join(record.websites),
            "Addresses": "\n\n".join(
                "\n".join(
                    [*a.lines, " ".join(x for x in (a.city, a.state, a.postal_code) if x)]
                    + ([a.country] if a.country else [])
                )
                + f"\n({a.kind})"
                for a in record.addresses
                if not a.is_empty
            ),
            "Notes": record.notes,
            "Status": "Active" if record.active else "Inactive",
            "Parent customer": record.parent_id,
        }

    left, right = values(qbo), values(lacrm)
    rows = []
    for label in left or right:
        a, b = left.get(label, ""), right.get(label, "")
        if label in ("Display name", "Parent customer") and not (a or b):
            continue
        rows.append(
            {"label": label, "qbo": a, "lacrm": b, "differs": bool(left and right and a != b)}
        )
    return rows


@workspace_required
def pair_detail(request: HttpRequest, link_id) -> HttpResponse:
    """One ledger row with both records read live, side by side, and its history."""
    workspace = request.workspace
    link = get_for_workspace(request, ContactLink, pk=link_id)
    qbo = ledger.fetch_side(workspace, QBO, link.qbo_id)
    lacrm = ledger.fetch_side(workspace, LACRM, link.lacrm_id)
    history_q = Q()
    if link.qbo_id:
        history_q |= Q(system=QBO, record_id=link.qbo_id) | Q(system=LACRM, target_id=link.qbo_id)
    if link.lacrm_id:
        history_q |= Q(system=LACRM, record_id=link.lacrm_id) | Q(
            system=QBO, target_id=link.lacrm_id
        )
    history = (
        SyncLogEntry.objects.for_workspace(workspace).filter(history_q).select_related("run")[:25]
    )
    return render(
        request,
        "sync/ledger/detail.html",
        {
            "link": link,
            "qbo": qbo,
            "lacrm": lacrm,
            "fields": _field_rows(qbo.record, lacrm.record),
            "history": history,
        },
    )


@workspace_required
@require_POST
def unlink(request: HttpRequest, link_id) -> HttpResponse:
    link = get_for_workspace(request, ContactLink, pk=link_id)
    try:
        ledger_actions.unlink(request.workspace, link, user=request.user)
    except LedgerError as exc:
        messages.error(request, str(exc))
        return redirect("sync:ledger_detail", link_id=link.pk)
    messages.success(
        request,
        f"Unlinked {link.qbo_name or link.qbo_id} and {link.lacrm_name or link.lacrm_id}. "
        "The next sync will not link these two again.",
    )
    return redirect("sync:ledger")


# --- Linking and creating by hand ----------------------------------------------------------------


def _source_or_404(request: HttpRequest, data) -> ledger.RecordRef:
    source = ledger.find_source(
        request.workspace, data.get("system", ""), data.get("record_id", "").strip()
    )
    if source is None:
        raise Http404("No such unmatched record.")
    return source


@workspace_required
def manual_link(request: HttpRequest) -> HttpResponse:
    """Pick the record of the other system to link an unmatched (or held) record to."""
    workspace = request.workspace
    if request.method == "POST":
        source = _source_or_404(request, request.POST)
        target_id = request.POST.get("target_id", "").strip()
        try:
            if not target_id:
                raise LedgerError("Choose a record to link to.")
            target = ledger.resolve_target(workspace, source.other_system, target_id)
            qbo, lacrm = (source, target) if source.system == QBO else (target, source)
            link = ledger_actions.link_records(workspace, qbo, lacrm, user=request.user)
        except LedgerError as exc:
            messages.error(request, str(exc))
            url = reverse("sync:manual_link")
            return redirect(f"{url}?system={source.system}&record_id={source.id}")
        messages.success(
            request,
            f"Linked {link.qbo_name or link.qbo_id} and {link.lacrm_name or link.lacrm_id}.",
        )
        return redirect("sync:ledger_detail", link_id=link.pk)

    source = _source_or_404(request, request.GET)
    searched = "q" in request.GET
    query = searchterms.search_text(request.GET, default=source.name or source.email)
    known = ledger.search_known(workspace, source.other_system, query)
    live, live_error = [], ""
    if searched and query:
        try:
            live = ledger.search_live(workspace, source.other_system, query)
        except IntegrationError as exc:
            live_error = ledger.unreachable_message(source.other_system, exc)
    known_ids = {ref.id for ref in known}
    return render(
        request,
        "sync/ledger/link.html",
        {
            "source": source,
            "query": query,
            "search_notice": searchterms.search_notice(request.GET),
            "searched": searched,
            "known": known,
            "live": [ref for ref in live if ref.id not in known_ids],
            "live_error": live_error,
        },
    )


@workspace_required
@require_POST
def create_counterpart(request: HttpRequest) -> HttpResponse:
    """Create an unmatched record in the other system now."""
    source = _source_or_404(request, request.POST)
    try:
        link = ledger_actions.create_counterpart(request.workspace, source, user=request.user)
    except LedgerError as exc:
        messages.error(request, str(exc))
        return redirect(_ledger_url(request))
    messages.success(request, f"Created {source.name or source.id} in {source.other_system_name}.")
    return redirect("sync:ledger_detail", link_id=link.pk)


def _ledger_url(request: HttpRequest) -> str:
    next_filter = request.POST.get("next_filter", "")
    if next_filter not in ledger.LEDGER_FILTERS:
        next_filter = ""
    return reverse("sync:ledger") + (f"?filter={next_filter}" if next_filter else "")


# --- The review queue ----------------------------------------------------------------------------


@workspace_required
def review(request: HttpRequest) -> HttpResponse:
    workspace = request.workspace
    query = searchterms.search_text(request.GET)
    cases = review_queue.review_cases(workspace, query)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    for case in page.object_list:
        names = {(ref.system, ref.id): ref for ref in case.qbo + case.lacrm}
        case.pair_refs = [(names[(QBO, q)], names[(LACRM, lid)]) for q, lid in sorted(case.pairs)]
    recent = (
        SyncLogEntry.objects.for_workspace(workspace)
        .filter(run__isnull=True)
        .order_by("-at", "-id")[:10]
    )
    return render(
        request,
        "sync/ledger/review.html",
        {
            "page": page,
            "query": query,
            "search_notice": searchterms.search_notice(request.GET),
            "params": _params(request),
            "recent": recent,
        },
    )


def _review_case(request: HttpRequest, row_id):
    """The case of a review row, or None (with a message) when it was decided meanwhile."""
    row = get_for_workspace(request, ContactLink, pk=row_id)
    if row.state != ContactLink.State.NEEDS_REVIEW:
        messages.info(request, "This case was already decided.")
        return None
    return review_queue.case_for(request.workspace, row)


@workspace_required
@require_POST
def review_link(request: HttpRequest, row_id) -> HttpResponse:
    case = _review_case(request, row_id)
    if case is None:
        return redirect("sync:review")
    try:
        link = ledger_actions.link_candidate(
            request.workspace,
            case,
            request.POST.get("qbo_id", ""),
            request.POST.get("lacrm_id", ""),
            user=request.user,
        )
    except LedgerError as exc:
        messages.error(request, str(exc))
        return redirect("sync:review")
    messages.success(
        request, f"Linked {link.qbo_name or link.qbo_id} and {link.lacrm_name or link.lacrm_id}."
    )
    return redirect("sync:review")


@workspace_required
@require_POST
def review_reject(request: HttpRequest, row_id) -> HttpResponse:
    case = _review_case(request, row_id)
    if case is None:
        return redirect("sync:review")
    try:
        count = ledger_actions.reject_case(request.workspace, case, user=request.user)
    except LedgerError as exc:
        messages.error(request, str(exc))
        return redirect("sync:review")
    messages.success(
        request,
        f"Marked {count} pair{'s' if count != 1 else ''} as not a match. LedgerLink will not "
        "propose them again.",
    )
    return redirect("sync:review")


@workspace_required
@require_POST
def review_create(request: HttpRequest, row_id) -> HttpResponse:
    """Create the record of one review row in the other system (none of the candidates is it)."""
    row = get_for_workspace(request, ContactLink, pk=row_id)
    if row.state != ContactLink.State.NEEDS_REVIEW:
        messages.info(request, "This case was already decided.")
        return redirect("sync:review")
    source = ledger.side_of(row, QBO if row.qbo_id else LACRM)
    try:
        ledger_actions.create_counterpart(request.workspace, source, user=request.user)
    except LedgerError as exc:
        messages.error(request, str(exc))
        return redirect("sync:review")
    messages.success(
        request, f"Created {source.name or source.id} in {SYSTEM_NAMES[source.other_system]}."
    )
    return redirect("sync:review")


# --- Settings ------------------------------------------------------------------------------------


@owner_required(methods=("POST",))
def sync_settings(request: HttpRequest) -> HttpResponse:
    instance = SyncSettings.for_workspace(request.workspace)
    data = request.POST if request.method == "POST" else None
    form = SyncSettingsForm(data, instance=instance)
    sections = settings_sections.bound_forms(request.workspace, data)
    forms = [form, *(section_form for _, section_form in sections)]
    was_continuous = instance.schedule == SyncSettings.Schedule.CONTINUOUS
    if request.method == "POST" and all([f.is_valid() for f in forms]):
        with transaction.atomic():
            for each in forms:
                each.save()
            continuous = form.instance.schedule == SyncSettings.Schedule.CONTINUOUS
            if continuous != was_continuous:
                # The LACRM webhook is registered, or deleted at LACRM, after this commits.
                changes.mode_changed(request.workspace, continuous)
        messages.success(request, "Settings saved. They apply from the next sync.")
        return redirect("sync:settings")
    return render(
        request,
        "sync/ledger/settings.html",
        {"form": form, "sections": sections, "next_sync": next_scheduled_at(instance)},
    )
