"""django-allauth hooks: signing up creates the user's workspace in the same transaction."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from accounts.models import Membership, Workspace


def create_workspace_for(user, name: str | None = None) -> Workspace:
    """Create a workspace owned by ``user``."""
    local = user.email.split("@", 1)[0]
    workspace = Workspace.objects.create(name=name or f"{local}'s workspace")
    Membership.objects.create(user=user, workspace=workspace, role=Membership.Role.OWNER)
    return workspace


class WorkspaceAccountAdapter(DefaultAccountAdapter):
    """Give every new user exactly one workspace, owned by them."""

    def save_user(self, request, user, form, commit=True):
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                create_workspace_for(user)
        return user
