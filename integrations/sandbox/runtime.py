"""What every sandbox request goes through: latency, injected faults, rate limits, the call log.

Rate limits and in-flight counts live in Redis so they hold across web processes and threads,
like the real services' limits hold across all of a customer's workers.

Faults come from two places, both deterministic:
- the knobs' rates, rolled with dice seeded by ``fault_seed`` and the call's number;
- scripts (``SandboxScript``): "the 3rd and 7th ``GetContacts`` get a 500", "the next ``batch``
  is processed, then held" (``hold_next``), "the next ``CreateNote`` is processed, then answered
  with a 500" (``lose_responses``). A test holding a call blocks on ``wait_until_held`` until
  the write is committed and the answer is waiting, acts (e.g. kills the worker that sent it),
  then calls ``release``; a held answer goes out by itself after ``hold_seconds``.
"""

from __future__ import annotations

import contextvars
import json
import random
import threading
import time
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum

import redis
from django.conf import settings
from django.db import connection

from integrations.sandbox.models import RateWindow, SandboxCall, SandboxKnobs, SandboxScript


class Fault(Enum):
    """A fault the knobs chose to inject into this call."""

    THROTTLE = "throttle"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"


_redis_client: redis.Redis | None = None
_redis_lock = threading.Lock()
# When the current sandbox request started (set by SandboxTimingMiddleware).
request_started: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "sandbox_request_started", default=None
)


def _redis() -> redis.Redis:
    global _redis_client
    with _redis_lock:  # the sandbox's web server answers on threads: one client per process
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
    """Roll the seeded dice for the configured fault probabilities.

    Call number n (counted on the knobs row, atomically across processes) rolls
    ``Random(f"{fault_seed}:{n}")``: the same seed gives the same faults on the same calls.
    Which request gets which number depends on their order, so only a test that makes its calls
    one after another can predict which of them fail.
    """
    rates = (
        (current.fault_429_rate, Fault.THROTTLE),
        (current.fault_500_rate, Fault.SERVER_ERROR),
        (current.fault_timeout_rate, Fault.TIMEOUT),
    )
    if not any(rate > 0 for rate, _ in rates):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SandboxKnobs._meta.db_table} SET fault_calls = fault_calls + 1 "  # noqa: S608
            "WHERE id = %s RETURNING fault_calls",
            [current.pk],
        )
        row = cursor.fetchone()
    number = row[0] if row else 0
    roll = random.Random(f"{current.fault_seed}:{number}").random()
    for rate, fault in rates:
        if roll < rate:
            return fault
        roll -= rate
    return None


# --- Scripts: faults, holds and lost answers on chosen calls ----------------------------------

_BEFORE = {
    SandboxScript.Action.THROTTLE: Fault.THROTTLE,
    SandboxScript.Action.SERVER_ERROR: Fault.SERVER_ERROR,
    SandboxScript.Action.TIMEOUT: Fault.TIMEOUT,
}
HOLD_KEY_TTL = 3600


@dataclass
class Decision:
    """What the knobs and scripts decided for one call."""

    # Answer with this fault instead of processing the call.
    fault: Fault | None = None
    # After processing: hold the answer (these scripts) and/or lose it (answer 500 instead).
    holds: list[SandboxScript] = field(default_factory=list)
    lose: bool = False


def _scripted(system: str, operation: str) -> list[SandboxScript]:
    """Count this call on every script of its operation; return the scripts it triggers."""
    table = SandboxScript._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET seen = seen + 1 "  # noqa: S608 (our own table name)
            "WHERE system = %s AND operation = %s "
            "RETURNING id, seen, calls, action, hold_seconds, token",
            [system, operation],
        )
        rows = cursor.fetchall()
    fired = []
    for pk, seen, calls, action, hold_seconds, token in rows:
        # Django has psycopg2 hand jsonb back as text (its JSONField decodes it).
        calls = json.loads(calls) if isinstance(calls, str) else calls
        if seen in calls:
            fired.append(
                SandboxScript(
                    pk=pk,
                    seen=seen,
                    calls=calls,
                    action=action,
                    hold_seconds=hold_seconds,
                    token=token,
                    system=system,
                    operation=operation,
                )
            )
    return fired


def decide(current: SandboxKnobs, system: str, operation: str) -> Decision:
    """The scripted or seeded-random fate of one call (scripts first).

    The providers ask once a call has passed authentication and the rate limits, just before
    they would process it, so a script counts (and holds, or loses) calls that get processed.
    """
    decision = Decision()
    for script in sorted(_scripted(system, operation), key=lambda s: s.pk):
        if script.action in _BEFORE:
            decision.fault = decision.fault or _BEFORE[script.action]
        elif script.action == SandboxScript.Action.HOLD:
            decision.holds.append(script)
        elif script.action == SandboxScript.Action.LOSE_RESPONSE:
            decision.lose = True
    if decision.fault is None:
        decision.fault = injected_fault(current)
    return decision


def after_processing(decision: Decision) -> bool:
    """Hold the answer of a processed call if scripted; True when the answer is to be lost."""
    for script in decision.holds:
        _hold(script)
    return decision.lose


