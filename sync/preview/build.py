"""Building a preview: pull and plan exactly as Sync New Contacts does, store it, write nothing.

The reads are the run's own (``sync.contacts.pull``), the plan is the run's own
(``sync.contacts.writes.plan_for`` → the pure planner); nothing is written to either system
or to the ledger. The plan is stored with one COPY, item by item, and kept for
``PREVIEW_LIFETIME``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from integrations.errors import IntegrationError
from sync.contacts.pull import pull_workspace
from sync.contacts.writes import plan_for
from sync.preview import decide
from sync.preview.creates import describe_creates
from sync.preview.models import KEEP_EXPIRED, PREVIEW_LIFETIME, ContactPreview, PreviewItem

logger = logging.getLogger(__name__)


def build_preview(preview_id) -> None:
    """Pull, plan and store one queued preview (the Celery task calls this)."""
    preview = ContactPreview.objects.filter(pk=preview_id).first()
    if preview is None or preview.status != ContactPreview.Status.QUEUED:
        return  # Gone, or a duplicate delivery of a job that already ran.
    _update(preview, status=ContactPreview.Status.RUNNING, started_at=timezone.now())
    forget_old_items(preview.workspace)
    _update(preview, stage="Reading QuickBooks and Less Annoying CRM…")
    try:
        pulled = pull_workspace(preview.workspace, lambda: _update(preview))
        started = time.monotonic()
        _update(preview, stage="Matching and planning…")
        plan, _ledger = plan_for(preview.workspace, pulled)
        previews = describe_creates(preview.workspace, plan.creates, pulled)
        found = decide.decisions(plan, pulled, previews)
        _update(preview, stage=f"Storing {len(found):,} planned items…")
        store(preview, found.values())
    except IntegrationError as exc:
        _fail(preview, str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - the page says the preview failed, with a reason
        logger.exception("preview %s crashed", preview.id)
        _fail(preview, f"Internal error ({type(exc).__name__}); the team has been notified.")
        return
    now = timezone.now()
    _update(
        preview,
        status=ContactPreview.Status.READY,
        stage="",
        finished_at=now,
        expires_at=now + PREVIEW_LIFETIME,
        qbo_pulled=len(pulled.qbo) + sum(1 for r, _ in pulled.skipped if r.system == "qbo"),
        lacrm_pulled=len(pulled.lacrm),
        plan_seconds=round(time.monotonic() - started, 3),
    )
    logger.info("preview %s ready: %s items", preview.id, len(found))


COLUMNS = (
    "preview_id",
    "seq",
    "category",
    "system",
    "record_id",
    "record_name",
    "record_email",
    "target_id",
    "target_name",
    "reason",
    "fields",
    "notes",
    "fingerprint",
    "excluded",
)


# Empty values are empty strings, never NULL (COPY's CSV reads an unquoted empty as NULL).
TEXT_COLUMNS = COLUMNS[2:10] + ("fingerprint",)


def store(preview: ContactPreview, found) -> None:
    """Write the items and the counts per category, in one transaction.

    With Postgres' COPY: tens of thousands of rows in about a second, where ``bulk_create``
    takes several (``python -m tests.bench preview`` measures it).
    """
    counts: Counter = Counter()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for seq, decision in enumerate(found):
        counts[decision.category] += 1
        record = decision.record
        writer.writerow(
            (
                preview.pk,
                seq,
                decision.category,
                record.system,
                record.id,
                record.name[:500],
                record.primary_email[:254],
                decision.target_id,
                decision.target_name[:500],
                decision.reason,
                # A list of pairs: jsonb keeps no key order, and the order is the reading order.
                json.dumps([[name, value] for name, value in decision.fields.items()]),
                json.dumps(list(decision.notes)),
                decision.fingerprint,
                "f",
            )
        )
    buffer.seek(0)
    table = PreviewItem._meta.db_table
    with transaction.atomic():
        PreviewItem.objects.filter(preview=preview).delete()
        with connection.cursor() as cursor:
            cursor.copy_expert(
                f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, "  # noqa: S608
                f"FORCE_NOT_NULL ({', '.join(TEXT_COLUMNS)}))",
                buffer,
            )
        ContactPreview.objects.filter(pk=preview.pk).update(counts=dict(counts))


def forget_old_items(workspace) -> int:
    """Delete the lists of previews that expired over ``KEEP_EXPIRED`` ago (their counts stay,
    and so do the links from the runs that applied them)."""
    cutoff = timezone.now() - KEEP_EXPIRED
    deleted, _ = PreviewItem.objects.filter(
        preview__workspace=workspace, preview__expires_at__lt=cutoff
    ).delete()
    return deleted


def _update(preview: ContactPreview, **values) -> None:
    values.setdefault("heartbeat_at", timezone.now())
    ContactPreview.objects.filter(pk=preview.pk).update(**values)


def _fail(preview: ContactPreview, reason: str) -> None:
    _update(
        preview,
        status=ContactPreview.Status.FAILED,
        stage="",
        finished_at=timezone.now(),
        failure_reason=reason[:2000],
    )
