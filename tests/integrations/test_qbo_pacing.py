"""Paced QuickBooks batch calls never earn a 429 from the sandbox, whichever minutes it counts."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection

from integrations.errors import IntegrationError
from integrations.models import QuickBooksConnection
from integrations.quickbooks.oauth import ConnectionTokens
from integrations.quickbooks.transport import Transport
from integrations.sandbox.models import RateWindow, SandboxCall, SandboxKnobs
from tests.threads import test_thread

WINDOW = 2.0  # "a minute" on both sides, shortened so the test takes seconds
LIMIT = 4
THREADS, CALLS = 4, 3


def _batch_calls(conn: QuickBooksConnection, errors: list[BaseException]) -> None:
    transport = Transport(conn.realm_id, ConnectionTokens(conn))
    body = json.dumps({"BatchItemRequest": [{"bId": "q1", "Query": "SELECT * FROM Customer"}]})
    try:
        for _ in range(CALLS):
            # No retry: a 429 must show, not be papered over by back-off.
            transport.post("batch", body, retry=False)
    except IntegrationError as exc:
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.parametrize("reading", [RateWindow.ROLLING, RateWindow.FIXED])
def test_a_paced_burst_of_batch_calls_gets_no_429(connected_workspace_empty, settings, reading):
    SandboxKnobs.objects.filter(pk=1).update(
        qbo_batches_per_minute=LIMIT,
        qbo_rate_window=reading,
        qbo_rate_window_seconds=WINDOW,
        latency_ms=200,
    )
    settings.QBO_BATCHES_PER_MINUTE = LIMIT
    settings.PACING_WINDOW_SECONDS = WINDOW
    # Fewer slots than threads: calls queue for a slot, and must be counted only once sent.
    settings.QBO_MAX_IN_FLIGHT = 2
    conn = QuickBooksConnection.objects.get(workspace=connected_workspace_empty.workspace)
    errors: list[BaseException] = []
    threads = [test_thread(target=_batch_calls, args=(conn, errors)) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    batches = SandboxCall.objects.filter(system="qbo", operation="batch")
    assert errors == []
    assert batches.filter(status=200).count() == THREADS * CALLS
    assert batches.exclude(status=200).count() == 0


def test_the_sandbox_throttles_the_call_over_a_rolling_window(connected_workspace_empty):
    # The rolling reading is the strict one: calls bunched at the end of one clock window and
    # the start of the next are fine for fixed windows but not here.
    from integrations.sandbox import runtime

    SandboxKnobs.objects.filter(pk=1).update(qbo_rate_window_seconds=WINDOW)
    knobs = SandboxKnobs.current()
    limits = [(f"test-rolling-{uuid.uuid4().hex}", 2)]
    assert [runtime.over_limits(limits, knobs) for _ in range(3)] == [False, False, True]