def _keys(script: SandboxScript) -> tuple[str, str]:
    return f"sandbox:hold:{script.token}:held", f"sandbox:hold:{script.token}:release"


def _hold(script: SandboxScript) -> None:
    held, release = _keys(script)
    client = _redis()
    pipe = client.pipeline()
    pipe.rpush(held, script.seen)
    pipe.expire(held, HOLD_KEY_TTL)
    pipe.execute()
    # In steps of a second: one long BLPOP would outlast the client's socket timeout (5 s
    # under the tests), ending a long hold early with a 500.
    deadline = time.monotonic() + max(script.hold_seconds, 0.01)
    while (left := deadline - time.monotonic()) > 0:
        if client.blpop([release], timeout=min(left, 1.0)) is not None:
            return


def script(
    system: str, operation: str, action: str, calls: Iterable[int], *, hold_seconds: float = 30.0
) -> SandboxScript:
    """Act on the given matching calls of ``operation`` from now on (numbered from 1)."""
    numbers = sorted({int(n) for n in calls})
    if not numbers or numbers[0] < 1:
        raise ValueError("calls are numbered from 1")
    return SandboxScript.objects.create(
        system=system,
        operation=operation,
        action=action,
        calls=numbers,
        hold_seconds=hold_seconds,
    )


def fail_calls(system: str, operation: str, fault: Fault, calls: Iterable[int]) -> SandboxScript:
    """Answer the given matching calls with ``fault`` without processing them."""
    action = {value: key for key, value in _BEFORE.items()}[fault]
    return script(system, operation, action, calls)


def hold_next(system: str, operation: str, *, seconds: float = 30.0) -> SandboxScript:
    """Process the next matching call, then hold its answer until ``release`` (or ``seconds``)."""
    return script(system, operation, SandboxScript.Action.HOLD, [1], hold_seconds=seconds)


def lose_responses(system: str, operation: str, calls: Iterable[int] = (1,)) -> SandboxScript:
    """Process the given matching calls, then answer them with a 500 as if the answer was lost."""
    return script(system, operation, SandboxScript.Action.LOSE_RESPONSE, calls)


def wait_until_held(held: SandboxScript, timeout: float = 60.0) -> bool:
    """Block until a call of the hold script was processed and its answer is held."""
    key, _ = _keys(held)
    # In one-second steps: a long blocking read can outlast a client's socket timeout.
    deadline = time.monotonic() + timeout
    while True:
        if _redis().blpop([key], timeout=1) is not None:
            return True
        if time.monotonic() >= deadline:
            return False


def release(held: SandboxScript) -> None:
    """Let the held answer (or the next one to be held) of this script go out."""
    _, key = _keys(held)
    pipe = _redis().pipeline()
    pipe.rpush(key, 1)
    pipe.expire(key, HOLD_KEY_TTL)
    pipe.execute()


def release_all() -> None:
    """Release every hold script's answer (a test's clean-up, so no request waits on)."""
    for held in SandboxScript.objects.filter(action=SandboxScript.Action.HOLD):
        release(held)


def over_rate(bucket: str, per_minute: int, *, window: float = 60.0) -> bool:
    """Count this call in a fixed window (clock minutes); True when the limit is exceeded.

    Every call counts, throttled ones too.
    """
    index = int(time.time() // window)
    key = f"sandbox:rate:{bucket}:{window:g}:{index}"
    pipe = _redis().pipeline()
    pipe.incr(key)
    pipe.expire(key, max(120, int(window * 2)))
    count, _ = pipe.execute()
    return int(count) > per_minute


# KEYS: one sorted set per limit; ARGV: now, oldest score that has left, member, limits…
# Admits the call to every window or to none; 1 means "over a limit" (nothing recorded).
_ROLLING_SCRIPT = """
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 3]) then
    return 1
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[1], ARGV[3])
  redis.call('PEXPIRE', key, ARGV[4 + #KEYS])
end
return 0
"""


def over_rolling_rate(limits: list[tuple[str, int]], *, window: float = 60.0) -> bool:
    """True when admitting this call would put more than a limit in the last ``window`` seconds.

    The window is ``(now - window, now]``: a call exactly ``window`` seconds after another no
    longer shares a window with it. Only admitted calls count.
    """
    now = time.time()
    keys = [f"sandbox:rolling:{bucket}:{window:g}" for bucket, _ in limits]
    args = [f"{now:.6f}", f"{now - window:.6f}", uuid.uuid4().hex]
    args += [limit for _, limit in limits] + [int(window * 1000) + 1000]
    return bool(_redis().eval(_ROLLING_SCRIPT, len(keys), *keys, *args))


def over_limits(limits: list[tuple[str, int]], current: SandboxKnobs) -> bool:
    """Count one QBO call in its ``(bucket, per-minute limit)`` windows, as the knobs say."""
    window = current.qbo_rate_window_seconds
    if current.qbo_rate_window == RateWindow.ROLLING:
        return over_rolling_rate(limits, window=window)
    over = False
    for bucket, limit in limits:
        over = over_rate(bucket, limit, window=window) or over
    return over


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
