"""Preview Sync New Contacts at scale: planning and storing a 20,000 + 20,000 plan.

``run()`` re-creates a database of its own (``<DATABASE_URL name>_bench_preview``, or
``BENCH_PREVIEW_DATABASE_URL``), migrates it, builds synthetic QBO customers and LACRM contacts
(``tests.bench.matching.build``, 40% overlap by default) and times what a preview does after
the pull: the run's own planner (``sync.contacts.writes.plan_for``), what each create would
send (the providers' pure ``describe`` functions — what ``sync.preview.creates`` asks the
clients for), the decisions and their fingerprints, and storing the items (bulk inserts, one
transaction). Then the apply side: reading the stored decisions back and holding a fresh plan
to them. The pull itself is network time and is measured by the ``sync`` part (reads). The
database is dropped at the end. Prints figures; asserts nothing.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

from tests.bench.harness import DEFAULT_DATABASE_URL
from tests.bench.logs import _prepare, drop_database

logger = logging.getLogger(__name__)


def database_url() -> str:
    explicit = os.environ.get("BENCH_PREVIEW_DATABASE_URL")
    if explicit:
        return explicit
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    name = parts.path.lstrip("/") or "ledgerlink"
    return urlunsplit(parts._replace(path=f"/{name}_bench_preview"))


def run(n_qbo: int = 20_000, n_lacrm: int = 20_000, overlap: float = 0.4) -> None:
    url = database_url()
    print(f"Preview: {n_qbo:,} QBO customers + {n_lacrm:,} LACRM contacts, {overlap:.0%} overlap")
    _prepare(url)
    try:
        _measure(n_qbo, n_lacrm, overlap)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(url)


def _describe(creates, pulled) -> dict:
    from integrations.lacrm.mapping import describe_contact_creates
    from integrations.quickbooks.previews import describe_customer_creates
    from sync.preview.decide import record_key

    to_qbo = [r for r in creates if r.system == "lacrm"]
    to_lacrm = [r for r in creates if r.system == "qbo"]
    previews = dict(
        zip(
            (record_key(r.system, r.id) for r in to_qbo),
            describe_customer_creates(to_qbo, pulled.qbo.values()),
            strict=True,
        )
    )
    previews.update(
        zip(
            (record_key(r.system, r.id) for r in to_lacrm),
            describe_contact_creates(to_lacrm, 1),
            strict=True,
        )
    )
    return previews


def _measure(n_qbo: int, n_lacrm: int, overlap: float) -> None:
    from django.db import connection
    from django_scopes import scopes_disabled

    from sync.contacts.plan import Pulled
    from sync.contacts.writes import plan_for
    from sync.preview import decide
    from sync.preview.apply import stored_decisions
    from sync.preview.build import store
    from sync.preview.models import ContactPreview
    from tests.bench.matching import build
    from tests.factories import UserFactory

    qbo, lacrm = build(n_qbo, n_lacrm, overlap)
    pulled = Pulled(qbo={r.id: r for r in qbo}, lacrm={r.id: r for r in lacrm})
    with scopes_disabled():
        user = UserFactory(email="bench-preview@example.com", workspace="Bench preview")
        workspace = user.workspaces.get()
        preview = ContactPreview.objects.create(workspace=workspace, status="running")
        times = {}
        started = time.perf_counter()
        plan, _ = plan_for(workspace, pulled)
        times["plan (matching, the run's own planner)"] = time.perf_counter() - started
        mark = time.perf_counter()
        previews = _describe(plan.creates, pulled)
        times["fields of each new record (DisplayNames)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        found = decide.decisions(plan, pulled, previews)
        times["decisions and fingerprints"] = time.perf_counter() - mark
        mark = time.perf_counter()
        store(preview, found.values())
        times["store (one COPY, one transaction)"] = time.perf_counter() - mark
        total = time.perf_counter() - started
        preview.refresh_from_db()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('preview_previewitem'))")
            size = cursor.fetchone()[0]
        print(f"  items stored: {len(found):,} ({size} with indexes); per category:")
        for category, count in sorted(preview.counts.items()):
            print(f"      {category:<16} {count:>7,}")
        for label, seconds in times.items():
            print(f"  {label:<44} {seconds:6.2f} s")
        print(f"  {'plan and store, total (what the page shows)':<44} {total:6.2f} s")

        started = time.perf_counter()
        saved = stored_decisions(preview)
        fresh_plan, _ = plan_for(workspace, pulled)
        fresh = decide.decisions(fresh_plan, pulled, _describe(fresh_plan.creates, pulled))
        left = decide.hold_plan_to(fresh_plan, fresh, saved)
        apply_seconds = time.perf_counter() - started
        print(
            f"  {'apply: re-plan and hold to the stored plan':<44} {apply_seconds:6.2f} s "
            f"({left[decide.CHANGED]} changed, {len(fresh_plan.creates):,} creates kept)"
        )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    run(*args)
