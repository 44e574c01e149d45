"""Sync New Contacts: pull both sides, match, link, and create what is missing (design.md §4–§6).

Planning writes every match to the ledger and lists the creates as work items; batches of 20 then
create them under the outbox rule: the ledger row is committed in state ``creating`` with an
idempotency key *before* the API call, so a retry after a crash re-sends the same QBO ``requestid``
or, for LACRM, searches for the contact it may already have made and adopts it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from integrations import services
from integrations.errors import IntegrationError, ValidationFailed
from integrations.records import (
    LACRM,
    QBO,
    SYSTEM_NAMES,
    ContactRecord,
    CreateResult,
    record_from_dict,
    record_to_dict,
)
from sync.matching import plan_matches
from sync.models import ContactLink, RejectedPair, SyncRun, SyncSettings, SyncWorkItem
from sync.normalize import normalize_company, normalize_email, normalize_name
from sync.runs import BatchContext, bump, log_entries, log_entry

logger = logging.getLogger(__name__)

CREATE_IN = {QBO: SyncWorkItem.Action.CREATE_IN_LACRM, LACRM: SyncWorkItem.Action.CREATE_IN_QBO}


def _entry(outcome: str, record: ContactRecord, reason: str = "", **extra) -> dict:
    return {
        "outcome": outcome,
        "system": record.system,
        "record_id": record.id,
        "record_name": record.name[:500],
        "record_email": record.primary_email[:254],
        "reason": reason,
        **extra,
    }


@dataclass
class Pulled:
    """Both sides as pulled, and what the workspace's settings made of them."""

    qbo: dict[str, ContactRecord]
    lacrm: dict[str, ContactRecord]
    skipped: list[tuple[ContactRecord, str]] = field(default_factory=list)


