"""The address of the client behind our own proxies, for rate limits.

Behind a load balancer every request comes from the balancer's address, so a limit keyed on
``REMOTE_ADDR`` is one bucket for everybody: one attacker's failed logins lock every user out.
Each proxy appends the address it received the request from to ``X-Forwarded-For``, so with
``TRUSTED_PROXY_COUNT`` proxies of our own the client is the entry that many places from the
right. Anything further left was written by the client and is ignored. With the default of 0 the
header is never read, so a client cannot choose its own bucket by sending one.
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's IP address (``REMOTE_ADDR`` unless trusted proxies say otherwise)."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("X-Forwarded-For", "") if count > 0 else ""
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if hops:
        # Fewer hops than proxies: the request skipped an outer proxy, and the leftmost entry
        # is the one our first proxy wrote.
        candidate = hops[-count] if len(hops) >= count else hops[0]
        ip = _valid(candidate)
        if ip:
            return ip
        logger.warning("X-Forwarded-For entry from a trusted proxy is not an IP address")
    return _valid(remote) or remote
