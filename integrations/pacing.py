"""Client-side pacing shared by every worker process through Redis.

QuickBooks allows 500 requests a minute per realm, 10 in flight and 40 batch calls a minute
(Intuit's documented throttles); going over earns 429s. LACRM publishes no limit; we default to
300 a minute per connection (5/s: fast enough for a demo, gentle enough for a real account) —
set ``LACRM_REQUESTS_PER_MINUTE`` to change it.

Rate limits are sliding windows kept in Redis sorted sets (one member per admitted call, scored
by Redis's own clock) and checked by one Lua script, so they hold across processes, threads and
hosts. Intuit does not say whether "a minute" is a fixed clock minute or any 60 seconds; the
pacer keeps to the stricter reading, with slack:

- at most ``limit`` calls in any *closed* window of ``window + margin`` seconds. The provider
  counts a call when it arrives, a little after we admitted it and not always equally little;
  ``margin`` (``TRANSIT_MARGIN``) absorbs that difference. Without it the pacer placed call
  ``limit + 1`` a hair over a window after call 1, and any jitter in transit put both in one of
  the provider's minutes (41 batch calls in a rolling minute, a 429 about every 60 batches);
- a call is admitted to all its windows at once (a batch call counts as a request and as a
  batch) and only once it holds an in-flight slot, right before it is sent: a call admitted
  and then kept waiting for another window or a slot would be sent later than counted.

A caller over a limit *waits* (sleeps until the call that fills the window leaves it) rather
than failing. In-flight slots are a Redis sorted set of lease ids scored by their expiry, so a
crashed worker's slot frees itself. ``PACING_WINDOW_SECONDS`` (a Django setting, 60 unless a
test shortens "a minute") sets the window of every provider limit.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
# How much later than another call a call may reach the provider after being admitted at the
# same moment (network and the provider's own queueing); windows are this much longer.
TRANSIT_MARGIN = 1.0
# A single wait never sleeps longer than this before checking again.
MAX_SLEEP = 2.0
# An in-flight lease expires after this long even if its holder died without releasing it: longer
# than any request may take (the clients' timeouts are 5 s to connect + 30 s to read), short
# enough that a worker killed with a batch's calls in flight (up to every slot of the tenant,
# ``sync.runs.calls``) does not hold the tenant's LACRM calls up for minutes.
LEASE_SECONDS = 40.0

# KEYS: one sorted set per window; ARGV: span (window + margin), member, then one limit per key.
# Admits the call to every window or to none. Returns {1, admission time} or {0, seconds to
# wait}; times are strings with microseconds (Lua's tostring keeps only 14 digits).
_WINDOW_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local span = tonumber(ARGV[1])
local member = ARGV[2]
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i + 2])
  -- Keep the calls of the closed window [now - span, now].
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. string.format('%.6f', now - span))
  local count = redis.call('ZCARD', key)
  if count >= limit then
    -- The window has room again once the limit-th newest call has left it.
    local filler = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(filler[2]) + span - now, 0.000001)
  end
end
if wait > 0 then
  return {0, string.format('%.6f', wait)}
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(span * 1000) + 1000)
end
return {1, string.format('%.6f', now)}
"""

# Returns 1 when a slot was taken.
_SLOT_SCRIPT = """
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit = tonumber(ARGV[1])
local lease = ARGV[2]
local expires = now + tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, expires, lease)
  redis.call('PEXPIRE', key, math.ceil((expires - now) * 1000) + 1000)
  return 1
end
return 0
"""

_client: redis.Redis | None = None
_client_config: tuple[str, int] | None = None
_client_lock = threading.Lock()


def client_name() -> str:
    """The name Redis's ``CLIENT LIST`` shows for this process's pacing connections."""
    return f"ledgerlink-pacing-{os.getpid()}"


def _redis() -> redis.Redis:
    global _client, _client_config
    with _client_lock:  # one pool per process, also with a batch's calls on threads
        config = (settings.REDIS_URL, settings.PACING_REDIS_MAX_CONNECTIONS)
        if _client is None or _client_config != config:
            if _client is not None:
                _client.connection_pool.disconnect()  # the settings changed (tests): drop the old
            # Blocking: with many threads in one process (I/O in flight per batch), a thread waits
            # for a free connection instead of opening one more each time, without bound, or
            # failing with "Too many connections" once a plain pool's limit is reached.
            pool = redis.BlockingConnectionPool.from_url(
                config[0],
                max_connections=config[1],
                timeout=10,
                socket_timeout=5,
                client_name=client_name(),
            )
            _client = redis.Redis(connection_pool=pool)
            _client_config = config
        return _client


def _key(*parts: str) -> str:
    # Under the cache's prefix, so a test run's buckets are cleared with its cache keys.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "ledgerlink")
    return ":".join((prefix, "pace", *parts))


