"""Small, strict helpers that read settings from the environment.

A value that is present but malformed is an error at start-up, never a silent default:
a typo in ``DEBUG=ture`` must not quietly run production with debug off or on.
"""

from __future__ import annotations

import os


class ImproperlyConfiguredEnv(Exception):
    """Raised when an environment variable is missing or malformed."""


_MISSING = object()


def env_str(name: str, default: str | object = _MISSING) -> str:
    """Return the variable as a string; without a default a missing value is an error."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is _MISSING:
            raise ImproperlyConfiguredEnv(f"The environment variable {name} must be set.")
        return default  # type: ignore[return-value]
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return "true"/"false" (any case) as a bool; anything else is an error."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ImproperlyConfiguredEnv(f'{name} must be "true" or "false", not {value!r}.')


def env_int(name: str, default: int) -> int:
    """Return the variable as an int; a non-integer is an error."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{name} must be a whole number, not {value!r}.") from exc


def env_float(name: str, default: float) -> float:
    """Return the variable as a float; a non-number is an error."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfiguredEnv(f"{name} must be a number, not {value!r}.") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated variable as a list of stripped, non-empty strings."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def is_fernet_key(value: str) -> bool:
    """Whether ``value`` is a usable Fernet key (32 url-safe base64-encoded bytes)."""
    from cryptography.fernet import Fernet

    try:
        Fernet(value)
    except (ValueError, TypeError):
        return False
    return True


def allows_insecure_oauth_transport(production: bool, endpoints: list[str]) -> bool:
    """Whether oauthlib may use http:// URLs: in development, when an endpoint is http://."""
    return not production and any(url.lower().startswith("http://") for url in endpoints)
