"""The workspace-scoped query helpers that every view uses."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from accounts.middleware import workspace_for_user
from accounts.models import Membership
from accounts.scoping import get_for_workspace, get_own_workspace

pytestmark = pytest.mark.django_db


def _request_for(user):
    request = RequestFactory().get("/")
    request.user = user
    request.workspace = workspace_for_user(user)
    return request


def test_get_for_workspace_returns_own_rows_and_404s_for_others(alice, bob):
    alice_membership = Membership.objects.get(user=alice)
    bob_membership = Membership.objects.get(user=bob)
    request = _request_for(alice)
    assert get_for_workspace(request, Membership, pk=alice_membership.pk) == alice_membership
    with pytest.raises(Http404):
        get_for_workspace(request, Membership, pk=bob_membership.pk)


def test_get_own_workspace_404s_for_another_workspace(alice, bob):
    request = _request_for(alice)
    assert get_own_workspace(request, alice.workspaces.get().id).name == "Alice & Co"
    with pytest.raises(Http404):
        get_own_workspace(request, bob.workspaces.get().id)
