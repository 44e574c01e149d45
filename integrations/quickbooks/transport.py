"""HTTP to the QBO Accounting API: python-quickbooks with timeouts, pacing and typed errors.

``python-quickbooks`` builds the requests (URLs, ``minorversion``, ``requestid``) and parses JSON;
this module subclasses its client (no monkeypatching) to add what it lacks: a timeout on every
call, the shared per-realm pacing, and turning HTTP statuses and QBO faults — including the
lower-case 401 body and the XML 429 — into the typed errors of ``integrations.errors``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import requests
from django.conf import settings
from quickbooks.client import QuickBooks
from quickbooks.exceptions import QuickbooksException

from integrations import metering, pacing
from integrations.errors import (
    AuthExpired,
    DuplicateName,
    IntegrationError,
    NotFound,
    RateLimited,
    ReconnectNeeded,
    StaleObject,
    TransientError,
    ValidationFailed,
)
from integrations.quickbooks import limits
from integrations.records import QBO

logger = logging.getLogger(__name__)

MINOR_VERSION = 75
# (connect, read) seconds. QBO answers in well under a second normally; a batch of 30 creates
# can take several seconds on a bad day.
TIMEOUT = (5.0, 30.0)
T = TypeVar("T")

# Words in a fault's element/detail → the field a user would recognise.
SUBJECTS = (
    ("email", "email address"),
    ("phone", "phone number"),
    ("fax", "fax number"),
    ("displayname", "name"),
    ("givenname", "first name"),
    ("familyname", "last name"),
    ("companyname", "company name"),
    ("addr", "address"),
    ("webaddr", "website"),
    ("uri", "website"),
    ("notes", "notes"),
)


class TokenSource(Protocol):
    """Where a client gets access tokens: refreshed under a row lock by ``oauth.py``."""

    def access_token(self) -> str: ...

    def force_refresh(self, rejected_token: str) -> str: ...


def _subject(error: Mapping) -> str:
    haystack = f"{error.get('element', '')} {error.get('Detail', '')}".lower().replace(" ", "")
    for needle, subject in SUBJECTS:
        if needle in haystack:
            return subject
    return "customer"


def fault_errors(payload: Mapping) -> list[Mapping]:
    """The error entries of a ``Fault`` or lower-case ``fault`` envelope, keys capitalised."""
    fault = payload.get("Fault") or payload.get("fault") or {}
    entries = fault.get("Error") or fault.get("error") or []
    normalised = []
    for entry in entries:
        normalised.append(
            {
                "code": str(entry.get("code", "")),
                "Message": entry.get("Message") or entry.get("message") or "",
                "Detail": entry.get("Detail") or entry.get("detail") or "",
                "element": entry.get("element") or "",
            }
        )
    return normalised


def fault_to_error(payload: Mapping, *, status: int = 400) -> IntegrationError:
    """A typed error for a QBO ``Fault`` (a whole response or one batch item's ``Fault``)."""
    if "Error" in payload or "error" in payload:
        payload = {"Fault": payload}
    errors = fault_errors(payload)
    first = errors[0] if errors else {"code": "", "Message": "", "Detail": "", "element": ""}
    code = first["code"].lstrip("0") or first["code"]
    detail = first["Detail"] or first["Message"] or f"HTTP {status}"
    if code == "6240":
        existing = re.search(r"Id=(\d+)", detail)
        return DuplicateName(
            f"QuickBooks already has a customer, vendor or employee with this name: {detail}",
            existing_id=existing.group(1) if existing else "",
            code=code,
            system=QBO,
        )
    if code == "5010":
        return StaleObject(
            "QuickBooks says the customer changed while we were updating it.", code=code, system=QBO
        )
    if code == "610":
        return NotFound(f"QuickBooks could not find the record: {detail}", code=code, system=QBO)
    if code == "3001" or status == 429:
        return RateLimited("QuickBooks throttled our requests.", code="3001", system=QBO)
    if code == "3200" or status == 401:
        return AuthExpired("The QuickBooks access token expired.", code="3200", system=QBO)
    if code in ("120", "3100") or status == 403:
        return ReconnectNeeded(
            "QuickBooks refused access to this company (the connection lost its permission). "
            "Reconnect QuickBooks as a company administrator.",
            code=code,
            system=QBO,
        )
    if status >= 500 or code == "10000":
        return TransientError(f"QuickBooks had a server error: {detail}", code=code, system=QBO)
    return ValidationFailed(
        f"QuickBooks rejected the {_subject(first)}: {detail}", code=code, system=QBO
    )


def error_for_response(response: requests.Response) -> IntegrationError | None:
    """``None`` for a 200, else the typed error the response stands for."""
    status = response.status_code
    if status == 200:
        return None
    if status == 429 or "ThrottleExceeded" in response.text[:2000]:
        return RateLimited(
            "QuickBooks throttled our requests.",
            code="3001",
            system=QBO,
            retry_after=pacing.parse_retry_after(response.headers.get("Retry-After")),
        )
    if status == 401:
        return AuthExpired("The QuickBooks access token expired.", code="3200", system=QBO)
    if status >= 500:
        return TransientError(f"QuickBooks answered HTTP {status}.", code=str(status), system=QBO)
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if isinstance(payload, Mapping) and fault_errors(payload):
        return fault_to_error(payload, status=status)
    return ValidationFailed(f"QuickBooks answered HTTP {status}.", code=str(status), system=QBO)


class PacedQuickBooks(QuickBooks):
    """python-quickbooks with a timeout, Redis pacing and typed errors on every request.

    Built without an ``AuthClient``: the library would refresh a missing access token itself
    (and lose the rotated refresh token, issue #392); here the token always comes from our own
    store, refreshed under a row lock.
    """

    def __new__(cls, *, realm_id: str, access_token: str, api_base: str = "", meter: str = ""):
        if not access_token:
            # The library's own constructor would "helpfully" refresh here; never let it.
            raise ReconnectNeeded("QuickBooks has no access token; reconnect QuickBooks.")
        instance = super().__new__(cls, company_id=realm_id, minorversion=MINOR_VERSION)
        instance.use_decimal = True
        instance.access_token = access_token
        instance.session = requests.Session()
        # Whose monthly read allowance a read spends (``integrations.metering``).
        instance.meter = meter or f"realm:{realm_id}"
        if api_base:
            instance.api_url_v3 = instance.sandbox_api_url_v3 = api_base.rstrip("/")
        return instance

    def process_request(self, request_type, url, headers="", params="", data=""):
        headers = dict(headers or {})
        headers["Authorization"] = f"Bearer {self.access_token}"
        is_batch = url.rstrip("/").endswith("/batch")
        if is_read(request_type, url):
            metering.count(QBO, self.meter)
        with limits.qbo_request(str(self.company_id), batch=is_batch):
            try:
                response = self.session.request(
                    request_type, url, headers=headers, params=params, data=data, timeout=TIMEOUT
                )
            except requests.Timeout as exc:
                raise TransientError("QuickBooks did not answer in time.", system=QBO) from exc
            except requests.ConnectionError as exc:
                raise TransientError("Could not reach QuickBooks.", system=QBO) from exc
        error = error_for_response(response)
        if error is not None:
            raise error
        return response


def is_read(request_type: str, url: str) -> bool:
    """A metered call: every GET (entities, CDC, company info) and every query."""
    path = url.split("?", 1)[0].rstrip("/")
    return request_type.upper() == "GET" or path.endswith("/query")


def api_base_url() -> str:
    """``QBO_API_BASE_URL`` when set (the sandbox), else Intuit's URL for the environment."""
    if settings.QBO_API_BASE_URL:
        return settings.QBO_API_BASE_URL
    if settings.QBO_ENVIRONMENT == "sandbox":
        return QuickBooks.sandbox_api_url_v3
    return QuickBooks.api_url_v3


class Transport:
    """Runs API calls for one realm: fresh tokens, one refresh on 401, bounded retries."""

    def __init__(self, realm_id: str, tokens: TokenSource, meter: str = "") -> None:
        self.realm_id = realm_id
        self._tokens = tokens
        self._meter = meter
        self._qb: PacedQuickBooks | None = None

    def _client(self, token: str | None = None) -> PacedQuickBooks:
        token = token or self._tokens.access_token()
        if self._qb is None or self._qb.access_token != token:
            self._qb = PacedQuickBooks(
                realm_id=self.realm_id,
                access_token=token,
                api_base=api_base_url(),
                meter=self._meter,
            )
        return self._qb

    def call(self, operation: str, fn: Callable[[PacedQuickBooks], T], *, retry: bool = True) -> T:
        """Run ``fn(qb)``; refresh once on a 401 and retry transient errors with back-off.

        A 401 refreshes at most once per call: the retry uses the token the refresh returned
        (asking the token source again could refresh a second time), and a second 401 ends
        the call.
        """
        refreshed: str | None = None
        attempt = 0
        tries = pacing.retry_tries() if retry else 1
        while True:
            qb = self._client(refreshed)
            try:
                return fn(qb)
            except AuthExpired:
                if refreshed is not None:
                    raise ReconnectNeeded(
                        "QuickBooks rejected a freshly refreshed token; reconnect QuickBooks.",
                        code="3200",
                        system=QBO,
                    ) from None
                refreshed = self._tokens.force_refresh(qb.access_token)
            except (RateLimited, TransientError) as exc:
                attempt += 1
                if attempt >= tries:
                    logger.warning(
                        "QBO %s on realm %s gave up after %s tries",
                        operation,
                        self.realm_id,
                        attempt,
                    )
                    raise
                delay = pacing.retry_delay(attempt, getattr(exc, "retry_after", None))
                logger.info(
                    "QBO %s on realm %s: %s; retrying in %.1fs",
                    operation,
                    self.realm_id,
                    exc.__class__.__name__,
                    delay,
                )
                time.sleep(delay)
            except QuickbooksException as exc:
                # A 200 carrying a Fault (the library raised it): map it like any other fault.
                raise fault_to_error(
                    {
                        "Fault": {
                            "Error": [
                                {
                                    "code": str(exc.error_code),
                                    "Message": exc.message,
                                    "Detail": exc.detail,
                                }
                            ]
                        }
                    }
                ) from None

    def get(self, path: str, params: dict | None = None, *, retry: bool = True) -> dict:
        return self.call(
            f"GET {path}",
            lambda qb: qb.get(f"{qb.api_url}/company/{self.realm_id}/{path}", params=params or {}),
            retry=retry,
        )

    def post(
        self,
        path: str,
        body: Any,
        *,
        request_id: str | None = None,
        retry: bool = True,
        content_type: str = "application/json",
    ) -> dict:
        return self.call(
            f"POST {path}",
            lambda qb: qb.post(
                f"{qb.api_url}/company/{self.realm_id}/{path}",
                body,
                content_type=content_type,
                request_id=request_id,
            ),
            retry=retry,
        )

    def query(self, sql: str) -> dict:
        """Run a query (reads are always safe to retry)."""
        return self.post("query", sql, content_type="application/text")
