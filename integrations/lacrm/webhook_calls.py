"""LACRM's webhook calls (CreateWebhook, GetWebhooks, DeleteWebhook).

A mixin of ``LacrmClient``, like ``removal.RemovalCalls``; every call goes through the client's
``call``.
"""

from __future__ import annotations

from collections.abc import Sequence

from integrations.errors import TransientError
from integrations.records import LACRM


class WebhookCalls:
    def create_webhook(
        self, endpoint_url: str, *, scope: str = "Account", events: Sequence[str] = ()
    ) -> str:
        """CreateWebhook; returns LACRM's WebhookId.

        LACRM performs the handshake (a POST carrying ``X-Hook-Secret`` to ``endpoint_url``)
        while this call is open, so the endpoint must be able to answer meanwhile. Not retried:
        a retry would register a second webhook.
        """
        data = self.call(
            "CreateWebhook",
            {
                "EndpointUrl": endpoint_url,
                "WebhookScope": scope,
                "Events": list(events or ["Contact.Create"]),
            },
            idempotent=False,
        )
        webhook_id = str((data or {}).get("WebhookId") or "") if isinstance(data, dict) else ""
        if not webhook_id:
            raise TransientError(
                "Less Annoying CRM did not return the new webhook's id.", system=LACRM
            )
        return webhook_id

    def get_webhooks(self) -> list[dict]:
        """The account's webhooks (a bare array or the paged shape, both are read)."""
        data = self.call("GetWebhooks")
        if isinstance(data, dict):
            data = data.get("Results") or []
        return [w for w in data or [] if isinstance(w, dict)]

    def delete_webhook(self, webhook_id: str) -> None:
        self.call("DeleteWebhook", {"WebhookId": str(webhook_id)})
