"""The outbox rule: one implementation for every path that creates a record.

A create is claim → create-or-adopt → link:

1. The caller commits the ledger row in state ``creating``, with its idempotency key and
   ``attempted_at``, *before* any call: ``sync.contacts.bookkeeping.claim_batch`` for Sync New
   Contacts (a whole batch in one commit),
   ``ledger_actions.create_counterpart`` for "Create in the other system".
2. ``create_or_adopt`` sends the create (through the system's protocol, whichever it is) unless
   the record may already exist: when the row was left by an earlier, interrupted attempt
   (``retry``) it looks for it first; when a call's outcome is unknown (a timeout or a 5xx after
   the write may have happened) it looks right away. A record found is adopted, and the
   result's notes say so; one not found is sent again, with back-off, up to the retry limit
   (``INTEGRATION_RETRY_TRIES``), so a passing fault does not fail the item for the run.
3. ``link_created`` turns the row into the link.

A permanent error means nothing was created: the caller drops the row (or restores the review
row it was). An unknown outcome the look could not settle (``outcome_unknown``) keeps the row
``creating``, so whoever finishes it next (the next sync plans it again) looks before creating
rather than making a second record.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.utils import timezone

from integrations import pacing
from integrations.errors import IntegrationError
from integrations.protocols import ContactSystem
from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord, CreateResult
from sync.matching import adopt
from sync.models import ContactLink

NOUN = {QBO: "customer", LACRM: "contact"}


def outcome_unknown(error: object) -> bool:
    """True when a failed create may have happened all the same (its outbox row stays)."""
    return isinstance(error, IntegrationError) and not error.permanent


def adopted_after_interruption(target: str) -> str:
    return f"adopted the {NOUN.get(target, 'record')} made by an interrupted attempt"


def adopted_after_lost_answer(target: str, error: Exception) -> str:
    said = (str(error) or type(error).__name__).rstrip(".")
    return (
        f"adopted the {NOUN.get(target, 'record')} {SYSTEM_NAMES.get(target, target)} had made "
        f"although the create went unconfirmed ({said})"
    )


def _settle(key: str, target: str, error: Exception, found: ContactRecord | None) -> CreateResult:
    """The result of a create with an unknown outcome, once the look has been made."""
    if found is None:
        return CreateResult(key=key, error=error)
    return CreateResult(key=key, record=found, notes=[adopted_after_lost_answer(target, error)])


def create_or_adopt(
    client: ContactSystem, workspace, rows: Sequence[tuple[ContactLink, ContactRecord, bool]]
) -> list[CreateResult]:
    """Create records for committed outbox rows ``(row, record, retry)``, or adopt them.

    One result per row, in order; ``create_contacts`` calls of at most the system's
    ``create_batch_size``. QuickBooks' requestid replay covers the client's own retries of a
    batch; a create still unanswered after them is looked for right away. Raises only for a
    whole call (a connection-level or permanent error) or a look that failed; any other failure
    is a result's ``error``.
    """
    target = client.system
    results: dict[str, CreateResult] = {}
    to_send: list[tuple[str, ContactRecord]] = []
    for link, record, retry in rows:
        key = str(link.idempotency_key)
        found = find_made(client, record, workspace) if retry else None
        if found is not None:
            notes = [adopted_after_interruption(target)]
            results[key] = CreateResult(key=key, record=found, notes=notes)
        else:
            to_send.append((key, record))
    records = dict(to_send)
    size = max(1, client.create_batch_size)
    for start in range(0, len(to_send), size):
        for result in _send_settled(client, workspace, to_send[start : start + size], records):
            results[result.key] = result
    return [results[str(link.idempotency_key)] for link, _, _ in rows]


def _send_settled(client, workspace, chunk, records) -> list[CreateResult]:
    """Send one chunk; a create whose outcome stays unknown, and that the look did not find, is
    sent again (same key) after a back-off, up to the retry limit. Only a definite answer
    (created, or rejected with a reason) or the last try's unknown outcome comes back."""
    settled: list[CreateResult] = []
    tries = pacing.retry_tries()
    for attempt in range(1, tries + 1):
        sent = _send(client, chunk)
        chunk = []
        for result in sent:
            if not result.ok and outcome_unknown(result.error):
                found = find_made(client, records[result.key], workspace)
                if found is None and attempt < tries:
                    chunk.append((result.key, records[result.key]))
                    continue
                result = _settle(result.key, client.system, result.error, found)
            settled.append(result)
        if not chunk:
            return settled
        time.sleep(pacing.retry_delay(attempt, getattr(sent[0].error, "retry_after", None)))
    return settled


def _send(client, chunk) -> list[CreateResult]:
    try:
        return client.create_contacts(chunk)
    except IntegrationError as exc:
        if exc.connection_level or exc.permanent:
            raise
        return [CreateResult(key=key, error=exc) for key, _ in chunk]


def link_created(link: ContactLink, target: str, created: ContactRecord, reason: str) -> list[str]:
    """Make the outbox row the link to ``created`` (not saved); returns the fields changed."""
    setattr(link, f"{target}_id", created.id)
    setattr(link, f"created_in_{target}", True)
    setattr(link, f"{target}_name", created.name[:500])
    setattr(link, f"{target}_email", created.primary_email[:254])
    link.state = ContactLink.State.LINKED
    link.method = ContactLink.Method.CREATED
    link.reason = reason
    link.linked_at = timezone.now()
    return [
        f"{target}_id",
        f"created_in_{target}",
        f"{target}_name",
        f"{target}_email",
        "state",
        "method",
        "reason",
        "linked_at",
        "updated_at",
    ]


def find_made(client: ContactSystem, record: ContactRecord, workspace) -> ContactRecord | None:
    """The record an earlier create of ``record`` may have made in ``client``'s system (the
    system's own search for it, then the adopt rule), if it is there and not in the ledger."""
    candidates = client.find_possible_creations(record)
    return _adoptable(candidates, record, workspace, f"{client.system}_id")


def _adoptable(candidates, record: ContactRecord, workspace, side: str) -> ContactRecord | None:
    """The first candidate not in the ledger with the record's email (or, without one, name)."""
    taken = set(
        ContactLink.objects.for_workspace(workspace)
        .filter(**{f"{side}__isnull": False})
        .values_list(side, flat=True)
    )
    return adopt.pick(candidates, record, taken)
