"""Reactions to changes in the integrations that the summaries' state must follow."""

from __future__ import annotations

from django.dispatch import receiver

from integrations.connections import company_changed
from summaries.models import ContactSummaryState


@receiver(company_changed)
def forget_summaries_of_old_company(sender, workspace, **kwargs):
    """Throttle rows describe the old company's customers; a new company starts without them."""
    ContactSummaryState.objects.filter(workspace=workspace).delete()
