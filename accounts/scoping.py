"""Workspace scoping: tenancy that fails closed.

Every model with a ``workspace`` foreign key uses ``WorkspaceManager`` (django-scopes): a query
outside an open workspace scope raises ``ScopeError`` instead of reading every tenant's rows,
and inside one it is filtered to that workspace. Scopes are opened at the edges:

- requests: ``accounts.middleware.WorkspaceMiddleware`` (the signed-in user's workspace);
- Celery tasks: ``WorkspaceTask`` (the workspace the task was sent for);
- work across tenants (beat's periodic checks, operator commands, the admin) says so with
  ``scopes_disabled()`` and opens ``scope(workspace=...)`` for each tenant's own work.

Views also use ``get_for_workspace``: a row of another workspace is a 404, never a 403, so an
outsider learns nothing about it.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from celery import Task
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django_scopes import ScopedManager, scope, scopes_disabled

__all__ = [
    "WorkspaceManager",
    "WorkspaceQuerySet",
    "WorkspaceTask",
    "CrossTenantTask",
    "scope",
    "scopes_disabled",
    "get_for_workspace",
    "workspace_required",
    "get_own_workspace",
]

if TYPE_CHECKING:
    from django.http import HttpRequest

# Tenant models (``accounts.models`` too) use this module, so it names the workspace model
# only as a Django model here; importing it would be a cycle.
Workspace = models.Model

M = TypeVar("M", bound=models.Model)


class WorkspaceQuerySet(models.QuerySet):
    """A queryset of tenant rows; ``for_workspace`` is the one way views should start a query."""

    def for_workspace(self, workspace: Workspace) -> WorkspaceQuerySet:
        if workspace is None:
            return self.none()
        return self.filter(workspace=workspace)


def WorkspaceManager(path: str = "workspace"):  # noqa: N802 - a manager factory, like ScopedManager
    """The default manager of a tenant model: scoped to the open workspace (fails closed).

    ``path`` is the lookup from the model to its workspace (``"run__workspace"`` for rows that
    belong to a run).
    """
    return ScopedManager(
        _manager_class=models.Manager.from_queryset(WorkspaceQuerySet), workspace=path
    )


class WorkspaceTask(Task):
    """A Celery task that runs inside one workspace's scope.

    Callers pass ``workspace_id`` as a keyword; a task sent without it (a message queued before
    this rule existed) asks ``workspace_of`` for it.
    """

    abstract = True

    def workspace_of(self, *args, **kwargs):
        raise TypeError(f"{self.name} was sent without workspace_id")

    def __call__(self, *args, **kwargs):
        workspace_id = kwargs.pop("workspace_id", None)
        if workspace_id is None:
            with scopes_disabled():
                workspace_id = self.workspace_of(*args, **kwargs)
        if workspace_id is None:
            return None  # The tenant's row is gone: nothing to do.
        with scope(workspace=workspace_id):
            return super().__call__(*args, **kwargs)


class CrossTenantTask(Task):
    """A periodic task that looks across all workspaces (and scopes each tenant's own work)."""

    abstract = True

    def __call__(self, *args, **kwargs):
        with scopes_disabled():
            return super().__call__(*args, **kwargs)


def get_for_workspace(request: HttpRequest, model: type[M] | models.QuerySet, **lookup: Any) -> M:
    """Return the one row matching ``lookup`` in the request's workspace, or raise 404."""
    queryset = model if isinstance(model, models.QuerySet) else model._default_manager.all()
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        raise Http404("No workspace.")
    return get_object_or_404(queryset.filter(workspace=workspace), **lookup)


def workspace_required(view):
    """Require a signed-in user with a workspace (``request.workspace`` is set by middleware)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "workspace", None) is None:
            # Not a 404: say what to do (create a workspace, sign up, or use the admin).
            from accounts.no_workspace import no_workspace

            return no_workspace(request)
        return view(request, *args, **kwargs)

    return wrapper


def get_own_workspace(request: HttpRequest, workspace_id: Any) -> Workspace:
    """Return the workspace named in a URL only if it is the request's own; otherwise 404."""
    workspace = getattr(request, "workspace", None)
    if workspace is None or str(workspace.pk) != str(workspace_id):
        raise Http404("No such workspace.")
    return workspace
