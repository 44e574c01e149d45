"""Sandbox Intuit OAuth 2: discovery, the consent screen, token, revoke, userinfo, JWKS.

On the wire these behave like Intuit's endpoints so intuit-oauth's ``AuthClient`` works
unchanged, with one deliberate difference: every refresh rotates the refresh token and the old
one fails with ``invalid_grant`` at once (Intuit allows ~24 h), so rotation bugs show up here.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.sandbox import runtime
from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo import store, tokens
from integrations.sandbox.qbo.models import SandboxQboCompany

logger = logging.getLogger(__name__)

KNOWN_SCOPES = {
    "com.intuit.quickbooks.accounting",
    "com.intuit.quickbooks.payment",
    "com.intuit.quickbooks.payroll",
    "com.intuit.quickbooks.payroll.timetracking",
    "com.intuit.quickbooks.payroll.benefits",
    "com.intuit.quickbooks.payroll.payslip.read",
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "intuit_name",
}
ACCOUNTING = "com.intuit.quickbooks.accounting"
SCOPE_TEXT = {
    "com.intuit.quickbooks.accounting": "Your QuickBooks company data: customers, vendors, "
    "invoices, payments and reports (read and write)",
    "com.intuit.quickbooks.payment": "Process payments on your behalf",
    "openid": "Confirm your Intuit identity",
    "profile": "Your name",
    "email": "Your email address",
    "phone": "Your phone number",
    "address": "Your address",
}
OAUTH = SandboxCall.System.INTUIT_OAUTH
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _log(operation: str, status: int, account: str = "") -> None:
    runtime.record_call(OAUTH, account, operation, status)


def _oauth_error(error: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error}, status=status, headers=NO_STORE)


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    """The OpenID discovery document intuitlib fetches when ``environment`` is a URL."""

    def server(name: str) -> str:
        # Server-to-server endpoints: the same host the document was fetched from.
        return request.build_absolute_uri(reverse(name))

    doc = {
        "issuer": server("sandbox_qbo:discovery").rsplit("/.well-known", 1)[0],
        # The browser goes here, so it must be the public address of this install.
        "authorization_endpoint": settings.SITE_URL + reverse("sandbox_qbo:authorize"),
        "token_endpoint": server("sandbox_qbo:token"),
        "userinfo_endpoint": server("sandbox_qbo:userinfo"),
        "revocation_endpoint": server("sandbox_qbo:revoke"),
        "jwks_uri": server("sandbox_qbo:jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": sorted(KNOWN_SCOPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    }
    _log("discovery", 200)
    return JsonResponse(doc)


def _valid_redirect_uri(uri: str) -> bool:
    """An absolute http(s) URL without a fragment (the sandbox has no app registry)."""
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.fragment


def _redirect(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return HttpResponseRedirect(f"{redirect_uri}{separator}{query}")


def _target_company(request: HttpRequest, posted_realm: str = "") -> SandboxQboCompany | None:
    """The company this consent connects: the workspace's, else an unowned one (or None)."""
    workspace = getattr(request, "workspace", None)
    if workspace is not None:
        return store.company_for_workspace(workspace)
    unowned = SandboxQboCompany.objects.filter(workspace__isnull=True)
    if posted_realm:
        return unowned.filter(realm_id=posted_realm).first()
    return unowned.order_by("-created_at", "-pk").first()


