"""Client-side pacing shared by every worker process through Redis.

QuickBooks allows 500 requests a minute per realm, 10 in flight and 40 batch calls a minute
(Intuit's documented throttles); going over earns 429s. LACRM publishes no limit; we default
to 300 a minute per connection (5/s: fast enough for a demo, gentle enough for a real account) — set
``LACRM_REQUESTS_PER_MINUTE`` to change it.

Both limits are sliding one-minute windows kept in a Redis sorted set and checked with a Lua
script using Redis's own clock, so they hold across processes, threads and hosts. A caller over
the limit *waits* (sleeps until the oldest call leaves the window) rather than failing. In-flight
slots are a Redis sorted set of lease ids scored by their expiry, so a crashed worker's slot
frees itself.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60.0
# A single wait never sleeps longer than this before checking again.
MAX_SLEEP = 2.0
# An in-flight lease expires after this long even if its holder died without releasing it.
LEASE_SECONDS = 120.0

# Returns 0 when the call was admitted, else the seconds to wait before trying again.
_WINDOW_SCRIPT = """
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local member = ARGV[3]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(window * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
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
_client_url: str | None = None


def _redis() -> redis.Redis:
    global _client, _client_url
    if _client is None or _client_url != settings.REDIS_URL:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
        _client_url = settings.REDIS_URL
    return _client


def _key(*parts: str) -> str:
    # Under the cache's prefix, so a test run's buckets are cleared with its cache keys.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "ledgerlink")
    return ":".join((prefix, "pace", *parts))


@dataclass(frozen=True)
class Limits:
    """Limits for one bucket: requests per minute, concurrency, batch calls per minute."""

    per_minute: int
    in_flight: int = 0
    batches_per_minute: int = 0


def wait_for_window(bucket: str, per_minute: int, *, window: float = WINDOW_SECONDS) -> float:
    """Block until one more call fits in ``bucket``'s sliding window; returns seconds waited.

    ``per_minute`` calls are allowed per ``window`` seconds (a minute unless a test says).
    """
    if per_minute <= 0:
        return 0.0
    client = _redis()
    key = _key(bucket)
    waited = 0.0
    member = uuid.uuid4().hex
    while True:
        wait = float(client.eval(_WINDOW_SCRIPT, 1, key, window, per_minute, member))
        if wait <= 0:
            if waited:
                logger.info("Paced %s: waited %.1fs for the rate window", bucket, waited)
            return waited
        pause = min(max(wait, 0.01), MAX_SLEEP)
        time.sleep(pause)
        waited += pause


@contextmanager
def in_flight_slot(bucket: str, limit: int):
    """Hold one of ``limit`` concurrent slots of ``bucket`` for the duration of the block."""
    if limit <= 0:
        yield
        return
    client = _redis()
    key = _key(bucket, "inflight")
    lease = uuid.uuid4().hex
    pause = 0.02
    while True:
        if client.eval(_SLOT_SCRIPT, 1, key, limit, lease, LEASE_SECONDS):
            break
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
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
