"""Decisions a user takes by hand on the ledger: link, unlink, "not a match", create now.

Each decision changes the ledger in one transaction and writes a log entry without a run
(``run=None``), so the history of a record shows who decided what. Creating a record goes
through the sync's outbox (``sync.outbox``): the ledger row is committed in state
``creating``, with its idempotency key and marked attempted, before the API call. It leaves that
state when the call settles; only a create whose outcome stayed unknown keeps it, for the next
sync to look for the record before creating it.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations import registry
from integrations.errors import IntegrationError
from integrations.records import LACRM, QBO, SYSTEM_NAMES, ContactRecord, CreateResult
from sync import outbox
from sync.ledger.queries import OTHER, LedgerError, RecordRef, fetch_record, unreachable_message
from sync.ledger.review import ReviewCase, case_rows
from sync.models import ContactLink, RejectedPair, SyncLogEntry, SyncRun
from sync.runs import active_run

logger = logging.getLogger(__name__)


def _who(user) -> str:
    return getattr(user, "email", "") or "a user"


def _log(workspace, outcome: str, ref: RecordRef, reason: str, target_id: str = "") -> None:
    SyncLogEntry.objects.create(
        workspace=workspace,
        run=None,
        outcome=outcome,
        system=ref.system,
        record_id=ref.id,
        record_name=ref.name[:500],
        record_email=ref.email[:254],
        target_id=target_id or "",
        reason=reason,
    )


def _label(ref: RecordRef) -> str:
    return f'"{ref.name}"' if ref.name else f"{ref.system_name} record {ref.id}"


def guard_against_running_sync(workspace, *, creating: bool = False) -> None:
    """Refuse a change that would collide with a contacts sync in progress.

    While a sync is planning it writes ledger rows for every record in one transaction; a row
    written by hand at that moment would make its plan fail. A create by hand is also refused
    while batches run, since the sync could be creating the same record.
    """
    run = active_run(workspace)
    if run is None or run.kind != SyncRun.Kind.CONTACTS:
        return
    if creating or not run.planned:
        raise LedgerError(
            "Sync New Contacts is running; wait until it finishes (or stop it) and try again."
        )


def _snapshot(ref: RecordRef) -> dict:
    return {f"{ref.system}_name": ref.name[:500], f"{ref.system}_email": ref.email[:254]}


def _dissolve(workspace, seeds: list[ContactLink]) -> list[ContactLink]:
    """Delete the review cases the seeds belong to; their other records go back to the next sync.

    Returns the rows deleted (none when the case was decided meanwhile).
    """
    rows = case_rows(workspace, seeds, lock=True)
    deleted = {
        row.pk: row
        for row in ContactLink.objects.select_for_update().filter(
            pk__in=[r.pk for r in rows], state=ContactLink.State.NEEDS_REVIEW
        )
    }
    ContactLink.objects.filter(pk__in=list(deleted)).delete()
    return list(deleted.values())


# --- Link ----------------------------------------------------------------------------------------


def link_records(workspace, qbo: RecordRef, lacrm: RecordRef, *, user) -> ContactLink:
    """Link a QuickBooks customer and an LACRM contact by hand (method "manual").

    Review rows of either record, and the rest of their review cases, are removed: the others go
    back to being planned by the next sync. A "not a match" for exactly this pair is withdrawn.
    """
    if qbo.system != QBO or lacrm.system != LACRM:
        raise ValueError("link_records takes a QuickBooks record and an LACRM record")
    guard_against_running_sync(workspace)
    reason = f"Linked by hand by {_who(user)}"
    try:
        with transaction.atomic():
            existing = list(
                ContactLink.objects.for_workspace(workspace)
                .select_for_update()
                .filter(Q(qbo_id=qbo.id) | Q(lacrm_id=lacrm.id))
            )
            for row in existing:
                if row.state != ContactLink.State.NEEDS_REVIEW:
                    ref = qbo if row.qbo_id == qbo.id else lacrm
                    raise LedgerError(
                        f"{_label(ref)} is already {row.get_state_display().lower()} "
                        "in the ledger; unlink it first."
                    )
            dissolved = _dissolve(workspace, existing)
            link = ContactLink.objects.create(
                workspace=workspace,
                qbo_id=qbo.id,
                lacrm_id=lacrm.id,
                state=ContactLink.State.LINKED,
                method=ContactLink.Method.MANUAL,
                reason=reason,
                linked_at=timezone.now(),
                **_snapshot(qbo),
                **_snapshot(lacrm),
            )
            RejectedPair.objects.for_workspace(workspace).filter(
                qbo_id=qbo.id, lacrm_id=lacrm.id
            ).delete()
            _log(workspace, SyncLogEntry.Outcome.LINKED, qbo, reason, target_id=lacrm.id)
    except IntegrityError as exc:
        # Another request linked one of them between our read and our write.
        raise LedgerError(
            "One of these records was linked meanwhile; reload and try again."
        ) from exc
    returned = len([r for r in dissolved if r.qbo_id != qbo.id and r.lacrm_id != lacrm.id])
    logger.info(
        "workspace %s: linked qbo %s / lacrm %s by hand (%d review rows back to planning)",
        workspace.pk,
        qbo.id,
        lacrm.id,
        returned,
    )
    return link


def link_candidate(workspace, case: ReviewCase, qbo_id: str, lacrm_id: str, *, user) -> ContactLink:
    """Decide a review case by linking one of its pairs."""
    qbo = next((ref for ref in case.qbo if ref.id == qbo_id), None)
    lacrm = next((ref for ref in case.lacrm if ref.id == lacrm_id), None)
    if qbo is None or lacrm is None:
        raise LedgerError("Pick one QuickBooks customer and one LACRM contact of this case.")
    return link_records(workspace, qbo, lacrm, user=user)


# --- Not a match / unlink ----------------------------------------------------------------------


def reject_case(workspace, case: ReviewCase, *, user) -> int:
    """Mark every pair of a review case "not a match"; returns how many pairs were remembered.

    The records leave the queue; the next sync treats them as different people (it never
    proposes these pairs again, and creates each in the other system as the direction allows).
    """
    guard_against_running_sync(workspace)
    pairs = case.pairs
    with transaction.atomic():
        rows = _dissolve(workspace, case.rows)
        if not rows:
            raise LedgerError("This case was decided meanwhile.")
        RejectedPair.objects.bulk_create(
            [RejectedPair(workspace=workspace, qbo_id=q, lacrm_id=lid) for q, lid in sorted(pairs)],
            ignore_conflicts=True,
        )
        for ref in case.qbo + case.lacrm:
            others = case.lacrm if ref.system == QBO else case.qbo
            names = ", ".join(_label(o) for o in others)
            _log(
                workspace,
                SyncLogEntry.Outcome.SKIPPED,
                ref,
                f'Marked "not a match" with {names} by {_who(user)}',
            )
    logger.info("workspace %s: %d pairs marked not a match", workspace.pk, len(pairs))
    return len(pairs)


def unlink(workspace, link: ContactLink, *, user) -> None:
    """Remove a link; the pair is remembered as "not a match" so no sync re-links it."""
    guard_against_running_sync(workspace)
    with transaction.atomic():
        row = (
            ContactLink.objects.for_workspace(workspace)
            .select_for_update()
            .filter(pk=link.pk, state=ContactLink.State.LINKED)
            .first()
        )
        if row is None:
            raise LedgerError("This pair is no longer linked.")
        row.delete()
        if row.qbo_id and row.lacrm_id:
            RejectedPair.objects.get_or_create(
                workspace=workspace, qbo_id=row.qbo_id, lacrm_id=row.lacrm_id
            )
        qbo = RecordRef(QBO, row.qbo_id or "", row.qbo_name, row.qbo_email)
        lacrm = RecordRef(LACRM, row.lacrm_id or "", row.lacrm_name, row.lacrm_email)
        # One entry per record, so each can be found (and linked again by hand) on its own.
        for ref, other in ((qbo, lacrm), (lacrm, qbo)):
            if ref.id:
                _log(
                    workspace,
                    SyncLogEntry.Outcome.UNLINKED,
                    ref,
                    f"Unlinked by hand by {_who(user)} from {_label(other)}; "
                    "remembered as not a match",
                    target_id=other.id,
                )
    logger.info("workspace %s: unlinked qbo %s / lacrm %s", workspace.pk, row.qbo_id, row.lacrm_id)


# --- Create in the other system ------------------------------------------------------------------


def create_counterpart(workspace, source: RecordRef, *, user) -> ContactLink:
    """Create ``source`` in the other system now and link the two (method "created").

    The record is read live first (the ledger only keeps names and emails). If ``source`` waits
    in the review queue, its case is decided: its candidates are remembered as "not a match" for
    it and the rest of the case goes back to the next sync. On failure nothing changes, except
    when the other system may have created the record without saying so: then the row stays
    ``creating`` and the next sync looks for the record before creating it.
    """
    guard_against_running_sync(workspace, creating=True)
    target = OTHER[source.system]
    try:
        record = fetch_record(workspace, source.system, source.id)
    except IntegrationError as exc:
        raise LedgerError(unreachable_message(source.system, exc)) from exc
    try:
        client = _client(workspace, target)
    except IntegrationError as exc:
        raise LedgerError(unreachable_message(target, exc)) from exc
    column = f"{source.system}_id"
    with transaction.atomic():
        row = (
            ContactLink.objects.for_workspace(workspace)
            .select_for_update()
            .filter(**{column: source.id})
            .first()
        )
        if row is not None and row.state != ContactLink.State.NEEDS_REVIEW:
            raise LedgerError(f"{_label(source)} is already {row.get_state_display().lower()}.")
        held = None
        if row is None:
            row = ContactLink(workspace=workspace, **{column: source.id}, **_snapshot(source))
        else:
            held = (row.reason, list(row.candidates))
        row.state = ContactLink.State.CREATING
        row.target_system = target
        # Marked attempted before the call, like the sync's outbox rows: whoever finds this row
        # later looks for the record before creating it.
        row.attempted_at = timezone.now()
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:
            raise LedgerError(f"{_label(source)} was added to the ledger meanwhile.") from exc
    # The outbox row is committed: a crash from here on leaves a "creating" row that the next
    # sync finishes, looking for the record first, instead of creating a second one.
    try:
        result = _send_create(workspace, client, target, row, record)
    except IntegrationError as exc:
        result = CreateResult(key=str(row.idempotency_key), error=exc)
    if not result.ok:
        message = str(result.error) or type(result.error).__name__
        if outbox.outcome_unknown(result.error):
            _log(
                workspace,
                SyncLogEntry.Outcome.FAILED,
                source,
                f"Create in {SYSTEM_NAMES[target]} by {_who(user)} went unconfirmed: {message} "
                "The next Sync New Contacts looks for it before creating it again.",
            )
            raise LedgerError(
                f"{SYSTEM_NAMES[target]} did not confirm that it created {_label(source)} "
                f"({message.rstrip('.')}). The next Sync New Contacts looks for it and links it, "
                "or creates it if it is not there."
            )
        _restore(row, held)
        _log(
            workspace,
            SyncLogEntry.Outcome.FAILED,
            source,
            f"Create in {SYSTEM_NAMES[target]} by {_who(user)} failed: {message}",
        )
        raise LedgerError(f"{SYSTEM_NAMES[target]} did not create {_label(source)}: {message}")
    return _link_created(workspace, row, source, result, held, user=user)


def _client(workspace, system: str):
    return registry.accounting(workspace) if system == QBO else registry.crm(workspace)


def _send_create(workspace, client, target: str, row: ContactLink, record: ContactRecord):
    """The sync's create-or-adopt for one record (a fresh row: nothing to look for first)."""
    return outbox.create_or_adopt(client, workspace, [(row, record, False)])[0]


