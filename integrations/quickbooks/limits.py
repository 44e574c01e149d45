"""QuickBooks' limits as LedgerLink paces them: per realm, shared by all workers (Redis).

Intuit allows 500 requests a minute, 10 in flight and 40 batch calls a minute per realm; the
settings ``QBO_REQUESTS_PER_MINUTE``, ``QBO_MAX_IN_FLIGHT`` and ``QBO_BATCHES_PER_MINUTE`` can
lower them (or raise them against the sandbox, for benchmarks that say so).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings

from integrations.pacing import Limits, paced


def qbo_limits() -> Limits:
    return Limits(
        per_minute=getattr(settings, "QBO_REQUESTS_PER_MINUTE", 500),
        in_flight=getattr(settings, "QBO_MAX_IN_FLIGHT", 10),
        batches_per_minute=getattr(settings, "QBO_BATCHES_PER_MINUTE", 40),
    )


@contextmanager
def qbo_request(realm_id: str, *, batch: bool = False):
    """Pace one QuickBooks request for ``realm_id`` (rate, batch rate, in-flight).

    A batch call counts in the realm's request window and in its batch window, admitted to both
    at once right before it is sent (see ``pacing.paced``).
    """
    limits = qbo_limits()
    windows = [(f"qbo:{realm_id}:req", limits.per_minute)]
    if batch:
        windows.append((f"qbo:{realm_id}:batch", limits.batches_per_minute))
    with paced(windows, in_flight=(f"qbo:{realm_id}", limits.in_flight)):
        yield