def _create_target(request: HttpRequest) -> SandboxQboCompany:
    workspace = getattr(request, "workspace", None)
    name = None
    if workspace is None:
        # Keep the name the consent page showed (it is random for visitors without a workspace).
        name = request.POST.get("company_name", "").strip()[:120] or None
    try:
        return store.create_company(workspace=workspace, name=name)
    except IntegrityError:
        # A double click created the workspace's company in a parallel request.
        existing = store.company_for_workspace(workspace)
        if existing is None:
            raise
        return existing


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """The consent screen: "Connect LedgerLink to Sandbox Company …" with Connect / Cancel."""
    params = request.POST if request.method == "POST" else request.GET
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    state = params.get("state")
    scope = params.get("scope", "")
    if client_id != settings.QBO_CLIENT_ID or not _valid_redirect_uri(redirect_uri):
        # Never redirect to an unverified URI: show the error here, as Intuit does.
        _log("authorize invalid_client", 400)
        reason = "invalid client_id" if client_id != settings.QBO_CLIENT_ID else "bad redirect_uri"
        return render(request, "sandbox_qbo/consent_error.html", {"reason": reason}, status=400)
    if params.get("response_type") != "code":
        _log("authorize unsupported_response_type", 302)
        return _redirect(redirect_uri, error="unsupported_response_type", state=state)
    scopes = scope.split()
    if not scopes or any(s not in KNOWN_SCOPES for s in scopes) or ACCOUNTING not in scopes:
        _log("authorize invalid_scope", 302)
        return _redirect(redirect_uri, error="invalid_scope", state=state)

    if request.method == "GET":
        company = _target_company(request)
        workspace = getattr(request, "workspace", None)
        context = {
            "company_name": company.name if company else store.default_company_name(workspace),
            "realm_id": company.realm_id if company and workspace is None else "",
            "new_company": company is None and workspace is None,
            "user_label": request.user.email if request.user.is_authenticated else "Sandbox user",
            "scope_texts": [SCOPE_TEXT.get(s, s) for s in scopes],
            "params": {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": scope,
                "state": state or "",
            },
        }
        _log("authorize consent", 200)
        return render(request, "sandbox_qbo/consent.html", context)

    if request.POST.get("action") != "connect":
        _log("authorize access_denied", 302)
        return _redirect(redirect_uri, error="access_denied", state=state)
    company = _target_company(request, request.POST.get("realm_id", "").strip())
    if company is None:
        company = _create_target(request)
    code = tokens.issue_code(company, client_id=client_id, redirect_uri=redirect_uri, scope=scope)
    _log("authorize connect", 302, company.realm_id)
    return _redirect(redirect_uri, code=code, state=state, realmId=company.realm_id)


def _client_ok(request: HttpRequest) -> bool:
    """Check HTTP Basic client credentials against the configured app."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    client_id, _, secret = decoded.partition(":")
    return client_id == settings.QBO_CLIENT_ID and secret == settings.QBO_CLIENT_SECRET


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    """The token endpoint: authorization_code and refresh_token grants (Basic client auth)."""
    runtime.apply_latency(runtime.knobs())
    grant_type = request.POST.get("grant_type", "")
    operation = f"token {grant_type}"[:80]
    if not _client_ok(request):
        _log(operation, 401)
        return _oauth_error("invalid_client", 401)
    try:
        if grant_type == "authorization_code":
            code = request.POST.get("code", "")
            redirect_uri = request.POST.get("redirect_uri", "")
            if not code or not redirect_uri:
                _log(operation, 400)
                return _oauth_error("invalid_request")
            issued, realm_id = tokens.exchange_code(
                code, client_id=settings.QBO_CLIENT_ID, redirect_uri=redirect_uri
            )
        elif grant_type == "refresh_token":
            refresh = request.POST.get("refresh_token", "")
            if not refresh:
                _log(operation, 400)
                return _oauth_error("invalid_request")
            issued = tokens.rotate(refresh, client_id=settings.QBO_CLIENT_ID)
            realm_id = ""
        else:
            _log(operation, 400)
            return _oauth_error("unsupported_grant_type")
    except tokens.InvalidGrant:
        _log(operation, 400)
        return _oauth_error("invalid_grant")
    _log(operation, 200, realm_id)
    asked = request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
    return JsonResponse(issued.payload(with_hard_expiry=asked), headers=NO_STORE)


@csrf_exempt
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    """Revoke a refresh or access token: the whole grant (the connection) ends."""
    runtime.apply_latency(runtime.knobs())
    if not _client_ok(request):
        _log("revoke", 401)
        return _oauth_error("invalid_client", 401)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    value = body.get("token") if isinstance(body, dict) else None
    if not value:
        value = request.POST.get("token")
    if not value:
        _log("revoke", 400)
        return _oauth_error("invalid_request")
    # Like RFC 7009, an unknown token is still a 200: there is nothing left to revoke.
    tokens.revoke(str(value), client_id=settings.QBO_CLIENT_ID)
    _log("revoke", 200)
    return HttpResponse(status=200)


@require_GET
def userinfo(request: HttpRequest) -> JsonResponse:
    """Minimal OpenID userinfo for a bearer access token."""
    header = request.headers.get("Authorization", "")
    grant, reason = (None, "missing token")
    if header.startswith("Bearer "):
        grant, reason = tokens.grant_for_access_token(header[7:].strip())
    if grant is None:
        _log("userinfo", 401)
        return JsonResponse({"error": "invalid_token", "error_description": reason}, status=401)
    _log("userinfo", 200, grant.company.realm_id)
    return JsonResponse(
        {
            "sub": f"sandbox-user-{grant.company.realm_id}",
            "givenName": "Sandbox",
            "familyName": "User",
            "email": "sandbox.user@example.com",
            "emailVerified": True,
        }
    )


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """No keys: the sandbox never issues id_tokens."""
    return JsonResponse({"keys": []})
