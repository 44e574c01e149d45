"""Merging two sandbox customers, as a QuickBooks user does by renaming one to the other's name.

The merged-away customer (the loser) disappears: its invoices move to the survivor, its row is
deleted and a tombstone remembers it for CDC (``status: Deleted``), and a ``merged`` webhook
names both (CloudEvents: the survivor's id with ``data.deletedid``; legacy: ``Merge`` with
``deletedId``).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from integrations.sandbox.qbo import webhooks
from integrations.sandbox.qbo.faults import QboFault
from integrations.sandbox.qbo.invoices import apply_balance_delta
from integrations.sandbox.qbo.models import (
    SandboxQboCompany,
    SandboxQboInvoice,
    SandboxQboName,
    SandboxQboTombstone,
)

CUSTOMER = SandboxQboName.Entity.CUSTOMER


def merge_customers(company: SandboxQboCompany, loser_id: int, survivor_id: int) -> SandboxQboName:
    with transaction.atomic():
        rows = {
            row.qbo_id: row
            for row in SandboxQboName.objects.select_for_update().filter(
                company=company, entity=CUSTOMER, qbo_id__in=[loser_id, survivor_id]
            )
        }
        if loser_id == survivor_id or len(rows) != 2:
            raise QboFault("610", "Object Not Found", "Both customers must exist and differ")
        loser, survivor = rows[loser_id], rows[survivor_id]
        now = timezone.now()
        invoices = SandboxQboInvoice.objects.filter(company=company, customer_qbo_id=loser_id)
        moved = invoices.aggregate(total=Sum("balance"))["total"] or 0
        invoices.update(customer_qbo_id=survivor_id, updated_at=now)
        apply_balance_delta(company, loser_id, -moved)
        apply_balance_delta(company, survivor_id, moved)
        SandboxQboName.objects.filter(company=company, parent_qbo_id=loser_id).update(
            parent_qbo_id=survivor_id
        )
        loser.delete()
        SandboxQboTombstone.objects.create(
            company=company, entity=CUSTOMER, qbo_id=loser_id, deleted_at=now
        )
        survivor.sync_token += 1
        survivor.updated_at = now
        survivor.save(update_fields=["sync_token", "updated_at"])
        webhooks.announce(company, "Customer", survivor_id, "merged", deleted_id=loser_id, at=now)
    return survivor
