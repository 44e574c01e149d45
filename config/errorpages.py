"""The site's own error pages (404, 403, 500, CSRF failure): each says what happened in plain
words and offers a way back. (An account with no workspace gets ``accounts.no_workspace``.)

Django renders ``404.html``, ``403.html``, ``400.html`` and ``500.html`` by itself when
``DEBUG`` is off; only the CSRF failure needs a view (``CSRF_FAILURE_VIEW``).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form was sent without a valid CSRF token: usually a page left open too long or a
    sign-in in another tab since. Nothing was changed."""
    logger.info("CSRF failure on %s: %s", request.path, reason)
    return render(request, "errors/csrf.html", status=403)
