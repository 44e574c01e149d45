"""The Less Annoying CRM API v2 client the sync engine uses (requests, typed errors, pacing).

Every call is ``POST <LACRM_API_URL>`` with ``{"Function", "Parameters"}``. Reads and edits are
retried on 429/5xx/timeouts with back-off; creates (CreateContact, CreateNote) are not
idempotent, so they are retried only when the request was certainly not processed (429, or the
connection never opened) and otherwise raise ``TransientError`` for the engine's outbox to
search-then-adopt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import requests
from django.conf import settings

from integrations import pacing
from integrations.errors import (
    AuthExpired,
    IntegrationError,
    NotFound,
    RateLimited,
    TransientError,
    ValidationFailed,
)
from integrations.lacrm import limits, mapping
from integrations.lacrm.removal import RemovalCalls
from integrations.lacrm.webhook_calls import WebhookCalls
from integrations.records import LACRM, ContactRecord, CreatePreview, CreateResult

logger = logging.getLogger(__name__)

TIMEOUT = (5.0, 30.0)
PAGE_SIZE = 10000
SEARCH_PAGE_SIZE = 500


class LacrmAuth(Protocol):
    """Supplies the ``Authorization`` header and reacts when LACRM rejects it."""

    pace_key: str

    def header(self) -> str: ...

    def rejected(self, header: str) -> None:
        """Called on "Invalid credentials": refresh (OAuth) or raise ``ReconnectNeeded``."""


def _error_for(response: requests.Response) -> IntegrationError | None:
    status = response.status_code
    if status == 200:
        return None
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    description = str(payload.get("ErrorDescription") or "") if isinstance(payload, Mapping) else ""
    code = str(payload.get("ErrorCode") or "") if isinstance(payload, Mapping) else ""
    if status == 429:
        return RateLimited(
            "Less Annoying CRM throttled our requests.",
            code=code or "429",
            system=LACRM,
            retry_after=pacing.parse_retry_after(response.headers.get("Retry-After")),
        )
    if status >= 500:
        return TransientError(f"Less Annoying CRM answered HTTP {status}.", code=code, system=LACRM)
    lowered = description.lower()
    if status in (401, 403) or "invalid credentials" in lowered:
        return AuthExpired(
            "Less Annoying CRM did not accept the credentials: Invalid credentials.",
            code=code,
            system=LACRM,
        )
    if any(t in lowered for t in ("no contact", "no note", "not found", "does not exist")):
        return NotFound(f"Less Annoying CRM: {description}", code=code, system=LACRM)
    return ValidationFailed(
        f"Less Annoying CRM rejected the request: {description or f'HTTP {status}'}",
        code=code,
        system=LACRM,
    )


class LacrmClient(RemovalCalls, WebhookCalls):
    """One LACRM user's contacts as neutral records; see the module docstring.

    It is the workspace's ``integrations.protocols.CRM``.
    """

    system = LACRM
    create_batch_size = 1

    def __init__(self, *, user_id: int, auth: LacrmAuth, api_url: str | None = None) -> None:
        self.user_id = int(user_id)
        self._auth = auth
        self._url = api_url or settings.LACRM_API_URL
        # A batch's calls run on several threads (``sync.runs.calls``): one requests.Session
        # per thread, and one thread at a time asks for (or refreshes) the credentials.
        self._local = threading.local()
        self._lock = threading.Lock()
        # Requests sent by this client (the edit poll reports what it cost).
        self.requests_sent = 0

    @property
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    # --- transport ------------------------------------------------------------------------------

    def _post(self, function: str, params: dict[str, Any], header: str) -> requests.Response:
        with limits.lacrm_request(self._auth.pace_key):
            with self._lock:
                self.requests_sent += 1
            return self._session.post(
                self._url,
                json={"Function": function, "Parameters": params},
                headers={"Authorization": header, "Accept": "application/json"},
                timeout=TIMEOUT,
            )

    def call(
        self, function: str, params: dict[str, Any] | None = None, *, idempotent: bool = True
    ) -> Any:
        """Call one API function and return its JSON (``None`` for an empty body)."""
        params = params or {}
        tries = pacing.retry_tries()
        attempt = 0
        reauthenticated = False
        while True:
            with self._lock:
                header = self._auth.header()
            try:
                if not header.isascii():
                    # HTTP headers carry only ASCII (http.client would raise
                    # UnicodeEncodeError): such a credential is never valid, so it is treated
                    # like one LACRM refused, without sending it.
                    error = AuthExpired(
                        "Less Annoying CRM did not accept the credentials: Invalid credentials.",
                        system=LACRM,
                    )
                else:
                    response = self._post(function, params, header)
                    error = _error_for(response)
            except requests.ConnectTimeout:
                # The connection never opened: nothing was processed, any call may retry.
                error = TransientError("Could not reach Less Annoying CRM.", system=LACRM)
                error.not_sent = True
            except requests.Timeout:
                error = TransientError("Less Annoying CRM did not answer in time.", system=LACRM)
                if not idempotent:
                    raise error from None
            except requests.ConnectionError:
                error = TransientError("The connection to Less Annoying CRM failed.", system=LACRM)
                if not idempotent:
                    raise error from None
            if error is None:
                return response.json() if response.content.strip() else None
            if isinstance(error, AuthExpired):
                if reauthenticated:
                    raise error
                # Refreshes OAuth tokens, or marks an API-key connection "reconnect needed".
                with self._lock:
                    self._auth.rejected(header)
                reauthenticated = True
                continue
            if isinstance(error, RateLimited) or (
                isinstance(error, TransientError) and (idempotent or _not_sent(error))
            ):
                attempt += 1
                if attempt >= tries:
                    raise error
                delay = pacing.retry_delay(attempt, getattr(error, "retry_after", None))
                logger.info(
                    "LACRM %s: %s; retrying in %.1fs", function, type(error).__name__, delay
                )
                time.sleep(delay)
                continue
            raise error

    # --- reads ----------------------------------------------------------------------------------

    def get_user(self) -> dict:
        return self.call("GetUser")

    def iter_contacts(self, *, include_inactive: bool = False) -> Iterator[ContactRecord]:
        """Every contact and company, oldest first, 10,000 per page (LACRM has no inactive)."""
        page = 1
        while True:
            data = self.call(
                "GetContacts",
                {
                    "MaxNumberOfResults": PAGE_SIZE,
                    "SortBy": "DateCreated",
                    "SortDirection": "Ascending",
                    "Page": page,
                },
            )
            for contact in data.get("Results") or []:
                yield mapping.contact_to_record(contact)
            if not data.get("HasMoreResults"):
                return
            page += 1

    def get_contact(self, contact_id: str) -> ContactRecord:
        return mapping.contact_to_record(self.call("GetContact", {"ContactId": str(contact_id)}))

    def search_contacts(self, terms: str) -> list[ContactRecord]:
        """Contacts and companies matching ``terms`` (LACRM's search), best first."""
        if not terms.strip():
            return []
        data = self.call(
            "GetContacts", {"SearchTerms": terms, "MaxNumberOfResults": SEARCH_PAGE_SIZE}
        )
        return [mapping.contact_to_record(c) for c in data.get("Results") or []]

    def list_notes(self, contact_id: str) -> list[dict]:
        """The contact's notes as ``{"id", "text", "created"}``, all pages."""
        notes: list[dict] = []
        page = 1
        while True:
            data = self.call(
                "GetNotesAttachedToContact",
                {"ContactId": str(contact_id), "MaxNumberOfResults": PAGE_SIZE, "Page": page},
            )
            for note in data.get("Results") or []:
                notes.append(
                    {
                        "id": str(note.get("NoteId") or ""),
                        "text": note.get("Note") or "",
                        "created": note.get("DateCreated") or "",
                    }
                )
            if not data.get("HasMoreResults"):
                return notes
            page += 1

    def iter_recently_updated(self, page_size: int) -> Iterator[dict]:
        """Contacts and companies, most recently updated first, as LACRM's raw objects.

        ``SortBy: LastUpdate, Descending`` pages through the account newest first; the caller
        stops reading (and so stops paging) once it reaches what it has already seen.
        """
        page = 1
        while True:
            data = self.call(
                "GetContacts",
                {
                    "SortBy": "LastUpdate",
                    "SortDirection": "Descending",
                    "MaxNumberOfResults": page_size,
                    "Page": page,
                },
            )
            yield from data.get("Results") or []
            if not data.get("HasMoreResults"):
                return
            page += 1

    def existing_ids(self, contact_ids: Sequence[str], *, chunk: int = SEARCH_PAGE_SIZE) -> set:
        """Which of ``contact_ids`` still exist (GetContactsById, ``chunk`` ids per call)."""
        found: set[str] = set()
        ids = [str(i) for i in contact_ids]
        for start in range(0, len(ids), chunk):
            part = ids[start : start + chunk]
            data = self.call(
                "GetContactsById", {"ContactIds": part, "MaxNumberOfResults": len(part)}
            )
            found.update(str(c.get("ContactId")) for c in data.get("Results") or [])
        return found

    # --- writes ---------------------------------------------------------------------------------

    def _write_with_fallbacks(self, function: str, params: dict, notes: list[str]) -> Any:
        """Call a write; on a rejected contact-info Type (or Name object) retry without it."""
        tried_types = tried_name = False
        while True:
            try:
                return self.call(function, params, idempotent=function == "EditContact")
            except ValidationFailed as exc:
                text = exc.message.lower()
                if not tried_types and "type" in text and mapping.has_types(params):
                    tried_types = True
                    params = mapping.strip_types(params)
                    notes.append(
                        "Less Annoying CRM did not accept the email/phone type for this account, "
                        "so the values were saved with the account's default type."
                    )
                    continue
                if not tried_name and '"name"' in text and isinstance(params.get("Name"), dict):
                    tried_name = True
                    params = {**params, "Name": " ".join(v for v in params["Name"].values() if v)}
                    continue
                raise

    def create_contact(self, key: str, record: ContactRecord) -> CreateResult:
        """Create a person (with its company) or a company record; never auto-retried on timeout.

        Raises ``TransientError`` when the outcome is unknown (timeout, 5xx): the engine then
        searches for the record before creating again. Validation problems come back in
        ``CreateResult.error``.
        """
        notes: list[str] = []
        params = mapping.record_to_create_params(record, self.user_id)
        try:
            data = self._write_with_fallbacks("CreateContact", params, notes)
        except (ValidationFailed, NotFound) as exc:
            return CreateResult(key=key, error=exc, notes=notes)
        contact_id = str((data or {}).get("ContactId") or "")
        if not contact_id:
            raise TransientError(
                "Less Annoying CRM did not return the new contact's id.", system=LACRM
            )
        created = replace(
            record,
            system=LACRM,
            id=contact_id,
            is_company=not mapping.is_person(record),
            sync_token="",
            parent_id="",
            updated_at=None,
            created_at=None,
        )
        return CreateResult(key=key, record=created, notes=notes)

    def edit_contact(self, contact_id: str, record_fields: dict) -> None:
        """Change only the given neutral fields (lists replace LACRM's lists: merge first)."""
        params = mapping.changes_to_edit_params(record_fields)
        if "Name" in params and not all(a in record_fields for a in mapping.NAME_ATTRS):
            # LACRM replaces the whole name: fill in the parts that were not given.
            current = self.get_contact(contact_id)
            params["Name"] = mapping.changes_to_edit_params(record_fields, current)["Name"]
        if not params:
            return
        self._write_with_fallbacks("EditContact", {"ContactId": str(contact_id), **params}, [])

    def create_note(self, contact_id: str, text: str) -> str:
        """Add a plain-text note to a contact's history; returns the NoteId."""
        data = self.call(
            "CreateNote", {"ContactId": str(contact_id), "Note": text}, idempotent=False
        )
        note_id = str((data or {}).get("NoteId") or "")
        if not note_id:
            raise TransientError(
                "Less Annoying CRM did not return the new note's id.", system=LACRM
            )
        return note_id

    # --- the CRM protocol (integrations.protocols) -----------------------------------------------

    def create_contacts(self, items: Sequence[tuple[str, ContactRecord]]) -> list[CreateResult]:
        """LACRM creates one contact per call (``create_batch_size`` is 1)."""
        if len(items) > self.create_batch_size:
            raise ValueError("Less Annoying CRM creates one contact per call")
        return [self.create_contact(key, record) for key, record in items]

    def describe_creates(
        self, records: Sequence[ContactRecord], existing: Iterable[ContactRecord] = ()
    ) -> list[CreatePreview]:
        """What ``CreateContact`` would receive for each record (no call is made)."""
        return mapping.describe_contact_creates(records, self.user_id)

    def find_possible_creations(self, record: ContactRecord) -> list[ContactRecord]:
        """Contacts an interrupted create could have made: LACRM's search by email, else name."""
        terms = record.primary_email or record.name
        return self.search_contacts(terms) if terms else []

    def update_contact(self, contact_id: str, changes: dict, version: str = "") -> None:
        self.edit_contact(contact_id, changes)  # LACRM contacts carry no version.


def _not_sent(error: IntegrationError) -> bool:
    """True when the request certainly never reached LACRM (safe to retry even a create)."""
    return bool(getattr(error, "not_sent", False))
