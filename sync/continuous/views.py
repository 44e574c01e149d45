"""The operator page: the install's QuickBooks read budget (staff only; others get a 404)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.scoping import scopes_disabled
from sync.continuous import budget, status


@login_required
def operator(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise Http404
    with scopes_disabled():  # The whole install, on purpose: it is the operator's page.
        info = status.operator()
    return render(
        request,
        "continuous/operator.html",
        {
            "info": info,
            "warn_at": int(budget.WARN_AT * 100),
            "full_stop": int(budget.FULL_PULLS_STOP_AT * 100),
            "catch_up_stop": int(budget.CATCH_UP_STOPS_AT * 100),
        },
    )
