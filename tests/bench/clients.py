"""Benchmark of the two API clients: HTTP requests per 1,000 customers read and created.

Run with ``.venv/bin/python -m tests.bench.clients [n_read n_create]``. It builds a throwaway
database (``bench_<name>``), serves the built-in sandbox providers from a live server thread,
connects a workspace through the real OAuth views and an API key, then counts the requests the
sandbox logged (``SandboxCall``) while the clients read and create. It prints figures and
asserts nothing. Request counts do not depend on the machine; the times do (and include the
pacing waits, which the benchmark loosens so it finishes quickly — see the printed note).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from contextlib import contextmanager

logger = logging.getLogger(__name__)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


@contextmanager
def _bench_database():
    """A fresh database for the run, dropped afterwards."""
    from django.db import connection

    test_settings = connection.settings_dict.setdefault("TEST", {})
    test_settings["NAME"] = f"bench_{connection.settings_dict['NAME']}"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


@contextmanager
def _live_server():
    from django.test.testcases import LiveServerThread, _StaticFilesHandler

    server = LiveServerThread("localhost", _StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://localhost:{server.port}"
    finally:
        server.terminate()


def _count(system: str, account: str) -> int:
    from integrations.sandbox.models import SandboxCall

    return SandboxCall.objects.filter(system=system, account=account).count()


def _per_thousand(requests: int, items: int) -> float:
    return requests * 1000 / items if items else 0.0


def _measure(base: str, n_read: int, n_create: int) -> list[tuple[str, int, int, float]]:
    from integrations import registry
    from integrations.records import QBO, ContactRecord, Phone
    from integrations.sandbox.lacrm.store import load_contacts
    from integrations.sandbox.qbo.store import add_name, load_customers
    from tests.factories import UserFactory
    from tests.fixtures_connections import make_connected_workspace

    user = UserFactory(email="bench@example.com", workspace="Bench")
    ws = make_connected_workspace(user, seed_demo=False)
    realm, lacrm_uid = ws.realm_id, ws.lacrm_account.uid
    rows: list[tuple[str, int, int, float]] = []

    load_customers(
        ws.qbo_company,
        [{"GivenName": f"Reader{i}", "FamilyName": "Bench"} for i in range(n_read)],
        invoices_per_customer=0,
    )
    qbo = registry.accounting(ws.workspace)
    before, started = _count("qbo", realm), time.perf_counter()
    read = sum(1 for _ in qbo.iter_customers())
    rows.append(
        ("QBO read customers", read, _count("qbo", realm) - before, time.perf_counter() - started)
    )

    # One in twenty names is already taken by a vendor, so 6240 retries are part of the figure.
    for i in range(0, n_create, 20):
        add_name(ws.qbo_company, "Vendor", f"Writer{i} Bench")
    records = [
        ContactRecord(
            system=QBO,
            first_name=f"Writer{i}",
            last_name="Bench",
            company_name=f"Bench Co {i}",
            emails=(f"w{i}@example.com",),
            phones=(Phone("555-0100"),),
        )
        for i in range(n_create)
    ]
    before, started = _count("qbo", realm), time.perf_counter()
    created = 0
    for start in range(0, n_create, 20):  # the engine's batch size
        batch = [(f"bench-{i}", records[i]) for i in range(start, min(start + 20, n_create))]
        created += sum(1 for r in qbo.create_customers(batch) if r.ok)
    rows.append(
        (
            "QBO create customers (20 per batch, 5% name collisions)",
            created,
            _count("qbo", realm) - before,
            time.perf_counter() - started,
        )
    )

    load_contacts(
        ws.lacrm_account,
        [{"Name": f"Reader {i} Bench", "Email": f"r{i}@example.com"} for i in range(n_read)],
    )
    lacrm = registry.crm(ws.workspace)
    before, started = _count("lacrm", lacrm_uid), time.perf_counter()
    read = sum(1 for _ in lacrm.iter_contacts())
    rows.append(
        (
            "LACRM read contacts",
            read,
            _count("lacrm", lacrm_uid) - before,
            time.perf_counter() - started,
        )
    )

    before, started = _count("lacrm", lacrm_uid), time.perf_counter()
    created = sum(
        1 for i, record in enumerate(records) if lacrm.create_contact(f"bench-l-{i}", record).ok
    )
    rows.append(
        (
            "LACRM create contacts",
            created,
            _count("lacrm", lacrm_uid) - before,
            time.perf_counter() - started,
        )
    )
    return rows


def run(n_read: int = 5000, n_create: int = 1000) -> None:
    """Print requests per 1,000 records read and created in QuickBooks and LACRM."""
    _setup_django()
    logging.disable(logging.INFO)
    from django.test.utils import override_settings, setup_test_environment

    from integrations.sandbox.models import SandboxKnobs

    setup_test_environment()
    with _bench_database(), _live_server() as base:
        overrides = {
            "SITE_URL": base,
            "QBO_DISCOVERY_URL": f"{base}/sandbox/intuit/.well-known/openid_configuration",
            "QBO_API_BASE_URL": f"{base}/sandbox/qbo/v3",
            "QBO_REDIRECT_URI": f"{base}/integrations/quickbooks/callback/",
            "LACRM_API_URL": f"{base}/sandbox/lacrm/v2/",
            # Loosened so the run is quick; request counts do not depend on them.
            "QBO_BATCHES_PER_MINUTE": 100000,
            "QBO_REQUESTS_PER_MINUTE": 100000,
            "LACRM_REQUESTS_PER_MINUTE": 100000,
        }
        with override_settings(**overrides):
            SandboxKnobs.objects.update_or_create(
                pk=1,
                defaults={
                    "qbo_batches_per_minute": 100000,
                    "qbo_requests_per_minute": 100000,
                    "lacrm_requests_per_minute": 100000,
                    "latency_ms": 0,
                },
            )
            rows = _measure(base, n_read, n_create)
    print(f"{'operation':58} {'records':>8} {'requests':>9} {'per 1,000':>10} {'seconds':>8}")
    for label, items, requests, seconds in rows:
        print(
            f"{label:58} {items:8d} {requests:9d} {_per_thousand(requests, items):10.1f} "
            f"{seconds:8.1f}"
        )
    qbo_batches = next(r for r in rows if r[0].startswith("QBO create"))[2]
    print(
        f"\nAt QBO's real limit of 40 batch calls a minute, {qbo_batches} batch calls take at "
        f"least {qbo_batches / 40:.1f} min; at our default LACRM pace of 300 requests a minute, "
        f"{n_create} creates take at least {n_create / 300:.1f} min."
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    run(*args)
