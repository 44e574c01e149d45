"""What every sandbox QBO API call passes through before and after its handler.

Order: bearer token (401 with the lower-case fault) → realm check (403) → per-realm request
and batch rate windows (429 XML) → in-flight limit (429) → latency → scripted or seeded faults
(429 / 500 / 504) → ``requestid`` replay for POSTs → the handler → a scripted hold or lost answer
(500) of the processed call. Every call is recorded in the call log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

from integrations.sandbox import runtime
from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo import tokens
from integrations.sandbox.qbo.faults import (
    QboFault,
    auth_failed_response,
    fault_payload,
    forbidden_response,
    gateway_timeout_response,
    server_error_response,
    throttle_response,
)
from integrations.sandbox.qbo.models import SandboxQboCompany, SandboxQboRequest

logger = logging.getLogger(__name__)


@dataclass
class Call:
    """One API call as the handler sees it; the handler may refine ``operation``."""

    request: HttpRequest
    company: SandboxQboCompany
    operation: str
    items: int = 0


@dataclass
class Reply:
    status: int
    payload: dict


Handler = Callable[[Call], Reply]


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


def _record(realm_id: str, operation: str, status: int, items: int = 0) -> None:
    runtime.record_call(SandboxCall.System.QBO, realm_id, operation, status, items)


def _run_handler(call: Call, handler: Handler) -> tuple[int, str]:
    try:
        reply = handler(call)
        status, payload = reply.status, reply.payload
    except QboFault as fault:
        status, payload = fault.status, fault_payload(fault, call.company.tzinfo)
    return status, json.dumps(payload, separators=(",", ":"))


def _idempotent(call: Call, request_id: str, handler: Handler) -> tuple[int, str, bool]:
    """Run once per (realm, requestid); a repeat gets the stored status and body back.

    The placeholder row is inserted first in the same transaction as the work, so a concurrent
    duplicate blocks on the unique index until the first commits, then reads its response.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {SandboxQboRequest._meta.db_table} "  # noqa: S608 (our own table name)
                "(company_id, request_id, status, body, created_at) "
                "VALUES (%s, %s, NULL, '', now()) "
                "ON CONFLICT (company_id, request_id) DO NOTHING RETURNING id",
                [call.company.pk, request_id[:100]],
            )
            inserted = cursor.fetchone()
        if inserted is None:
            stored = SandboxQboRequest.objects.get(
                company=call.company, request_id=request_id[:100]
            )
            return stored.status or 200, stored.body, True
        status, body = _run_handler(call, handler)
        SandboxQboRequest.objects.filter(pk=inserted[0]).update(status=status, body=body)
    return status, body, False


def serve(
    request: HttpRequest, realm_id: str, operation: str, handler: Handler, *, batch: bool = False
) -> HttpResponse:
    """Authenticate, rate-limit and fault-inject one API call, then run ``handler``."""
    started = time.monotonic()
    grant, reason = (
        tokens.grant_for_access_token(_bearer(request))
        if _bearer(request)
        else (
            None,
            "Authorization header missing or not a Bearer token",
        )
    )
    if grant is None:
        _record(realm_id, operation, 401)
        return auth_failed_response(reason)
    company = grant.company
    if company.realm_id != realm_id:
        _record(realm_id, operation, 403)
        return forbidden_response(company.tzinfo)
    knobs = runtime.knobs()
    tz = company.tzinfo
    limits = [(f"qbo:{realm_id}", knobs.qbo_requests_per_minute)]
    if batch:
        limits.append((f"qbo-batch:{realm_id}", knobs.qbo_batches_per_minute))
    if runtime.over_limits(limits, knobs):
        _record(realm_id, operation, 429)
        return throttle_response(tz)
    with runtime.in_flight(f"qbo:{realm_id}", knobs.qbo_max_concurrent) as allowed:
        if not allowed:
            _record(realm_id, operation, 429)
            return throttle_response(tz)
        runtime.apply_latency(knobs)
        decision = runtime.decide(knobs, SandboxCall.System.QBO, operation)
        fault = decision.fault
        if fault is runtime.Fault.THROTTLE:
            _record(realm_id, operation, 429)
            return throttle_response(tz)
        if fault is runtime.Fault.SERVER_ERROR:
            _record(realm_id, operation, 500)
            return server_error_response(tz)
        if fault is runtime.Fault.TIMEOUT:
            time.sleep(knobs.timeout_seconds)
            _record(realm_id, operation, 504)
            return gateway_timeout_response()
        call = Call(request=request, company=company, operation=operation)
        request_id = request.GET.get("requestid", "") if request.method == "POST" else ""
        replayed = False
        if request_id:
            status, body, replayed = _idempotent(call, request_id, handler)
        else:
            status, body = _run_handler(call, handler)
    # The work is committed: a scripted hold keeps the answer back now, a lost answer is a 500.
    if status == 200 and runtime.after_processing(decision):
        _record(realm_id, call.operation, 500, 0 if replayed else call.items)
        return server_error_response(tz)
    _record(realm_id, call.operation, status, 0 if replayed else call.items)
    logger.debug(
        "sandbox qbo %s %s -> %s in %.0f ms%s",
        realm_id,
        call.operation,
        status,
        (time.monotonic() - started) * 1000,
        " (replayed)" if replayed else "",
    )
    response = HttpResponse(body, status=status, content_type="application/json;charset=UTF-8")
    response["intuit_tid"] = f"sandbox-{int(time.time() * 1000)}"
    return response


def parse_json_body(request: HttpRequest) -> dict:
    """The request's JSON object, or a 2010-style fault."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise QboFault(
            "2010",
            "Request has invalid or unsupported property",
            "Request body is not valid JSON",
        ) from None
    if not isinstance(body, dict):
        raise QboFault(
            "2010", "Request has invalid or unsupported property", "Expected a JSON object"
        )
    return body
