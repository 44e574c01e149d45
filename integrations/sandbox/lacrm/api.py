"""The LACRM API v2 endpoint: one URL, ``{"Function", "Parameters"}`` bodies, 400 for errors.

Every call goes through the sandbox runtime like a real service's front door: latency, the
per-account rate limit, scripted or seeded faults, then the function, a scripted hold or lost
answer, and a line in the call log.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from integrations.sandbox import runtime
from integrations.sandbox.lacrm import contacts, notes, oauth, store, webhooks
from integrations.sandbox.lacrm.fields import ApiError
from integrations.sandbox.lacrm.models import SandboxLacrmAccount
from integrations.sandbox.models import SandboxCall

logger = logging.getLogger(__name__)


def get_user(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """GetUser: the user the key belongs to."""
    return {
        "UserId": account.user_id,
        "FirstName": account.first_name,
        "LastName": account.last_name,
        "Email": account.email,
        "Timezone": account.timezone,
    }, 1


def get_users(account: SandboxLacrmAccount, params: dict[str, Any]) -> tuple[Any, int]:
    """GetUsers: a bare array of the account's users (without emails)."""
    return [contacts.user_meta(account)], 1


FUNCTIONS = {
    "GetUser": get_user,
    "GetUsers": get_users,
    "GetContacts": contacts.get_contacts,
    "GetContact": contacts.get_contact,
    "GetContactsById": contacts.get_contacts_by_id,
    "CreateContact": webhooks.create_contact,
    "EditContact": contacts.edit_contact,
    "DeleteContact": contacts.delete_contact,
    "CreateNote": notes.create_note,
    "GetNote": notes.get_note,
    "EditNote": notes.edit_note,
    "DeleteNote": notes.delete_note,
    "GetNotesAttachedToContact": notes.notes_attached_to_contact,
    "GetNotes": notes.get_notes,
    "CreateWebhook": webhooks.create_webhook,
    "GetWebhooks": webhooks.get_webhooks,
    "DeleteWebhook": webhooks.delete_webhook,
}


def error_response(description: str, status: int = 400, **headers: str) -> JsonResponse:
    """LACRM's error shape: an opaque ErrorCode and a readable description."""
    code = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))
    response = JsonResponse({"ErrorCode": code, "ErrorDescription": description}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _parse(request: HttpRequest) -> tuple[str, dict[str, Any]]:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError("The request body is not valid JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("Function"), str):
        raise ApiError('The body must be a JSON object with a "Function" name.')
    params = body.get("Parameters")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ApiError('"Parameters" must be a JSON object.')
    return body["Function"], params


def _authenticate(request: HttpRequest) -> SandboxLacrmAccount | None:
    header = request.headers.get("Authorization", "").strip()
    if header.lower().startswith("bearer "):
        return oauth.account_for_access_token(header[7:].strip())
    return store.account_for_key(header)


@csrf_exempt
def api(request: HttpRequest) -> HttpResponse:
    """``POST /sandbox/lacrm/v2/``: dispatch one function call."""
    current = runtime.knobs()
    runtime.apply_latency(current)
    system = SandboxCall.System.LACRM
    operation = request.method or "?"
    account: SandboxLacrmAccount | None = None
    try:
        if request.method != "POST":
            raise ApiError("The API only accepts POST requests.")
        operation, params = _parse(request)
        account = _authenticate(request)
        if account is None:
            raise ApiError("Invalid credentials: the API key or access token is not valid.")
        if runtime.over_rate(f"lacrm:{account.uid}", current.lacrm_requests_per_minute):
            runtime.record_call(system, account.uid, operation, 429)
            retry_after = str(60 - int(time.time()) % 60)
            return error_response("Too many requests", 429, Retry_After=retry_after)
        handler = FUNCTIONS.get(operation)
        if handler is None:
            raise ApiError(f'Unknown function "{operation}".')
        # Decided for calls that would be processed, so a script's "next call" is one that is.
        decision = runtime.decide(current, system, operation)
        fault = decision.fault
        if fault is runtime.Fault.THROTTLE:
            runtime.record_call(system, account.uid, operation, 429)
            return error_response("Too many requests", 429, Retry_After="1")
        if fault is runtime.Fault.SERVER_ERROR:
            runtime.record_call(system, account.uid, operation, 500)
            return error_response("Internal server error", 500)
        if fault is runtime.Fault.TIMEOUT:
            time.sleep(current.timeout_seconds)
            runtime.record_call(system, account.uid, operation, 504)
            return error_response("Gateway timeout", 504)
        payload, items = handler(account, params)
    except ApiError as error:
        runtime.record_call(system, account.uid if account else "", operation, error.status)
        return error_response(error.description, error.status)
    # The work is committed: a scripted hold keeps the answer back now, a lost answer is a 500.
    if runtime.after_processing(decision):
        runtime.record_call(system, account.uid, operation, 500, items)
        return error_response("Internal server error", 500)
    runtime.record_call(system, account.uid, operation, 200, items)
    if payload is None:
        return HttpResponse(b"", content_type="application/json")
    return JsonResponse(payload, safe=False)
