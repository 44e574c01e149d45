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


def _workspace(workspace_pk):
    from accounts.models import Workspace

    return Workspace.objects.get(pk=workspace_pk)


@shared_task(name=REGISTER_WEBHOOK, base=WorkspaceTask)
def register_webhook(workspace_pk: str) -> str:
    return webhooks.register_webhook(_workspace(workspace_pk)).state


@shared_task(name=REMOVE_WEBHOOK, base=WorkspaceTask)
def remove_webhook(workspace_pk: str) -> bool:
    return webhooks.remove_webhook(_workspace(workspace_pk))
