"""LACRM's partner OAuth 2.0 (authorization code, no PKCE), as the sandbox serves it.

``/sandbox/lacrm/oauth/authorize`` shows LACRM's consent page to the signed-in user and grants
access to their workspace's sandbox account (created, with demo data, on first use).
``/sandbox/lacrm/oauth/token`` trades a code or a refresh token for tokens; refresh tokens are
single-use, so a client that loses the rotated one must reconnect, like with the real service.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accounts.scoping import workspace_required
from integrations.sandbox import runtime
from integrations.sandbox.lacrm import store
from integrations.sandbox.lacrm.models import SandboxLacrmAccount, SandboxLacrmGrant, random_token
from integrations.sandbox.models import SandboxCall

logger = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)


def account_for_access_token(token: str) -> SandboxLacrmAccount | None:
    """The account an unexpired access token opens, or ``None``."""
    if not token:
        return None
    grant = (
        SandboxLacrmGrant.objects.filter(
            kind=SandboxLacrmGrant.Kind.ACCESS,
            token_hash=store.hash_secret(token),
            expires_at__gt=timezone.now(),
        )
        .select_related("account")
        .first()
    )
    return grant.account if grant else None


def _issue(account: SandboxLacrmAccount, kind: str, lifetime: timedelta, **extra: Any) -> str:
    token = random_token(48)
    SandboxLacrmGrant.objects.create(
        account=account,
        kind=kind,
        token_hash=store.hash_secret(token),
        expires_at=timezone.now() + lifetime,
        **extra,
    )
    return token


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@workspace_required
def authorize(request: HttpRequest) -> HttpResponse:
    """The consent page: Allow sends a code to ``redirect_url``, Deny sends ``access_denied``."""
    source = request.POST if request.method == "POST" else request.GET
    client_id = source.get("client_id", "")
    redirect_url = source.get("redirect_url") or source.get("redirect_uri") or ""
    state = source.get("state", "")
    problem = ""
    if not settings.LACRM_OAUTH_CLIENT_ID or not secrets.compare_digest(
        client_id, settings.LACRM_OAUTH_CLIENT_ID
    ):
        problem = "This application is not registered with Less Annoying CRM."
    elif urlsplit(redirect_url).scheme not in ("http", "https"):
        problem = "The application did not send a valid redirect_url."
    elif request.method == "GET" and source.get("response_type") != "code":
        problem = 'Only response_type "code" is supported.'
    if problem:
        return render(request, "sandbox_lacrm/consent.html", {"problem": problem}, status=400)

    if request.method == "POST":
        if request.POST.get("decision") != "allow":
            return HttpResponseRedirect(
                _with_query(redirect_url, {"error": "access_denied", "state": state})
            )
        account = store.account_for_workspace(request.workspace)
        if account is None:
            account, _ = store.create_account(workspace=request.workspace, seed_demo=True)
        code = _issue(
            account, SandboxLacrmGrant.Kind.CODE, CODE_LIFETIME, redirect_url=redirect_url
        )
        logger.info("Sandbox LACRM OAuth code issued for account %s", account.uid)
        return HttpResponseRedirect(_with_query(redirect_url, {"code": code, "state": state}))

    context = {"client_id": client_id, "redirect_url": redirect_url, "state": state}
    return render(request, "sandbox_lacrm/consent.html", context)


def _client_ok(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic ") or not settings.LACRM_OAUTH_CLIENT_ID:
        return False
    try:
        client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return secrets.compare_digest(
        client_id, settings.LACRM_OAUTH_CLIENT_ID
    ) and secrets.compare_digest(secret, settings.LACRM_OAUTH_CLIENT_SECRET)


def _body(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


def _spend(kind: str, secret: Any) -> SandboxLacrmGrant | None:
    """Use up a code or refresh token; ``None`` when unknown, expired or already used."""
    if not isinstance(secret, str) or not secret:
        return None
    grant = (
        SandboxLacrmGrant.objects.select_for_update()
        .filter(kind=kind, token_hash=store.hash_secret(secret))
        .select_related("account")
        .first()
    )
    if grant is None or grant.used_at is not None or grant.expires_at <= timezone.now():
        return None
    grant.used_at = timezone.now()
    grant.save(update_fields=["used_at"])
    return grant


@csrf_exempt
def token(request: HttpRequest) -> HttpResponse:
    """``POST /sandbox/lacrm/oauth/token``: authorization_code and refresh_token grants."""
    current = runtime.knobs()
    runtime.apply_latency(current)
    system = SandboxCall.System.LACRM_OAUTH
    if request.method != "POST":
        return JsonResponse({"error": "invalid_request"}, status=405)
    data = _body(request)
    grant_type = str(data.get("grant_type", ""))
    operation = f"token {grant_type}"[:80]
    if not _client_ok(request):
        runtime.record_call(system, "", operation, 401)
        return JsonResponse(
            {"error": "invalid_client", "error_description": "Client authentication failed."},
            status=401,
        )
    if grant_type == "authorization_code":
        kind, secret = SandboxLacrmGrant.Kind.CODE, data.get("code")
    elif grant_type == "refresh_token":
        kind, secret = SandboxLacrmGrant.Kind.REFRESH, data.get("refresh_token")
    else:
        runtime.record_call(system, "", operation, 400)
        return JsonResponse({"error": "unsupported_grant_type"}, status=400)

    with transaction.atomic():
        grant = _spend(kind, secret)
        if grant is None:
            runtime.record_call(system, "", operation, 400)
            description = "The code or refresh token is invalid, expired or already used."
            return JsonResponse(
                {"error": "invalid_grant", "error_description": description}, status=400
            )
        access_lifetime = timedelta(seconds=current.lacrm_access_token_lifetime)
        refresh_lifetime = timedelta(seconds=current.lacrm_refresh_token_lifetime)
        access = _issue(grant.account, SandboxLacrmGrant.Kind.ACCESS, access_lifetime)
        refresh = _issue(grant.account, SandboxLacrmGrant.Kind.REFRESH, refresh_lifetime)
    runtime.record_call(system, grant.account.uid, operation, 200)
    return JsonResponse(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": current.lacrm_access_token_lifetime,
            "refresh_token": refresh,
            "refresh_token_expires_in": current.lacrm_refresh_token_lifetime,
        }
    )
