"""QBO fault shapes: the JSON ``Fault`` envelope, the lower-case 401 body and the XML 429."""

from __future__ import annotations

import json
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils import timezone

DEFAULT_TZ = ZoneInfo("America/Los_Angeles")


class QboFault(Exception):
    """A fault the sandbox answers with, shaped like Intuit's ``{"Fault": {...}}``."""

    def __init__(
        self,
        code: str | int,
        message: str,
        detail: str = "",
        *,
        element: str = "",
        fault_type: str = "ValidationFault",
        status: int = 400,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = str(code)
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        self.status = status

    def fault(self) -> dict:
        """The ``Fault`` object (as used on its own inside a batch item)."""
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def qbo_time(tz: ZoneInfo | None = None) -> str:
    """The ``time`` stamp of a response, in the company's timezone with milliseconds."""
    now = timezone.now().astimezone(tz or DEFAULT_TZ)
    return now.isoformat(timespec="milliseconds")


def iso(dt: datetime, tz: ZoneInfo) -> str:
    """A MetaData datetime: ISO 8601 with the company's offset, whole seconds."""
    return dt.astimezone(tz).isoformat(timespec="seconds")


def json_response(payload: dict, status: int = 200) -> HttpResponse:
    """Serialise a payload the way Intuit does: compact JSON, UTF-8."""
    return HttpResponse(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        content_type="application/json;charset=UTF-8",
    )


def fault_payload(fault: QboFault, tz: ZoneInfo | None = None) -> dict:
    return {"Fault": fault.fault(), "time": qbo_time(tz)}


def auth_failed_response(detail: str) -> HttpResponse:
    """HTTP 401 with the lower-case ``fault`` body Intuit sends for bad or expired tokens."""
    payload = {
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                }
            ],
            "type": "AUTHENTICATION",
        },
        "time": int(time.time() * 1000),
    }
    response = json_response(payload, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="Intuit", error="invalid_token"'
    return response


def forbidden_response(tz: ZoneInfo | None = None) -> HttpResponse:
    """HTTP 403: a valid token used on a realm it was not granted for."""
    fault = QboFault(
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        "",
        fault_type="SERVICE",
        status=403,
    )
    return json_response(fault_payload(fault, tz), status=403)


THROTTLE_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{time}">
  <Fault type="SERVICE">
    <Error code="3001" element="">
      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
      <Detail>The request limit was reached.</Detail>
    </Error>
  </Fault>
</IntuitResponse>
"""


def throttle_response(tz: ZoneInfo | None = None) -> HttpResponse:
    """HTTP 429 in XML even though JSON was asked for, as Intuit historically answers."""
    return HttpResponse(
        THROTTLE_XML.format(time=qbo_time(tz)),
        status=429,
        content_type="application/xml;charset=UTF-8",
    )


def server_error_response(tz: ZoneInfo | None = None) -> HttpResponse:
    """HTTP 500 with a JSON system fault (an injected fault)."""
    fault = QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data."
        " Please wait a few minutes and try again.",
        fault_type="SystemFault",
        status=500,
    )
    return json_response(fault_payload(fault, tz), status=500)


def gateway_timeout_response() -> HttpResponse:
    """HTTP 504 after a stall, with the HTML body a load balancer would send."""
    return HttpResponse(
        "<html><body><h1>504 Gateway Time-out</h1></body></html>",
        status=504,
        content_type="text/html",
    )
