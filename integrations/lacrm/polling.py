"""The cheap poll for edited and deleted Less Annoying CRM contacts (LACRM sends no event).

Edits: ``GetContacts`` sorted by ``LastUpdate``, newest first, ``PAGE_SIZE`` per call, read until
the cursor (the newest ``LastUpdate`` the previous poll handed on) is reached. A quiet account
costs one call per poll; N edits since the last poll cost about N / PAGE_SIZE + 1 calls. The
first poll of a workspace only sets the cursor (normally one call): what changed before it is
the full sync's business. A record whose ``DateCreated`` equals its ``LastUpdate`` is reported as
"created" with the webhook's event id, so the intake drops whichever of the two comes second.

Deletions: LACRM's list never shows a deleted record, so at most once per
``DELETION_CHECK_EVERY`` the linked contact ids are looked up with ``GetContactsById`` (500 per
call); the missing ones are reported as "deleted", which flags their link. The linked ids come
from the sync app (``sync.continuous.lacrm_poll``), which owns the ledger.

Everything found is handed to ``integrations.changes.deliver`` with the source ``lacrm_poll``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from integrations import changes
from integrations.errors import IntegrationError
from integrations.lacrm.models import DEFAULT_POLL_MINUTES, LacrmEditCursor
from integrations.lacrm.webhooks import ensure_webhook
from integrations.lacrm.webhooks import event_id as created_event_id
from integrations.records import LACRM

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
DELETION_CHECK_EVERY = timedelta(hours=1)
SOURCE = "lacrm_poll"


@dataclass
class PollResult:
    """What one poll found and delivered, and what it cost in LACRM calls."""

    changes: list[changes.Change] = field(default_factory=list)
    calls: int = 0
    edits: int = 0
    deletions: int = 0
    baseline: bool = False
    deletions_checked: bool = False


def _moment(value) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def cursor_of(workspace) -> LacrmEditCursor:
    cursor, _ = LacrmEditCursor.objects.for_workspace(workspace).get_or_create(workspace=workspace)
    return cursor


def is_due(workspace, now=None) -> bool:
    """True when the workspace's poll interval has passed since its last poll."""
    state = LacrmEditCursor.objects.for_workspace(workspace).first()
    if state is None or state.last_polled_at is None:
        return True
    now = now or timezone.now()
    return now - state.last_polled_at >= timedelta(minutes=state.interval_minutes)


def poll_edits(
    workspace,
    linked_ids: Iterable[str] | None = None,
    *,
    client=None,
    force_deletion_check: bool = False,
    page_size: int = PAGE_SIZE,
    only_if_due: bool = False,
) -> PollResult | None:
    """Find contacts edited since the cursor and linked contacts that are gone, deliver them,
    and move the cursor. Without ``linked_ids`` only edits are looked for.

    ``only_if_due``: do nothing (``None``) until the workspace's interval has passed. In
    continuous mode a missing webhook is registered first (``webhooks.ensure_webhook``).

    Raises the client's ``IntegrationError`` (nothing moves then; the next poll starts from the
    same cursor).
    """
    if only_if_due and not is_due(workspace):
        return None
    ensure_webhook(workspace)
    if client is None:
        from integrations.lacrm.connection import lacrm_client

        client = lacrm_client(workspace)
    sent_before = getattr(client, "requests_sent", 0)
    state = cursor_of(workspace)
    result = PollResult()
    try:
        newest, ids_at_newest = _edits(client, state, result, page_size)
        due = state.last_deletions_checked_at is None or (
            timezone.now() - state.last_deletions_checked_at >= DELETION_CHECK_EVERY
        )
        linked = sorted({str(i) for i in linked_ids or () if i})
        if linked and (due or force_deletion_check):
            _deletions(client, linked, result)
    except IntegrationError as exc:
        LacrmEditCursor.objects.filter(pk=state.pk).update(last_error=exc.message[:300])
        raise
    result.calls = getattr(client, "requests_sent", 0) - sent_before
    with transaction.atomic():
        # Delivered with the cursor's move: both happen or neither does.
        changes.deliver(workspace, LACRM, result.changes, SOURCE)
        state = LacrmEditCursor.objects.select_for_update().get(pk=state.pk)
        if newest is not None:
            state.cursor = newest
            state.ids_at_cursor = ids_at_newest
        state.last_polled_at = timezone.now()
        if result.deletions_checked:
            state.last_deletions_checked_at = state.last_polled_at
        state.last_calls = result.calls
        state.last_changes = len(result.changes)
        state.last_error = ""
        state.save()
    logger.info(
        "Workspace %s: LACRM poll found %s edit(s), %s deletion(s) in %s call(s)",
        workspace.pk,
        result.edits,
        result.deletions,
        result.calls,
    )
    return result


