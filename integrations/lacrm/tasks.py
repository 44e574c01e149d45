"""Celery tasks of the LACRM provider: register or remove the workspace's webhook.

The sync app may ask for these by name (it may not import providers), each sent with
``args=[workspace id], kwargs={"workspace_id": workspace id}``. (Continuous mode also registers
a missing webhook at its next LACRM poll, ``webhooks.ensure_webhook``.)
"""

from __future__ import annotations

import logging

from celery import shared_task

from accounts.scoping import WorkspaceTask
from integrations.lacrm import webhooks

logger = logging.getLogger(__name__)

REGISTER_WEBHOOK = "lacrm.register_webhook"
REMOVE_WEBHOOK = "lacrm.remove_webhook"
ENSURE_WEBHOOK = "lacrm.ensure_webhook"


def _workspace(workspace_pk):
    from accounts.models import Workspace

    return Workspace.objects.get(pk=workspace_pk)


@shared_task(name=REGISTER_WEBHOOK, base=WorkspaceTask)
def register_webhook(workspace_pk: str) -> str:
    return webhooks.register_webhook(_workspace(workspace_pk)).state


@shared_task(name=REMOVE_WEBHOOK, base=WorkspaceTask)
def remove_webhook(workspace_pk: str) -> bool:
    return webhooks.remove_webhook(_workspace(workspace_pk))


@shared_task(name=ENSURE_WEBHOOK, base=WorkspaceTask)
def ensure_webhook(workspace_pk: str) -> str:
    """Register the webhook if continuous mode wants one and LACRM is connected."""
    from integrations.lacrm.connection import lacrm_status

    workspace = _workspace(workspace_pk)
    if not lacrm_status(workspace).get("connected"):
        return "not connected"
    hook = webhooks.ensure_webhook(workspace)
    return hook.state if hook is not None else "unchanged"


def mode_changed(workspace, continuous: bool) -> None:
    """Continuous mode on: register the webhook now (not at the next poll); off: delete it at
    LACRM, so it stops sending what nobody applies. In the worker, after the settings commit."""
    from celery import current_app
    from django.db import transaction

    name = ENSURE_WEBHOOK if continuous else REMOVE_WEBHOOK
    workspace_pk = str(workspace.pk)
    transaction.on_commit(
        lambda: current_app.send_task(
            name, args=[workspace_pk], kwargs={"workspace_id": workspace_pk}
        )
    )
