"""What every sandbox request goes through: latency, injected faults, rate limits, the call log.

Rate limits and in-flight counts live in Redis so they hold across web processes and threads,
like the real services' limits hold across all of a customer's workers.
"""

from __future__ import annotations

import contextvars
import random
import time
from contextlib import contextmanager
from enum import Enum

import redis
from django.conf import settings

from integrations.sandbox.models import SandboxCall, SandboxKnobs


class Fault(Enum):
    """A fault the knobs chose to inject into this call."""

    THROTTLE = "throttle"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"


_redis_client: redis.Redis | None = None
# When the current sandbox request started (set by SandboxTimingMiddleware).
request_started: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "sandbox_request_started", default=None
)


def _redis() -> redis.Redis:
    global _redis_client
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(settings.REDIS_URL)
    return _redis_client


def knobs() -> SandboxKnobs:
    return SandboxKnobs.current()


def apply_latency(current: SandboxKnobs) -> None:
    """Sleep for the configured latency (knob, or SANDBOX_LATENCY for demo mode)."""
    seconds = max(current.latency_ms / 1000.0, settings.SANDBOX_LATENCY)
    if seconds > 0:
        time.sleep(seconds)


def injected_fault(current: SandboxKnobs) -> Fault | None:
    """Roll the dice for the configured fault probabilities."""
    roll = random.random()
    for rate, fault in (
        (current.fault_429_rate, Fault.THROTTLE),
        (current.fault_500_rate, Fault.SERVER_ERROR),
        (current.fault_timeout_rate, Fault.TIMEOUT),
    ):
        if roll < rate:
            return fault
        roll -= rate
    return None


def over_rate(bucket: str, per_minute: int) -> bool:
    """Count this call in a one-minute fixed window; True when the limit is exceeded."""
    window = int(time.time() // 60)
    key = f"sandbox:rate:{bucket}:{window}"
    pipe = _redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, 120)
    count, _ = pipe.execute()
    return int(count) > per_minute


@contextmanager
def in_flight(bucket: str, limit: int):
    """Track concurrent calls; yields False when this call is over the concurrency limit."""
    key = f"sandbox:inflight:{bucket}"
    client = _redis()
    count = client.incr(key)
    client.expire(key, 300)
    try:
        yield int(count) <= limit
    finally:
        client.decr(key)


def record_call(system: str, account: str, operation: str, status: int, items: int = 0) -> None:
    started = request_started.get()
    duration = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    SandboxCall.objects.create(
        system=system,
        account=account or "",
        operation=operation[:80],
        status=status,
        items=items,
        duration_ms=duration,
    )


class SandboxTimingMiddleware:
    """Note when each /sandbox/ request starts, so the call log knows how long it took."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/sandbox/"):
            return self.get_response(request)
        token = request_started.set(time.perf_counter())
        try:
            return self.get_response(request)
        finally:
            request_started.reset(token)
