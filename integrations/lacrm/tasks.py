"""Celery tasks of the LACRM provider: register/remove the webhook, and the edit-poll sweep.

The sync app asks for these by name (it may not import providers): ``lacrm.register_webhook``
and ``lacrm.remove_webhook`` when continuous mode is switched on or off, each sent with
``args=[workspace id], kwargs={"workspace_id": workspace id}``. ``lacrm.poll_due`` runs on the
beat and polls every workspace whose webhook is registered (continuous mode for LACRM) once its
poll interval has passed.
"""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.scoping import CrossTenantTask, WorkspaceTask, scope
from integrations import changes
from integrations.errors import IntegrationError
from integrations.lacrm import polling, webhooks
from integrations.lacrm.models import LacrmWebhook
from integrations.records import LACRM

logger = logging.getLogger(__name__)

REGISTER_WEBHOOK = "lacrm.register_webhook"
REMOVE_WEBHOOK = "lacrm.remove_webhook"
POLL_DUE = "lacrm.poll_due"


def _workspace(workspace_pk):
    from accounts.models import Workspace

    return Workspace.objects.get(pk=workspace_pk)


@shared_task(name=REGISTER_WEBHOOK, base=WorkspaceTask)
def register_webhook(workspace_pk: str) -> str:
    return webhooks.register_webhook(_workspace(workspace_pk)).state


@shared_task(name=REMOVE_WEBHOOK, base=WorkspaceTask)
def remove_webhook(workspace_pk: str) -> bool:
    return webhooks.remove_webhook(_workspace(workspace_pk))


def poll_due_workspaces() -> int:
    """Poll each workspace with a registered webhook whose interval has passed; returns how
    many were polled. One workspace's failure (LACRM down, key revoked) never stops the rest."""
    polled = 0
    hooks = LacrmWebhook.objects.filter(state=LacrmWebhook.State.ACTIVE).select_related("workspace")
    poll = changes.pollers().get(LACRM)
    for hook in hooks:
        with scope(workspace=hook.workspace):
            if not polling.is_due(hook.workspace):
                continue
            try:
                poll(hook.workspace)
            except IntegrationError as exc:
                logger.info("Workspace %s: LACRM poll failed: %s", hook.workspace_id, exc.message)
                continue
            polled += 1
    return polled


@shared_task(name=POLL_DUE, base=CrossTenantTask)
def poll_due() -> int:
    return poll_due_workspaces()