def _restore(row: ContactLink, held: tuple[str, list] | None) -> None:
    """Undo the outbox row after a failed create: back to review, or gone."""
    with transaction.atomic():
        current = ContactLink.objects.select_for_update().filter(
            pk=row.pk, state=ContactLink.State.CREATING
        )
        if held is None:
            current.delete()
        else:
            current.update(
                state=ContactLink.State.NEEDS_REVIEW,
                reason=held[0],
                candidates=held[1],
                target_system="",
                attempted_at=None,
            )


def _link_created(workspace, row, source: RecordRef, result: CreateResult, held, *, user):
    created = result.record
    target = OTHER[source.system]
    reason = f"Created in {SYSTEM_NAMES[target]} by hand by {_who(user)}"
    if result.notes:
        reason += "; " + "; ".join(result.notes)
    with transaction.atomic():
        if held is not None:
            # The user chose "none of these": the candidates are not this record.
            others = [str(c) for c in held[1]]
            pairs = [(source.id, o) if source.system == QBO else (o, source.id) for o in others]
            RejectedPair.objects.bulk_create(
                [RejectedPair(workspace=workspace, qbo_id=q, lacrm_id=lid) for q, lid in pairs],
                ignore_conflicts=True,
            )
            # The rest of the case goes back to the next sync (the row itself is kept).
            seed = ContactLink(
                pk=row.pk,
                workspace=workspace,
                state=ContactLink.State.NEEDS_REVIEW,
                candidates=others,
                **{f"{source.system}_id": source.id},
            )
            rest = [r.pk for r in case_rows(workspace, [seed], lock=True) if r.pk != row.pk]
            ContactLink.objects.filter(pk__in=rest).delete()
        outbox.link_created(row, target, created, reason)
        row.candidates = []
        row.save()
        _log(workspace, SyncLogEntry.Outcome.CREATED, source, reason, target_id=created.id)
    logger.info(
        "workspace %s: created %s %s for %s %s by hand",
        workspace.pk,
        target,
        created.id,
        source.system,
        source.id,
    )
    return row