class ContactSyncHandler:
    """The ``contacts`` run kind."""

    kind = SyncRun.Kind.CONTACTS

    # --- planning ---------------------------------------------------------------------------

    def pull(self, run: SyncRun, ctx: BatchContext) -> Pulled:
        workspace = run.workspace
        sync_settings = SyncSettings.for_workspace(workspace)
        qbo_client = services.qbo_client(workspace)
        lacrm_client = services.lacrm_client(workspace)
        pulled = Pulled(qbo={}, lacrm={})
        # Inactive customers are pulled too, so the logs can say why each one was skipped.
        for count, record in enumerate(qbo_client.iter_customers(include_inactive=True), 1):
            if count % 1000 == 0:
                ctx.heartbeat()
            if not record.active and not sync_settings.include_inactive:
                pulled.skipped.append((record, "Inactive in QuickBooks (workspace setting)"))
            elif record.parent_id and sync_settings.sub_customers == SyncSettings.SubCustomers.SKIP:
                pulled.skipped.append(
                    (record, "Sub-customer in QuickBooks; its invoices roll up to the parent")
                )
            else:
                pulled.qbo[record.id] = record
        ctx.heartbeat()
        for count, record in enumerate(lacrm_client.iter_contacts(), 1):
            if count % 1000 == 0:
                ctx.heartbeat()
            pulled.lacrm[record.id] = record
        ctx.heartbeat()
        return pulled

    def write_plan(self, run: SyncRun, pulled: Pulled) -> None:
        workspace = run.workspace
        sync_settings = SyncSettings.for_workspace(workspace)
        ledger = list(ContactLink.objects.for_workspace(workspace))
        entries: list[dict] = []
        counts = {"already_matched": 0, "needs_review": 0, "skipped": 0, "matched": 0}
        items: list[SyncWorkItem] = []

        for record, reason in pulled.skipped:
            entries.append(_entry("skipped", record, reason))
            counts["skipped"] += 1

        linked_qbo = {row.qbo_id for row in ledger if row.qbo_id}
        linked_lacrm = {row.lacrm_id for row in ledger if row.lacrm_id}
        changed_rows = []
        for row in ledger:
            qbo_rec = pulled.qbo.get(row.qbo_id) if row.qbo_id else None
            lacrm_rec = pulled.lacrm.get(row.lacrm_id) if row.lacrm_id else None
            if row.state == ContactLink.State.LINKED:
                record = qbo_rec or lacrm_rec
                if record is not None:
                    entries.append(
                        _entry(
                            "already_matched",
                            record,
                            f"Linked since {row.linked_at:%Y-%m-%d} ({row.get_method_display()})"
                            if row.linked_at
                            else "Already linked",
                            target_id=(row.lacrm_id if record.system == QBO else row.qbo_id) or "",
                        )
                    )
                    counts["already_matched"] += 1
                flag = _missing_flag(row, qbo_rec, lacrm_rec)
                if _refresh_snapshot(row, qbo_rec, lacrm_rec, flag):
                    changed_rows.append(row)
            elif row.state == ContactLink.State.NEEDS_REVIEW:
                record = qbo_rec or lacrm_rec
                if record is not None:
                    entries.append(
                        _entry("needs_review", record, f"Waiting for your review: {row.reason}")
                    )
                    counts["needs_review"] += 1
            elif row.state == ContactLink.State.CREATING:
                # A create whose worker died: finish it (same idempotency key) in this run.
                source = lacrm_rec if row.target_system == QBO else qbo_rec
                if source is not None:
                    items.append(self._item(run, len(items), source))
        if changed_rows:
            ContactLink.objects.bulk_update(
                changed_rows,
                ["qbo_name", "qbo_email", "lacrm_name", "lacrm_email", "flag"],
                batch_size=1000,
            )

        rejected = set(
            RejectedPair.objects.for_workspace(workspace).values_list("qbo_id", "lacrm_id")
        )
        qbo_open = [r for rid, r in pulled.qbo.items() if rid not in linked_qbo]
        lacrm_open = [r for rid, r in pulled.lacrm.items() if rid not in linked_lacrm]
        plan = plan_matches(
            qbo_open,
            lacrm_open,
            linked_qbo=linked_qbo,
            linked_lacrm=linked_lacrm,
            rejected_pairs=rejected,
            no_email=sync_settings.no_email,
        )

        now = timezone.now()
        new_links = []
        for match in plan.links:
            qbo_rec, lacrm_rec = pulled.qbo[match.qbo_id], pulled.lacrm[match.lacrm_id]
            new_links.append(
                ContactLink(
                    workspace=workspace,
                    qbo_id=match.qbo_id,
                    lacrm_id=match.lacrm_id,
                    state=ContactLink.State.LINKED,
                    method=match.method,
                    reason=match.reason,
                    linked_at=now,
                    **_snapshot(qbo_rec, lacrm_rec),
                )
            )
            entries.append(_entry("matched", qbo_rec, match.reason, target_id=match.lacrm_id))
            counts["matched"] += 1
        for review in plan.reviews:
            for system, ids, other_ids in (
                (QBO, review.qbo_ids, review.lacrm_ids),
                (LACRM, review.lacrm_ids, review.qbo_ids),
            ):
                for rid in ids:
                    record = (pulled.qbo if system == QBO else pulled.lacrm)[rid]
                    new_links.append(
                        ContactLink(
                            workspace=workspace,
                            state=ContactLink.State.NEEDS_REVIEW,
                            reason=review.reason,
                            candidates=list(other_ids),
                            **({"qbo_id": rid} if system == QBO else {"lacrm_id": rid}),
                            **_snapshot(
                                record if system == QBO else None,
                                record if system == LACRM else None,
                            ),
                        )
                    )
                    entries.append(_entry("needs_review", record, review.reason))
                    counts["needs_review"] += 1
        ContactLink.objects.bulk_create(new_links, batch_size=1000)

        # A LACRM contact that matches a QBO customer we skipped (inactive, sub-customer) is that
        # customer, not someone new: creating it would make a duplicate in QuickBooks.
        lacrm_only = list(plan.lacrm_only)
        if pulled.skipped and lacrm_only:
            shadow = plan_matches(
                [record for record, _ in pulled.skipped],
                [pulled.lacrm[rid] for rid in lacrm_only],
                no_email=sync_settings.no_email,
            )
            skipped_by_id = {record.id: (record, why) for record, why in pulled.skipped}
            shadowed = {m.lacrm_id: m.qbo_id for m in shadow.links}
            for review in shadow.reviews:
                for rid in review.lacrm_ids:
                    shadowed.setdefault(rid, review.qbo_ids[0])
            for rid, qbo_id in shadowed.items():
                customer, why = skipped_by_id[qbo_id]
                entries.append(
                    _entry(
                        "skipped",
                        pulled.lacrm[rid],
                        f'Looks like QuickBooks customer "{customer.name}", which is skipped '
                        f"({why[0].lower() + why[1:]}); not creating a duplicate",
                        target_id=qbo_id,
                    )
                )
                counts["skipped"] += 1
            lacrm_only = [rid for rid in lacrm_only if rid not in shadowed]

        # LACRM keeps a person's company as a company record of its own (creating a person with a
        # "Company Name" makes one). QuickBooks keeps it on the customer instead, so such a
        # record is not a customer to create: it would flood QuickBooks with copies.
        companies_of_people = {
            normalize_company(r.company_name)
            for side in (pulled.qbo, pulled.lacrm)
            for r in side.values()
            if r.company_name and r.person_name
        }
        kept = []
        for rid in lacrm_only:
            record = pulled.lacrm[rid]
            if record.is_company and normalize_company(record.name) in companies_of_people:
                entries.append(
                    _entry(
                        "skipped",
                        record,
                        "Company record of a person's company; QuickBooks keeps the company "
                        "on the customer (Company name), so no separate customer is created",
                    )
                )
                counts["skipped"] += 1
            else:
                kept.append(rid)
        lacrm_only = kept

        direction = sync_settings.direction
        for system, ids in ((QBO, plan.qbo_only), (LACRM, lacrm_only)):
            records = pulled.qbo if system == QBO else pulled.lacrm
            allowed = direction == SyncSettings.Direction.BOTH or direction == (
                SyncSettings.Direction.QBO_TO_LACRM
                if system == QBO
                else SyncSettings.Direction.LACRM_TO_QBO
            )
            for rid in ids:
                record = records[rid]
                if allowed:
                    items.append(self._item(run, len(items), record))
                else:
                    entries.append(
                        _entry(
                            "skipped",
                            record,
                            f"Not in {SYSTEM_NAMES[LACRM if system == QBO else QBO]}; "
                            f"the sync direction is {sync_settings.get_direction_display()}",
                        )
                    )
                    counts["skipped"] += 1

        if sync_settings.update_fields:
            # Keep address, phone and website of linked pairs in step in the same run.
            from sync.field_updates import FieldUpdateHandler

            pairs = [
                row
                for row in [*ledger, *new_links]
                if row.state == ContactLink.State.LINKED
                and row.qbo_id in pulled.qbo
                and row.lacrm_id in pulled.lacrm
            ]
            updates, update_entries, _ = FieldUpdateHandler().plan_work(
                run, pairs, pulled.qbo, pulled.lacrm, first_seq=len(items)
            )
            items.extend(updates)
            entries.extend(update_entries)
            counts["skipped"] += sum(1 for e in update_entries if e["outcome"] == "skipped")

        SyncWorkItem.objects.bulk_create(items, batch_size=1000)
        log_entries(run, entries, total=len(items), **counts)

    @staticmethod
    def _item(run: SyncRun, seq: int, record: ContactRecord) -> SyncWorkItem:
        return SyncWorkItem(
            run=run,
            seq=seq,
            action=CREATE_IN[record.system],
            source_id=record.id,
            payload=record_to_dict(record),
        )

    # --- batches ----------------------------------------------------------------------------

    def process(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        to_lacrm = [i for i in items if i.action == SyncWorkItem.Action.CREATE_IN_LACRM]
        to_qbo = [i for i in items if i.action == SyncWorkItem.Action.CREATE_IN_QBO]
        updates = [i for i in items if i.action == SyncWorkItem.Action.UPDATE_PAIR]
        if to_lacrm:
            client = services.lacrm_client(run.workspace)
            for item in to_lacrm:
                if ctx.should_stop():
                    return
                self._create_in_lacrm(run, item, client)
        if to_qbo:
            self._create_in_qbo(run, to_qbo, ctx)
        if updates and not ctx.should_stop():
            from sync.field_updates import FieldUpdateHandler

            FieldUpdateHandler().process(run, updates, ctx)

    def _claim(self, run: SyncRun, item: SyncWorkItem, target: str) -> ContactLink | None:
        """Commit the outbox row for a create; None when the record is already handled."""
        source_side = "qbo_id" if target == LACRM else "lacrm_id"
        record = record_from_dict(item.payload)
        with transaction.atomic():
            link = (
                ContactLink.objects.select_for_update()
                .filter(workspace=run.workspace, **{source_side: item.source_id})
                .first()
            )
            if link is None:
                # Committed before the create call (the outbox rule), already marked as
                # attempted: a retry after a crash between here and the call only searches once
                # more than it needed to.
                link = ContactLink.objects.create(
                    workspace=run.workspace,
                    state=ContactLink.State.CREATING,
                    target_system=target,
                    attempted_at=timezone.now(),
                    **{source_side: item.source_id},
                    **_snapshot(
                        record if record.system == QBO else None,
                        record if record.system == LACRM else None,
                    ),
                )
                link.resumed = False
                return link
            if link.state == ContactLink.State.CREATING:
                # Left by an earlier attempt: the create may have happened.
                link.resumed = True
                return link
            # Linked or held for review since planning (by hand, or by another run).
            self._finish_item(
                run, item, "skipped", record, f"Already {link.get_state_display().lower()}"
            )
            bump(run, skipped=1, processed=1)
            return None

    def _finish_item(self, run, item, outcome, record, reason, **extra) -> None:
        log_entry(
            run,
            outcome,
            system=record.system,
            record_id=record.id,
            record_name=record.name[:500],
            record_email=record.primary_email[:254],
            reason=reason,
            **extra,
        )
        SyncWorkItem.objects.filter(pk=item.pk).update(state=SyncWorkItem.State.DONE)

    def _link_created(
        self, run: SyncRun, item: SyncWorkItem, link: ContactLink, result: CreateResult
    ) -> None:
        record = record_from_dict(item.payload)
        created = result.record
        target = LACRM if record.system == QBO else QBO
        reason = f"Created in {SYSTEM_NAMES[target]}"
        if result.notes:
            reason += "; " + "; ".join(result.notes)
        with transaction.atomic():
            if target == LACRM:
                link.lacrm_id = created.id
                link.created_in_lacrm = True
                link.lacrm_name, link.lacrm_email = created.name[:500], created.primary_email[:254]
            else:
                link.qbo_id = created.id
                link.created_in_qbo = True
                link.qbo_name, link.qbo_email = created.name[:500], created.primary_email[:254]
            link.state = ContactLink.State.LINKED
            link.method = ContactLink.Method.CREATED
            link.reason = reason
            link.linked_at = timezone.now()
            link.save(
                update_fields=[
                    "lacrm_id" if target == LACRM else "qbo_id",
                    f"created_in_{target}",
                    f"{target}_name",
                    f"{target}_email",
                    "state",
                    "method",
                    "reason",
                    "linked_at",
                    "updated_at",
                ]
            )
            self._finish_item(run, item, "created", record, reason, target_id=created.id)
            bump(run, processed=1, **{f"created_in_{target}": 1})

    def _fail(self, run, item, link: ContactLink | None, error: Exception) -> None:
        record = record_from_dict(item.payload)
        reason = str(error) or type(error).__name__
        if isinstance(error, ValidationFailed):
            reason = (
                f"{reason.rstrip('.')}. Correct it in {SYSTEM_NAMES[record.system]}, then run "
                "Sync New Contacts again."
            )
        with transaction.atomic():
            if link is not None:
                # Nothing was created: drop the outbox row so a later sync tries afresh.
                ContactLink.objects.filter(pk=link.pk, state=ContactLink.State.CREATING).delete()
            self._finish_item(
                run,
                item,
                "failed",
                record,
                reason,
                error_code=getattr(error, "code", "")[:40],
            )
            bump(run, processed=1, failed=1)

    def _create_in_lacrm(self, run: SyncRun, item: SyncWorkItem, client) -> None:
        link = self._claim(run, item, LACRM)
        if link is None:
            return
        record = record_from_dict(item.payload)
        # A retry of a create that may have happened: adopt what is there before creating.
        adopted = find_in_lacrm(client, record, run.workspace) if _was_attempted(link) else None
        if adopted is not None:
            result = CreateResult(
                key=str(link.idempotency_key),
                record=adopted,
                notes=["adopted the contact made by an interrupted attempt"],
            )
        else:
            try:
                result = client.create_contact(str(link.idempotency_key), record)
            except IntegrationError as exc:
                if exc.connection_level:
                    raise
                if not exc.permanent:
                    # Timed out: the contact may exist after all. Adopt it if it does.
                    found = find_in_lacrm(client, record, run.workspace)
                    if found is not None:
                        result = CreateResult(key=str(link.idempotency_key), record=found)
                        self._link_created(run, item, link, result)
                        return
                self._fail(run, item, link, exc)
                return
        if result.ok:
            self._link_created(run, item, link, result)
        else:
            self._fail(run, item, link, result.error)

    def _create_in_qbo(self, run: SyncRun, items: list[SyncWorkItem], ctx: BatchContext) -> None:
        claimed: list[tuple[SyncWorkItem, ContactLink]] = []
        for item in items:
            if ctx.should_stop():
                break
            link = self._claim(run, item, QBO)
            if link is not None:
                claimed.append((item, link))
        if not claimed:
            return
        client = services.qbo_client(run.workspace)
        # A create that was sent before (its worker died mid-call) may have happened: adopt the
        # customer it made instead of sending it again.
        to_send = []
        for item, link in claimed:
            record = record_from_dict(item.payload)
            found = find_in_qbo(client, record, run.workspace) if _was_attempted(link) else None
            if found is not None:
                result = CreateResult(
                    key=str(link.idempotency_key),
                    record=found,
                    notes=["adopted the customer made by an interrupted attempt"],
                )
                self._link_created(run, item, link, result)
            else:
                to_send.append((item, link))
        claimed = to_send
        if not claimed:
            return
        # One batch call; each item's requestid derives from its ledger key, so a retry of the
        # same batch returns QuickBooks' original answer instead of creating a second customer.
        results = client.create_customers(
            [(str(link.idempotency_key), record_from_dict(item.payload)) for item, link in claimed]
        )
        by_key = {result.key: result for result in results}
        for item, link in claimed:
            result = by_key.get(str(link.idempotency_key))
            if result is not None and result.ok:
                self._link_created(run, item, link, result)
            else:
                error = result.error if result is not None else None
                self._fail(run, item, link, error or RuntimeError("QuickBooks gave no answer"))


def _snapshot(qbo: ContactRecord | None, lacrm: ContactRecord | None) -> dict:
    data = {}
    if qbo is not None:
        data.update(qbo_name=qbo.name[:500], qbo_email=qbo.primary_email[:254])
    if lacrm is not None:
        data.update(lacrm_name=lacrm.name[:500], lacrm_email=lacrm.primary_email[:254])
    return data


def _missing_flag(row: ContactLink, qbo: ContactRecord | None, lacrm: ContactRecord | None) -> str:
    """Describe a linked record that vanished from its side; links are flagged, never dropped."""
    missing = []
    if row.qbo_id and qbo is None:
        missing.append("the QuickBooks customer is inactive, a sub-customer or deleted")
    if row.lacrm_id and lacrm is None:
        missing.append("the LACRM contact was not found (deleted?)")
    text = "; ".join(missing)
    return (text[:1].upper() + text[1:])[:200]


def _refresh_snapshot(row: ContactLink, qbo, lacrm, flag: str) -> bool:
    before = (row.qbo_name, row.qbo_email, row.lacrm_name, row.lacrm_email, row.flag)
    for key, value in _snapshot(qbo, lacrm).items():
        setattr(row, key, value)
    row.flag = flag
    return before != (row.qbo_name, row.qbo_email, row.lacrm_name, row.lacrm_email, row.flag)


def _was_attempted(link: ContactLink) -> bool:
    """True for an outbox row an earlier, interrupted attempt left behind."""
    return getattr(link, "resumed", False) and link.attempted_at is not None


def find_in_qbo(client, record: ContactRecord, workspace) -> ContactRecord | None:
    """Find the customer an interrupted create may have made: a name it would try, same email."""
    email = normalize_email(record.primary_email)
    name = normalize_name(record.name)
    taken = set(
        ContactLink.objects.for_workspace(workspace)
        .filter(qbo_id__isnull=False)
        .values_list("qbo_id", flat=True)
    )
    for candidate in client.find_possible_creations(record):
        if candidate.id in taken:
            continue
        if email and email in {normalize_email(e) for e in candidate.emails}:
            return candidate
        if not email and not candidate.emails and normalize_name(candidate.name) == name:
            return candidate
    return None


def find_in_lacrm(client, record: ContactRecord, workspace) -> ContactRecord | None:
    """Find the contact an interrupted create may have made: same email, else same name."""
    email = normalize_email(record.primary_email)
    name = normalize_name(record.name)
    terms = record.primary_email or record.name
    if not terms:
        return None
    taken = set(
        ContactLink.objects.for_workspace(workspace)
        .filter(lacrm_id__isnull=False)
        .values_list("lacrm_id", flat=True)
    )
    for candidate in client.search_contacts(terms):
        if candidate.id in taken:
            continue
        if email and email in {normalize_email(e) for e in candidate.emails}:
            return candidate
        if not email and name and normalize_name(candidate.name) == name:
            return candidate
    return None
