"""Logging: everything to stdout, OAuth parameters redacted, chatty libraries kept quiet."""

from __future__ import annotations


def logging_config(level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "plain",
            }
        },
        "filters": {
            # OAuth ``code`` and ``state`` never reach a log line (config/logredact.py).
            "redact_oauth": {"()": "config.logredact.RedactOAuthParams"},
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            # runserver's access log; Django's default sends it to stderr unfiltered.
            "django.server": {
                "handlers": ["stdout"],
                "level": "INFO",
                "propagate": False,
                "filters": ["redact_oauth"],
            },
            "django.request": {"filters": ["redact_oauth"]},
            "django.db.backends": {"level": "WARNING"},
            # urllib3 logs full URLs at DEBUG; keep it quiet so nothing sensitive leaks.
            "urllib3": {"level": "WARNING"},
            "requests_oauthlib": {"level": "WARNING"},
            "intuitlib": {"level": "WARNING"},
        },
    }
