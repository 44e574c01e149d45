"""Workspace scoping: every view reaches tenant rows only through these helpers.

A row of another workspace is a 404, never a 403, so an outsider learns nothing about it.
"""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import Workspace

M = TypeVar("M", bound=models.Model)


class WorkspaceQuerySet(models.QuerySet):
    """A queryset of tenant rows; ``for_workspace`` is the one way views should start a query."""

    def for_workspace(self, workspace: Workspace) -> WorkspaceQuerySet:
        if workspace is None:
            return self.none()
        return self.filter(workspace=workspace)


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
            raise Http404("You are not a member of any workspace.")
        return view(request, *args, **kwargs)

    return wrapper


def get_own_workspace(request: HttpRequest, workspace_id: Any) -> Workspace:
    """Return the workspace named in a URL only if it is the request's own; otherwise 404."""
    workspace = getattr(request, "workspace", None)
    if workspace is None or str(workspace.pk) != str(workspace_id):
        raise Http404("No such workspace.")
    return workspace
