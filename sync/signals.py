"""Reactions to changes in the integrations that the ledger must follow."""

from __future__ import annotations

import logging

from django.dispatch import receiver

from integrations.connections import company_changed
from sync.models import ContactLink, RejectedPair

logger = logging.getLogger(__name__)


@receiver(company_changed)
def reset_ledger_for_new_company(sender, workspace, old_realm_id="", new_realm_id="", **kwargs):
    """The ledger belongs to one QuickBooks company: a confirmed switch starts it afresh.

    Runs inside the transaction that switches the company, so the switch and the reset land
    together. Runs and their logs stay as history.
    """
    links, _ = ContactLink.objects.filter(workspace=workspace).delete()
    RejectedPair.objects.filter(workspace=workspace).delete()
    logger.info(
        "workspace %s switched QuickBooks company %s -> %s; ledger reset (%s rows)",
        workspace.pk,
        old_realm_id,
        new_realm_id,
        links,
    )
