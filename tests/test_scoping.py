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


# --- Tenancy that fails closed -------------------------------------------------------------------

# Models with a workspace foreign key that are not tenant rows of ours, and why.
NOT_TENANT_ROWS = {
    # The mapping from a user to their workspace: read to find the scope, before one is open.
    "accounts.Membership": "how a request finds its workspace",
}


def _tenant_models():
    from django.apps import apps

    from accounts.models import Workspace

    found = []
    for model in apps.get_models():
        if model._meta.app_label.startswith("sandbox_"):
            continue  # The built-in sandbox imitates the vendors' data, not ours.
        path = _workspace_path(model, Workspace)
        if path and model._meta.label not in NOT_TENANT_ROWS:
            found.append((model, path))
    return found


def _workspace_path(model, workspace_model) -> str:
    for field in model._meta.get_fields():
        relation = getattr(field, "many_to_one", False) or getattr(field, "one_to_one", False)
        if relation and field.concrete and field.related_model is workspace_model:
            return field.name
    # Rows that belong to a run belong to its workspace.
    run = next((f for f in model._meta.get_fields() if f.name == "run" and f.concrete), None)
    if run is not None and _workspace_path(run.related_model, workspace_model):
        return "run__workspace"
    return ""


def test_every_tenant_model_refuses_a_query_outside_a_workspace_scope():
    from django_scopes import scope
    from django_scopes.exceptions import ScopeError

    models = _tenant_models()
    labels = {model._meta.label for model, _ in models}
    # The walk finds the tenant models (a broken walk would pass vacuously).
    assert {"sync.ContactLink", "sync.SyncRun", "sync.SyncWorkItem"} <= labels
    assert {"integrations.QuickBooksConnection", "summaries.SummaryNote"} <= labels
    for model, _ in models:
        with scope(), pytest.raises(ScopeError):  # A scope with no workspace in it.
            list(model.objects.all())


def test_a_workspace_scope_reads_only_that_workspaces_rows(alice, bob):
    from django_scopes import scope

    from sync.models import ContactLink

    alice_ws, bob_ws = alice.workspaces.get(), bob.workspaces.get()
    ContactLink.objects.create(workspace=alice_ws, qbo_id="1", state="linked")
    ContactLink.objects.create(workspace=bob_ws, qbo_id="1", state="linked")
    with scope(workspace=alice_ws.pk):
        assert [link.workspace_id for link in ContactLink.objects.all()] == [alice_ws.pk]
        assert ContactLink.objects.filter(qbo_id="1").count() == 1


def _through_middleware(user):
    """What ``ContactLink.objects.all()`` returns inside a request of ``user``."""
    from django.contrib.auth.models import AnonymousUser
    from django_scopes import scope

    from accounts.middleware import WorkspaceMiddleware
    from sync.models import ContactLink

    def view(request):
        return [link.qbo_id for link in ContactLink.objects.all()]

    request = RequestFactory().get("/dashboard/")
    request.user = user or AnonymousUser()
    with scope():  # Outside the tests' everything-visible scope, as a real request is.
        return WorkspaceMiddleware(view)(request)


def test_a_request_sees_only_its_workspace_and_an_anonymous_one_nothing(alice, bob):
    from django_scopes.exceptions import ScopeError

    from sync.models import ContactLink

    ContactLink.objects.create(workspace=alice.workspaces.get(), qbo_id="a1", state="linked")
    ContactLink.objects.create(workspace=bob.workspaces.get(), qbo_id="b1", state="linked")
    assert _through_middleware(alice) == ["a1"]
    assert _through_middleware(bob) == ["b1"]
    with pytest.raises(ScopeError):
        _through_middleware(None)
