"""Less Annoying CRM's edit poll, as continuous sync runs it (LACRM sends no edit event).

The poll itself is the LACRM provider's (``integrations.lacrm.polling``, registered as the
``lacrm`` poller in ``integrations.changes``): newest ``LastUpdate`` first down to its cursor,
plus, at most hourly, a look-up of the linked contact ids to find deleted ones. This module adds
what only the sync app knows — which LACRM contacts are linked in the ledger — and the Celery
task ``continuous.poll_lacrm_edits`` (one workspace, at once). The continuous tick
(``sync.continuous.schedule``) calls the registered ``lacrm`` poller — this module's
``poll_lacrm_edits`` — for every continuous workspace; it polls once the workspace's interval
has passed, and registers LACRM's webhook first if it is missing.
"""

from __future__ import annotations

import logging

from integrations import changes, registry
from integrations.records import LACRM
from sync.models import ContactLink

logger = logging.getLogger(__name__)


def linked_lacrm_ids(workspace) -> list[str]:
    """The LACRM ids of the workspace's linked pairs (what a deletion would break)."""
    return list(
        ContactLink.objects.for_workspace(workspace)
        .filter(state=ContactLink.State.LINKED, lacrm_id__isnull=False)
        .values_list("lacrm_id", flat=True)
    )


# The provider's own poller (it takes the linked ids), captured when this module registers.
_provider_poll = None


def poll_lacrm_edits(workspace, *, force_deletion_check: bool = False, only_if_due: bool = True):
    """Poll the workspace's LACRM for edits and deletions and deliver them to the intake.

    By default only once the workspace's interval (the LACRM card: 15, 30 or 60 minutes) has
    passed, since the continuous tick offers a poll every 15 minutes. Returns the provider's
    ``PollResult`` (``None`` when not due, not connected, or no LACRM provider is installed).
    """
    if _provider_poll is None or not registry.get(LACRM).status(workspace).get("connected"):
        return None
    return _provider_poll(
        workspace,
        linked_ids=linked_lacrm_ids(workspace),
        force_deletion_check=force_deletion_check,
        only_if_due=only_if_due,
    )


def register() -> None:
    """Stand in for the provider's ``lacrm`` poller, adding the ledger's linked ids.

    The provider apps are ready before the sync apps (``INSTALLED_APPS`` order), so the
    provider's poller is registered by then; whoever calls ``pollers()["lacrm"](workspace)``
    (the LACRM card's schedule, the continuous schedule) gets the full poll.
    """
    global _provider_poll
    provider = changes.pollers().get(LACRM)
    if provider is None or provider is poll_lacrm_edits:
        return
    _provider_poll = provider
    changes.register_poller(LACRM, poll_lacrm_edits)
