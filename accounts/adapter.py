"""django-allauth hooks: sign-up creates the user's workspace; rate limits see the real client."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from accounts.client_ip import client_ip
from accounts.models import Membership, Workspace


def create_workspace_for(user, name: str | None = None) -> Workspace:
    """Create a workspace owned by ``user``."""
    local = user.email.split("@", 1)[0]
    workspace = Workspace.objects.create(name=name or f"{local}'s workspace")
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.OWNER)
    return workspace


class WorkspaceAccountAdapter(DefaultAccountAdapter):
    """Give every new user exactly one workspace, owned by them; rate-limit by the real client."""

    def get_client_ip(self, request) -> str:
        # allauth's rate limits (login, failed logins, sign-up, reset) key on this.
        return client_ip(request)

    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                create_workspace_for(user)
        return user