def window_seconds() -> float:
    """The length of "a minute" for every provider limit (``PACING_WINDOW_SECONDS``)."""
    return float(getattr(settings, "PACING_WINDOW_SECONDS", WINDOW_SECONDS))


@dataclass(frozen=True)
class Limits:
    """Limits for one bucket: requests per minute, concurrency, batch calls per minute."""

    per_minute: int
    in_flight: int = 0
    batches_per_minute: int = 0


@dataclass(frozen=True)
class Grant:
    """One admitted call: Redis's time of admission (its score in each window) and the wait."""

    at: float | None
    waited: float


def _admit(
    client: redis.Redis, keys: list[str], limits: list[int], span: float, member: str
) -> tuple[bool, float]:
    admitted, value = client.eval(_WINDOW_SCRIPT, len(keys), *keys, span, member, *limits)
    return bool(int(admitted)), float(value)


def _take_slot(client: redis.Redis, key: str, limit: int, lease: str) -> None:
    pause = 0.02
    while not client.eval(_SLOT_SCRIPT, 1, key, limit, lease, LEASE_SECONDS):
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


@contextmanager
def paced(
    windows: Sequence[tuple[str, int]],
    *,
    in_flight: tuple[str, int] | None = None,
    window: float | None = None,
    margin: float = TRANSIT_MARGIN,
) -> Iterator[Grant]:
    """Hold an in-flight slot and a place in every ``(bucket, limit)`` window for the block.

    The slot is taken first and the windows admit the call only then, all together, so the
    call is sent right after it was counted. A window with a limit of 0 or less is unlimited.
    While a window is full the slot is given back for the wait, so calls that need no room in
    it (reads, when batch calls are the ones waiting) keep flowing.
    """
    client = _redis()
    active = [(bucket, limit) for bucket, limit in windows if limit > 0]
    keys = [_key(bucket) for bucket, _ in active]
    limits = [limit for _, limit in active]
    span = (window_seconds() if window is None else window) + margin
    slot_key, slot_limit = (_key(in_flight[0], "inflight"), in_flight[1]) if in_flight else ("", 0)
    member = uuid.uuid4().hex
    lease = uuid.uuid4().hex
    waited = 0.0
    while True:
        if slot_limit > 0:
            _take_slot(client, slot_key, slot_limit, lease)
        admitted, value = _admit(client, keys, limits, span, member) if keys else (True, 0.0)
        if admitted:
            break
        if slot_limit > 0:
            client.zrem(slot_key, lease)
        pause = min(max(value, 0.01), MAX_SLEEP)
        time.sleep(pause)
        waited += pause
    if waited:
        logger.info("Paced %s: waited %.1fs for the rate window", active[0][0], waited)
    try:
        yield Grant(at=value if keys else None, waited=waited)
    finally:
        if slot_limit > 0:
            client.zrem(slot_key, lease)


def wait_for_window(
    bucket: str, per_minute: int, *, window: float | None = None, margin: float = TRANSIT_MARGIN
) -> float:
    """Block until one more call fits in ``bucket``'s sliding window; returns seconds waited.

    ``per_minute`` calls are allowed per ``window`` seconds (``window_seconds()`` unless a test
    says), counted over ``window + margin``.
    """
    with paced([(bucket, per_minute)], window=window, margin=margin) as grant:
        return grant.waited


@contextmanager
def in_flight_slot(bucket: str, limit: int):
    """Hold one of ``limit`` concurrent slots of ``bucket`` for the duration of the block."""
    if limit <= 0:
        yield
        return
    client = _redis()
    key = _key(bucket, "inflight")
    lease = uuid.uuid4().hex
    _take_slot(client, key, limit, lease)
    try:
        yield
    finally:
        client.zrem(key, lease)


# --- Back-off for transient errors --------------------------------------------------------------


def retry_tries() -> int:
    """How many times a retryable call is tried in all (``INTEGRATION_RETRY_TRIES``, default 5)."""
    return max(1, int(getattr(settings, "INTEGRATION_RETRY_TRIES", 5)))


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds to sleep before retry number ``attempt`` (1-based): capped exponential + jitter.

    The delay is random between half the exponential bound and the bound ("equal jitter"), so
    workers that failed together do not retry together. A provider's ``Retry-After`` is a
    floor, honoured up to a minute.
    """
    base = float(getattr(settings, "INTEGRATION_RETRY_BASE_SECONDS", 0.5))
    cap = float(getattr(settings, "INTEGRATION_RETRY_CAP_SECONDS", 8.0))
    bound = min(cap, base * (2 ** (attempt - 1)))
    delay = random.uniform(bound / 2, bound)
    if retry_after:
        delay = max(delay, min(float(retry_after), 60.0))
    return delay


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is rare for APIs and ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
