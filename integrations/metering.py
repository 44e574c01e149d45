"""Metered reads: what each workspace (and the whole install) spent of a provider's monthly
read allowance.

Intuit meters QuickBooks reads and queries ("CorePlus" calls: queries, GETs, CDC) per app per
calendar month, across all its customers; writes are free. The QuickBooks transport calls
``count`` once per read request it sends (retries included: each reaches Intuit), so the
figures match what Intuit sees. Counters are Redis keys, one ``INCR`` per read for the account
and one for the install, kept for 40 days; a Redis hiccup never fails the API call itself.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

ALL = "all"
KEEP_SECONDS = 40 * 24 * 3600
_client: redis.Redis | None = None
_client_url: str | None = None
# A batch's calls run on several threads (sync.runs.calls): without the lock two of them could
# each make a client, and the one dropped closes its pool (redis-py does on garbage collection)
# under the other thread's command ("I/O operation on closed file").
_client_lock = threading.Lock()


def _redis() -> redis.Redis:
    global _client, _client_url
    with _client_lock:
        if _client is None or _client_url != settings.REDIS_URL:
            _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
            _client_url = settings.REDIS_URL
        return _client


def month_of(moment: datetime | None = None) -> str:
    return (moment or timezone.now()).astimezone(UTC).strftime("%Y-%m")


def _key(system: str, month: str, account: str) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "ledgerlink")
    return ":".join((prefix, "reads", system, month, account))


def count(system: str, account: str, n: int = 1) -> None:
    """Add ``n`` reads of ``system`` for ``account`` (a workspace id) and for the install."""
    month = month_of()
    try:
        pipe = _redis().pipeline(transaction=False)
        for key in (_key(system, month, account), _key(system, month, ALL)):
            pipe.incrby(key, n)
            pipe.expire(key, KEEP_SECONDS)
        pipe.execute()
    except redis.RedisError:
        logger.warning("could not count a %s read for %s", system, account)


def reads(system: str, account: str = ALL, month: str | None = None) -> int:
    """Reads this month (or ``month``, "YYYY-MM") for ``account``, or the whole install."""
    try:
        value = _redis().get(_key(system, month or month_of(), account))
    except redis.RedisError:
        logger.warning("could not read the %s read counter", system)
        return 0
    return int(value or 0)


def accounts(system: str, month: str | None = None) -> dict[str, int]:
    """Every account's reads this month (the operator page), biggest first."""
    prefix = _key(system, month or month_of(), "")
    found = {}
    client = _redis()
    for key in client.scan_iter(match=prefix + "*", count=1000):
        name = key.decode()[len(prefix) :]
        if name != ALL:
            found[name] = int(client.get(key) or 0)
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))
