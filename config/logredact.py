"""Keep OAuth ``code`` and ``state`` values out of every log line.

An OAuth callback carries them in its query string (``/integrations/quickbooks/callback/?code=…
&state=…&realmId=…``), and so does the sign-in redirect of a callback that arrives without a
session (``/accounts/login/?next=…%3Fcode%3D…``). Access logs print request lines, so both
Django's runserver logger (``django.server``) and gunicorn's access and error logs pass through
``RedactOAuthParams``; the LOGGING setting and ``config/gunicorn.py`` attach it. Other query
parameters stay readable.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[redacted]"
# ``code=`` / ``state=`` (or their percent-encoded form inside another parameter, such as
# ``next=``) at the start of a query parameter, up to the end of that parameter.
_SECRET_PARAM = re.compile(
    r"(?:(?<=[?&;\s])|(?<=%3F)|(?<=%26)|^)"
    r"((?:code|state)(?:=|%3D))"
    r"(?:(?!%26)[^&\s\"'])*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the value of every ``code`` and ``state`` parameter replaced."""
    return _SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


class RedactOAuthParams(logging.Filter):
    """A logging filter that redacts OAuth parameters in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def _add_filter(logger: logging.Logger) -> None:
    if not any(isinstance(f, RedactOAuthParams) for f in logger.filters):
        logger.addFilter(RedactOAuthParams())


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger with ``code``/``state`` redacted in access lines and errors.

    Its error log names the request URI when a request fails, so it is filtered too.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        _add_filter(self.access_log)
        _add_filter(self.error_log)
