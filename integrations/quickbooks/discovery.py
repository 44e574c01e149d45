"""Intuit's OpenID discovery document, kept per process for an hour.

intuitlib's ``AuthClient`` fetches the document in its constructor, every time, and cannot be
handed the endpoints instead (``setAuthorizeURLs`` only works after the fetch). Every token
refresh builds an AuthClient, so without this cache each refresh cost a second round trip to
Intuit. ``oauth.TimeoutAuthClient`` answers the constructor's GET from here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import requests

logger = logging.getLogger(__name__)

# Seconds a process keeps the document before fetching it again.
DISCOVERY_TTL = 3600.0
# The keys intuitlib reads from the document (a document without them is never cached).
DISCOVERY_KEYS = (
    "authorization_endpoint",
    "token_endpoint",
    "revocation_endpoint",
    "issuer",
    "jwks_uri",
    "userinfo_endpoint",
)
_discovery_documents: dict[str, tuple[float, bytes]] = {}
_discovery_lock = threading.Lock()


def forget_discovery_documents() -> None:
    """Empty this process's discovery cache (the next AuthClient fetches the document)."""
    with _discovery_lock:
        _discovery_documents.clear()


def _usable_discovery(response: requests.Response) -> bool:
    if response.status_code != 200:
        return False
    try:
        doc = response.json()
    except ValueError:
        return False
    return isinstance(doc, dict) and all(doc.get(key) for key in DISCOVERY_KEYS)


def _cached_response(url: str, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.url = url
    response.encoding = "utf-8"
    response.headers["Content-Type"] = "application/json"
    response._content = body
    return response


def discovery_response(url: str, fetch: Callable[[], requests.Response]) -> requests.Response:
    """The discovery document at ``url``: from this process's cache, else ``fetch()``ed.

    The lock is held while fetching so that threads starting together fetch once.
    """
    with _discovery_lock:
        now = time.time()
        cached = _discovery_documents.get(url)
        if cached is not None and 0 <= now - cached[0] < DISCOVERY_TTL:
            return _cached_response(url, cached[1])
        response = fetch()
        if _usable_discovery(response):
            _discovery_documents[url] = (now, response.content)
            logger.info("Fetched Intuit's discovery document")
        return response
