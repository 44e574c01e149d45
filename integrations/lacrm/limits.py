"""Less Annoying CRM's limits as LedgerLink paces them: per connection, shared by all workers.

LACRM publishes no hard limit; ``LACRM_REQUESTS_PER_MINUTE`` (300 by default) and four calls in
flight keep one connection polite.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings

from integrations.pacing import Limits, paced


def lacrm_limits() -> Limits:
    return Limits(per_minute=getattr(settings, "LACRM_REQUESTS_PER_MINUTE", 300), in_flight=4)


@contextmanager
def lacrm_request(connection_key: str):
    """Pace one LACRM request for a connection (its id: one per workspace and key)."""
    limits = lacrm_limits()
    windows = [(f"lacrm:{connection_key}:req", limits.per_minute)]
    with paced(windows, in_flight=(f"lacrm:{connection_key}", limits.in_flight)):
        yield
