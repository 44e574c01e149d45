"""Project-wide request and response guards.

``SecurityHeadersMiddleware`` adds the Content-Security-Policy and Permissions-Policy headers
(``settings.CONTENT_SECURITY_POLICY`` / ``PERMISSIONS_POLICY``) to every response.

``RejectUnreadableInputMiddleware`` answers 400 to a query string or form that holds a NUL byte
or bytes that are not UTF-8. Django reads undecodable bytes as U+FFFD and passes NUL through,
and Postgres refuses NUL in any string ("A string literal cannot contain NUL"), so such input
used to end as a 500 on every page that searches or looks records up, or as a CSV export cut
short after its header. No legitimate browser or API client sends either.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _unreadable(encoded: bytes) -> bool:
    """Whether percent-encoded form data decodes to a NUL or to bytes that are not UTF-8."""
    raw = unquote_to_bytes(encoded.replace(b"+", b" "))
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _problem(request: HttpRequest) -> str | None:
    """Which part of the request cannot be read, or ``None``."""
    if "\x00" in request.path_info:
        return "address"
    # WSGI hands the query string over as Latin-1 text: encoding it back gives the raw bytes.
    query = request.META.get("QUERY_STRING", "")
    if query and _unreadable(query.encode("latin-1", errors="replace")):
        return "query string"
    if request.method != "POST":
        return None
    content_type = request.content_type or ""
    if content_type == FORM_URLENCODED:
        if _unreadable(request.body):
            return "form"
    elif content_type == MULTIPART:
        # Django's multipart parser has already replaced undecodable bytes; NUL survives it.
        values = [*request.POST.keys(), *[v for vs in request.POST.lists() for v in vs[1]]]
        if any("\x00" in value for value in values):
            return "form"
    return None


class RejectUnreadableInputMiddleware:
    """A clear 400 page for NUL bytes and non-UTF-8 bytes in the query string or a form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _problem(request)
        if where is None:
            return self.get_response(request)
        logger.info("Refused a request with unreadable characters in its %s", where)
        return render(request, "bad_input.html", {"where": where}, status=400)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response that has none yet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Django's DEBUG error pages (technical 404/500) are styled and scripted inline.
        debug_page = settings.DEBUG and response.status_code in (404, 500)
        if settings.CONTENT_SECURITY_POLICY and not debug_page:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
