"""Applying a stored preview: a Sync New Contacts run held to exactly that plan.

The run is an ordinary ``contacts`` run (batches of 20, the outbox rule, Stop and Resume), with
a ``PreviewApplication`` row naming the preview. When it plans, ``hold_to_preview`` (registered
with ``sync.contacts.writes``) pulls nothing more than the run already did: it takes the fresh
plan, decides it record by record (``decide.decisions``) and keeps only what the stored preview
showed, unchanged and not excluded (``decide.hold_plan_to``). A stopped apply run is resumed by
applying the same preview again: what the first run did is linked by then, the rest is planned
and held to the same stored decisions.
"""

from __future__ import annotations

import logging

from django.db import transaction

from sync import runs
from sync.contacts.plan import ContactPlan, Pulled
from sync.models import ContactLink, SyncRun
from sync.preview import decide
from sync.preview.creates import describe_creates
from sync.preview.models import ContactPreview, PreviewApplication, PreviewItem

logger = logging.getLogger(__name__)


class CannotApply(Exception):
    """The preview cannot be applied now; the message says why."""


def apply_blockers(preview: ContactPreview) -> list[str]:
    """Why ``preview`` cannot be applied now ([] when it can)."""
    if preview.status != ContactPreview.Status.READY:
        return ["the preview is not ready"]
    if preview.is_expired:
        return ["the preview has expired; make a new one"]
    return runs.start_blockers(preview.workspace, kind=SyncRun.Kind.CONTACTS)


def start_apply(preview: ContactPreview, user=None) -> SyncRun:
    """Start the run that applies ``preview``; raises ``CannotApply`` with the reason."""
    problems = apply_blockers(preview)
    if problems:
        raise CannotApply("; ".join(problems))
    # One transaction: the plan task (sent on commit) finds the application row.
    with transaction.atomic():
        run, created = runs.start_run(preview.workspace, SyncRun.Kind.CONTACTS, user=user)
        if not created:
            raise CannotApply(f"{run.kind_label} is in progress")
        PreviewApplication.objects.create(run=run, preview=preview)
    logger.info("run %s applies preview %s", run.id, preview.id)
    return run


def preview_of(run: SyncRun) -> ContactPreview | None:
    """The preview ``run`` applies, if it applies one."""
    application = PreviewApplication.objects.filter(run_id=run.pk).select_related("preview").first()
    return application.preview if application else None


def stored_decisions(preview: ContactPreview) -> dict[str, decide.StoredDecision]:
    rows = PreviewItem.objects.filter(preview=preview).values_list(
        "category",
        "fingerprint",
        "excluded",
        "system",
        "record_id",
        "record_name",
        "record_email",
        "target_id",
    )
    return {
        decide.record_key(row[3], row[4]): decide.StoredDecision(*row)
        for row in rows.iterator(chunk_size=5000)
    }


def hold_to_preview(run: SyncRun, plan: ContactPlan, pulled: Pulled) -> bool:
    """Narrow a run's fresh plan to its stored preview; False for a run that applies none."""
    preview = preview_of(run)
    if preview is None:
        return False
    if preview.is_expired:
        raise runs.StopRun(
            "The preview this run applies expired before the run started planning; nothing "
            "was done. Make a new preview and apply that."
        )
    creating = ContactLink.objects.for_workspace(run.workspace).filter(
        state=ContactLink.State.CREATING
    )
    # A create left in the outbox is keyed by its source: the side it is not created on.
    unfinished = {
        decide.record_key("lacrm", row.lacrm_id)
        if row.target_system == "qbo"
        else decide.record_key("qbo", row.qbo_id)
        for row in creating
    }
    settled = ContactLink.objects.for_workspace(run.workspace).filter(
        state__in=(ContactLink.State.LINKED, ContactLink.State.NEEDS_REVIEW)
    )
    in_ledger = set()
    for qbo_id, lacrm_id in settled.values_list("qbo_id", "lacrm_id").iterator(chunk_size=5000):
        if qbo_id:
            in_ledger.add(decide.record_key("qbo", qbo_id))
        if lacrm_id:
            in_ledger.add(decide.record_key("lacrm", lacrm_id))
    fresh = decide.decisions(plan, pulled, describe_creates(run.workspace, plan.creates, pulled))
    left = decide.hold_plan_to(plan, fresh, stored_decisions(preview), unfinished, in_ledger)
    logger.info(
        "run %s held to preview %s: %s changed since preview, %s excluded",
        run.id,
        preview.id,
        left[decide.CHANGED],
        left[decide.EXCLUDED],
    )
    return True
