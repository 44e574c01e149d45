"""Sync New Contacts' reads: both systems through their protocols, nothing written."""

from __future__ import annotations

from collections.abc import Callable

from integrations import registry
from sync.contacts.plan import Pulled
from sync.models import SyncRun, SyncSettings
from sync.runs import BatchContext


def pull_contacts(run: SyncRun, ctx: BatchContext) -> Pulled:
    """Pull both sides and set aside the QBO records the workspace's settings skip."""
    return pull_workspace(run.workspace, ctx.heartbeat)


def pull_workspace(workspace, heartbeat: Callable[[], None]) -> Pulled:
    """``pull_contacts`` for any caller (the preview too); ``heartbeat`` is called every 1,000
    records and after each side."""
    sync_settings = SyncSettings.for_workspace(workspace)
    accounting = registry.accounting(workspace)
    crm = registry.crm(workspace)
    pulled = Pulled(qbo={}, lacrm={})
    # Inactive customers are pulled too, so the logs can say why each one was skipped.
    for count, record in enumerate(accounting.iter_contacts(include_inactive=True), 1):
        if count % 1000 == 0:
            heartbeat()
        if not record.active and not sync_settings.include_inactive:
            pulled.skipped.append((record, "Inactive in QuickBooks (workspace setting)"))
        elif record.parent_id and sync_settings.sub_customers == SyncSettings.SubCustomers.SKIP:
            pulled.skipped.append(
                (record, "Sub-customer in QuickBooks; its invoices roll up to the parent")
            )
        else:
            pulled.qbo[record.id] = record
    heartbeat()
    for count, record in enumerate(crm.iter_contacts(), 1):
        if count % 1000 == 0:
            heartbeat()
        pulled.lacrm[record.id] = record
    heartbeat()
    return pulled
