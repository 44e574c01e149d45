"""A Sync New Contacts batch's bookkeeping in bulk: one claim transaction before any call, one
booking transaction after the calls (``ContactSyncHandler._book``).

The claim keeps the outbox rule (``sync.outbox``) for the whole batch at once: every create's
ledger row is committed in state ``creating``, already marked as attempted, before the first
call. A row claimed but never sent (Stop was pressed first) is released again
(``release_unsent``), so nothing is left ``creating`` that was never tried.
"""

from __future__ import annotations

from collections import Counter

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.records import LACRM, QBO
from sync.contacts.plan import snapshot
from sync.models import ContactLink, SyncRun, SyncWorkItem
from sync.runs import log_entries

# Every field ``outbox.link_created`` may set, for one UPDATE per batch (``update_links``).
LINKED_FIELDS = [
    *(f"{side}_{name}" for side in (QBO, LACRM) for name in ("id", "name", "email")),
    *(f"created_in_{side}" for side in (QBO, LACRM)),
    "state",
    "method",
    "reason",
    "linked_at",
    "updated_at",
]


def claim_batch(run: SyncRun, works: list, entry) -> dict[int, ContactLink]:
    """Commit the outbox rows of ``works`` in one transaction; ``{work item pk: row}`` for those
    to create (``row.resumed`` when an earlier attempt left it). A record linked or held for
    review since planning is booked as skipped here (``entry`` makes its log entry)."""
    workspace = run.workspace
    ids = {side: [w.record.id for w in works if w.record.system == side] for side in (QBO, LACRM)}
    claimed: dict[int, ContactLink] = {}
    skipped: list[tuple[object, ContactLink]] = []
    with transaction.atomic():
        existing = {
            (side, getattr(link, f"{side}_id")): link
            for link in ContactLink.objects.select_for_update().filter(
                Q(qbo_id__in=ids[QBO]) | Q(lacrm_id__in=ids[LACRM]), workspace=workspace
            )
            for side in (QBO, LACRM)
        }
        new: list[tuple[object, ContactLink]] = []
        now = timezone.now()
        for work in works:
            record = work.record
            link = existing.get((record.system, record.id))
            if link is None:
                # Already marked as attempted: a retry after a crash between here and the call
                # only searches once more than it needed to.
                link = ContactLink(
                    workspace=workspace,
                    state=ContactLink.State.CREATING,
                    target_system=LACRM if record.system == QBO else QBO,
                    attempted_at=now,
                    **{f"{record.system}_id": record.id},
                    **snapshot(
                        record if record.system == QBO else None,
                        record if record.system == LACRM else None,
                    ),
                )
                link.resumed = False
                new.append((work, link))
            elif link.state == ContactLink.State.CREATING:
                link.resumed = True  # Left by an earlier attempt: the create may have happened.
                claimed[work.item.pk] = link
            else:
                skipped.append((work, link))
        ContactLink.objects.bulk_create([link for _, link in new])
        for work, link in new:
            claimed[work.item.pk] = link
        if skipped:
            entries = [
                entry(w, "skipped", f"Already {link.get_state_display().lower()}")
                for w, link in skipped
            ]
            done = [w.item.pk for w, _ in skipped]
            SyncWorkItem.objects.filter(pk__in=done).update(state=SyncWorkItem.State.DONE)
            log_entries(run, entries, skipped=len(skipped), processed=len(skipped))
    return claimed


def release_unsent(links: list[ContactLink]) -> None:
    """Drop the rows this batch claimed but never sent (Stop came first); a row an earlier
    attempt left stays, so whoever finishes it looks before creating."""
    fresh = [link.pk for link in links if not getattr(link, "resumed", False)]
    if fresh:
        ContactLink.objects.filter(pk__in=fresh, state=ContactLink.State.CREATING).delete()


def book_created(run: SyncRun, links, entries, done, counts: Counter) -> None:
    """The batch's created records: links, work items, log entries and counters, one commit."""
    if not links:
        return
    with transaction.atomic():
        update_links(links, LINKED_FIELDS)
        SyncWorkItem.objects.filter(pk__in=done).update(state=SyncWorkItem.State.DONE)
        log_entries(run, entries, **counts)


def update_links(links: list[ContactLink], names: list[str]) -> None:
    """Write ``names`` of every link in one ``UPDATE … FROM (VALUES …)`` statement.

    Django's ``bulk_update`` builds a ``CASE WHEN`` expression per field per row: for a batch's
    20 links × 13 fields it cost more CPU than the rest of the batch's bookkeeping (py-spy on
    the 2,000 + 2,000 bench). Values go through each field's own ``get_db_prep_save``; columns
    that are not text are cast to their type (a VALUES column of NULLs is text otherwise).
    """
    if not links:
        return
    qn = connection.ops.quote_name
    meta = ContactLink._meta
    fields = [meta.get_field(name) for name in names]
    pk = meta.pk
    params: list = []
    for link in links:
        params.append(pk.get_db_prep_save(link.pk, connection))
        params += [f.get_db_prep_save(getattr(link, f.attname), connection) for f in fields]

    def value(field) -> str:
        text = field.get_internal_type() in ("CharField", "TextField")
        return f"v.{qn(field.column)}" + ("" if text else f"::{field.db_type(connection)}")

    sets = ", ".join(f"{qn(f.column)} = {value(f)}" for f in fields)
    columns = ", ".join(qn(f.column) for f in (pk, *fields))
    row = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    sql = (
        f"UPDATE {qn(meta.db_table)} AS t SET {sets} "  # noqa: S608 - names from the model
        f"FROM (VALUES {', '.join([row] * len(links))}) AS v({columns}) "
        f"WHERE t.{qn(pk.column)} = {value(pk)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
