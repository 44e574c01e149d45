"""What the providers' connect pages share: the OAuth state problem, the disconnect page."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

STATE_PROBLEM = (
    "The {system} connection could not be verified: the sign-in link was expired, already used "
    "or not started from this page. Nothing was connected; please try again."
)


def confirm_disconnect(
    request: HttpRequest,
    *,
    system: str,
    what: str,
    action: str,
    consequence: str,
    disconnect: Callable[[object], bool],
    done: str,
) -> HttpResponse:
    """GET: the confirmation page naming what goes; POST: disconnect and say so."""
    if request.method == "POST":
        if disconnect(request.workspace):
            messages.success(request, done)
        return redirect("integrations:index")
    return render(
        request,
        "integrations/confirm_disconnect.html",
        {"system": system, "what": what, "action": action, "consequence": consequence},
    )
