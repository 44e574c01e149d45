"""The "Notifications" part of a user's settings: which emails they get for this workspace."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.scoping import workspace_required
from notifications.forms import NotificationSettingsForm
from notifications.models import NotificationSettings


@workspace_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    """Every member chooses for themselves; the row is made on the first save."""
    instance = (
        NotificationSettings.objects.for_workspace(request.workspace)
        .filter(user=request.user)
        .first()
    ) or NotificationSettings(user=request.user, workspace=request.workspace)
    form = NotificationSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Notification choices for {request.workspace.name} saved.")
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
