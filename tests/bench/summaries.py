"""Update Invoice Summaries after the end-to-end sync, on the same data: API calls by operation.

Target: one paged query for the company's open invoices, so ⌈open invoices /
1000⌉ QBO queries, plus one LACRM call (CreateNote) per note. Called from ``sync_e2e.run`` with
``summaries=True`` (``python -m tests.bench summaries`` runs the sync first: summaries need
linked contacts). Prints figures; asserts nothing.
"""

from __future__ import annotations

import logging

from summaries.kind import KIND as SUMMARIES_KIND
from tests.bench.e2e import ceil_div, fmt_calls_table, start_and_watch

logger = logging.getLogger(__name__)

LACRM_DEFAULT_PER_MINUTE = 300


def _open_invoices(company) -> tuple[int, int]:
    """Open invoices of the sandbox company and how many customers they belong to."""
    from integrations.sandbox.qbo.models import SandboxQboInvoice

    rows = SandboxQboInvoice.objects.filter(company=company, balance__gt=0)
    return rows.count(), rows.values("customer_qbo_id").distinct().count()


def measure(stage, bench, probes, real_limits: bool) -> None:
    """Run Update Invoice Summaries for the bench workspace and print its figures."""
    from sync.models import ContactLink
    from tests.bench.sync_e2e import print_time_split

    linked = (
        ContactLink.objects.for_workspace(bench.workspace)
        .filter(state=ContactLink.State.LINKED)
        .count()
    )
    open_invoices, owners = _open_invoices(bench.company)
    print()
    print(
        f"Update Invoice Summaries on the same data: {linked} linked contacts; the company has "
        f"{open_invoices} open invoices (Balance > 0) of {owners} customers"
    )
    figures = start_and_watch(stage, bench, SUMMARIES_KIND)
    run = figures.run
    print()
    print(
        f"  run {run.status}: notes added {run.notes_added}, skipped {run.skipped} (no open "
        f"invoices / not linked), throttled {run.throttled}, failed {run.failed}"
    )
    if figures.wall:
        print(
            f"  throughput: {run.notes_added} notes in {figures.wall:.1f}s = "
            f"{run.notes_added * 60 / figures.wall:.0f} notes/min"
        )
    print("  API calls during the run, by operation (from SandboxCall):")
    for line in fmt_calls_table(figures):
        print(line)
    invoice_queries = figures.calls_of("qbo", "query Invoice")
    pulled = sum(s.items for (sys_, op), s in figures.calls.items() if op == "query Invoice")
    notes_calls = figures.calls_of("lacrm", "CreateNote")
    qbo_calls, lacrm_calls = figures.calls_of("qbo"), figures.calls_of("lacrm")
    target = ceil_div(open_invoices, 1000) + run.notes_added
    measured = qbo_calls + lacrm_calls
    print("  API calls vs target (⌈open invoices/1000⌉ QBO queries + 1 LACRM call per note):")
    print(
        f"    open-invoice queries: measured {invoice_queries} for {pulled} invoices read; "
        f"target ⌈{open_invoices}/1000⌉ = {ceil_div(open_invoices, 1000)}"
    )
    print(
        f"    CreateNote calls: {notes_calls} for {run.notes_added} notes "
        f"(target {run.notes_added})"
    )
    other_qbo = qbo_calls - invoice_queries
    other_lacrm = lacrm_calls - notes_calls
    print(
        f"    other calls: QBO {other_qbo} (company info, customer look-ups to roll jobs up), "
        f"LACRM {other_lacrm}"
    )
    over = measured / target - 1 if target else 0.0
    print(
        f"    total QBO+LACRM: measured {measured}, target {target} ({over:+.1%}; "
        f"{'within' if over <= 0.10 else 'NOT within'} 10%)"
    )
    print_time_split(figures, probes, run.notes_added)
    print(
        "  at the real limits (figures above measured with limits "
        + ("at their real values)" if real_limits else "LOOSENED)")
    )
    print(
        f"    {lacrm_calls} LACRM calls at our default {LACRM_DEFAULT_PER_MINUTE}/min need "
        f"≥ {lacrm_calls / LACRM_DEFAULT_PER_MINUTE:.1f} min; the QBO side is "
        f"{qbo_calls} requests (≤ 500/min: ≥ {qbo_calls / 500:.2f} min)"
    )
