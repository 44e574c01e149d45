"""Sending notification emails to the members of a workspace who want them.

Mail is rendered with allauth's adapter (its subject prefix, sender and templates: the same
set-up as sign-up and invitations) and sent one message per recipient, so addresses are never
shown to each other. A recipient whose mail fails is logged (by id, never the address) and the
rest still get theirs; nothing here raises into a run.
"""

from __future__ import annotations

import logging

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.urls import reverse

from accounts.models import Membership
from notifications.models import NotificationSettings

logger = logging.getLogger(__name__)

# The NotificationSettings field that lets a user opt out of each kind of notice.
PREFERENCES = ("run_completed", "run_failed", "connection_problem", "expiry_warning")


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def recipients(workspace, preference: str) -> list:
    """Active members of the workspace who have not turned ``preference`` off."""
    if preference not in PREFERENCES:
        raise ValueError(f"Unknown notification preference {preference!r}")
    opted_out = set(
        NotificationSettings.objects.filter(workspace=workspace, **{preference: False}).values_list(
            "user_id", flat=True
        )
    )
    members = (
        Membership.objects.filter(workspace=workspace, user__is_active=True)
        .select_related("user")
        .order_by("created_at")
    )
    return [m.user for m in members if m.user_id not in opted_out]


def send(workspace, preference: str, template_prefix: str, context: dict) -> int:
    """Mail every recipient of ``preference``; returns how many messages went out."""
    adapter = get_adapter()
    base = {
        "workspace_name": workspace.name,
        "settings_url": absolute(reverse("notifications:settings")),
        **context,
    }
    sent = 0
    for user in recipients(workspace, preference):
        try:
            adapter.render_mail(template_prefix, user.email, {**base, "user": user}).send()
        except Exception:  # noqa: BLE001 - one failing recipient must not stop the others
            logger.exception(
                "notification %s for workspace %s to user %s not sent",
                template_prefix.rsplit("/", 1)[-1],
                workspace.pk,
                user.pk,
            )
            continue
        sent += 1
    logger.info(
        "notification %s for workspace %s: %s sent",
        template_prefix.rsplit("/", 1)[-1],
        workspace.pk,
        sent,
    )
    return sent