def _edits(client, state: LacrmEditCursor, result: PollResult, page_size: int):
    """Read newest first until the cursor; returns the new cursor and the ids at it.

    Without a cursor (the first poll) the newest second is read, to set the cursor there with
    every id at it (one call, unless more than a page share that second).

    LACRM's times are whole seconds, so the cursor's own second is always read through: a
    contact handed on already may be listed ahead of another edited later in that same second.
    A quiet poll costs one call (more only while the cursor sits on a second that a bulk import
    filled, until the next edit moves it on).
    """
    seen_at_cursor = set(state.ids_at_cursor or [])
    newest: datetime | None = None
    ids_at_newest: list[str] = []
    result.baseline = state.cursor is None
    for contact in client.iter_recently_updated(page_size):
        contact_id = str(contact.get("ContactId") or "")
        updated = _moment(contact.get("LastUpdate"))
        if not contact_id or updated is None:
            continue  # Malformed: nothing to order it by; the next full sync sees it.
        newest = newest or updated
        if updated == newest:
            ids_at_newest.append(contact_id)
        if result.baseline:
            if updated < newest:
                break
            continue
        if updated < state.cursor:
            break
        if updated == state.cursor and contact_id in seen_at_cursor:
            # Handed on already. Keep reading: LACRM's times are whole seconds, so another
            # contact edited in that same second may come after it.
            continue
        result.changes.append(_edit(contact, contact_id, updated))
        result.edits += 1
    if newest is not None and newest == state.cursor:
        # Nothing newer than the cursor: keep the ids already handed on at that second.
        ids_at_newest = sorted(seen_at_cursor | set(ids_at_newest))
    return newest, ids_at_newest


def _edit(contact: dict, contact_id: str, updated: datetime) -> changes.Change:
    """An edited record, or a new one (created and not touched since) with the webhook's id."""
    created = _moment(contact.get("DateCreated"))
    if created is not None and created == updated:
        return changes.Change(
            record_id=contact_id,
            kind=changes.CREATED,
            occurred_at=updated,
            event_id=created_event_id(contact_id),
        )
    return changes.Change(
        record_id=contact_id,
        kind=changes.UPDATED,
        occurred_at=updated,
        event_id=f"lacrm:edit:{contact_id}:{updated.isoformat()}",
    )


def _deletions(client, linked: list[str], result: PollResult) -> None:
    existing = client.existing_ids(linked)
    now = timezone.now()
    for contact_id in linked:
        if contact_id not in existing:
            result.changes.append(
                changes.Change(
                    record_id=contact_id,
                    kind=changes.DELETED,
                    occurred_at=now,
                    event_id=f"lacrm:deleted:{contact_id}",
                )
            )
            result.deletions += 1
    result.deletions_checked = True


def register() -> None:
    """Offer the poller to the sync app (``integrations.changes``)."""
    changes.register_poller(LACRM, poll_edits)


def dashboard_line(workspace) -> str:
    """The dashboard's "LACRM edit check" line: when, how often (the workspace's own
    interval), and what the last check found."""
    from django.contrib.humanize.templatetags.humanize import naturaltime

    state = LacrmEditCursor.objects.for_workspace(workspace).first()
    every = state.interval_minutes if state else DEFAULT_POLL_MINUTES
    if state is None or state.last_polled_at is None:
        return f"not yet (every {every} minutes)"
    line = f"{naturaltime(state.last_polled_at)} (every {every} minutes)"
    if state.last_error:
        return f"{line}; it failed: {state.last_error}"
    found = state.last_changes
    return f"{line}; found {found} change{'s' if found != 1 else ''} in {state.last_calls} call" + (
        "s" if state.last_calls != 1 else ""
    )
