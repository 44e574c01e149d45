"""OAUTHLIB_INSECURE_TRANSPORT: set in development when a provider URL is http://, never else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import allows_insecure_oauth_transport

ROOT = Path(__file__).resolve().parent.parent
VARIABLE = "OAUTHLIB_INSECURE_TRANSPORT"
UNSET = "<unset>"
PRODUCTION = {
    "LEDGERLINK_ENV": "production",
    "DATABASE_URL": "postgres://ledgerlink:ledgerlink@127.0.0.1:5432/ledgerlink",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP",
    "FIELD_ENCRYPTION_KEYS": "a" * 43 + "=",
    "ALLOWED_HOSTS": "ledgerlink.example.com",
    "SITE_URL": "https://ledgerlink.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "QBO_CLIENT_ID": "id",
    "QBO_CLIENT_SECRET": "secret",
}
HTTP_ENDPOINTS = {
    "QBO_DISCOVERY_URL": "http://127.0.0.1:9000/.well-known/openid_configuration",
    "QBO_API_BASE_URL": "http://127.0.0.1:9000/v3",
    "LACRM_API_URL": "http://127.0.0.1:9001/v2/",
    "LACRM_OAUTH_AUTHORIZE_URL": "http://127.0.0.1:9001/oauth/authorize",
    "LACRM_OAUTH_TOKEN_URL": "http://127.0.0.1:9001/oauth/token",
}


def _variable_after_settings(overrides: dict[str, str]) -> str | None:
    """The variable's value once config.settings has loaded in a fresh process (None: unset)."""
    code = f"import os, django; django.setup(); print(os.environ.get({VARIABLE!r}, {UNSET!r}))"
    # This test process has it set already (its settings use the http sandbox); start without.
    env = {
        k: v
        for k, v in os.environ.items()
        if k != VARIABLE and not k.startswith(("SANDBOX", "QBO_", "LACRM_", "SITE_URL"))
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", **overrides})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    value = result.stdout.strip().splitlines()[-1]
    return None if value == UNSET else value


@pytest.mark.parametrize(
    ("production", "endpoints", "allowed"),
    [
        (False, ["https://example.com", "http://127.0.0.1:8000/sandbox/qbo/v3"], True),
        (False, ["https://example.com", "", "HTTPS://example.org"], False),
        (True, ["http://127.0.0.1:8000/sandbox/qbo/v3"], False),
        (True, ["https://example.com"], False),
    ],
)
def test_insecure_transport_only_in_development_with_an_http_endpoint(
    production, endpoints, allowed
):
    assert allows_insecure_oauth_transport(production, endpoints) is allowed


def test_development_with_the_http_sandbox_sets_it():
    assert _variable_after_settings({}) == "1"


def test_development_pointed_at_local_http_endpoints_sets_it_without_the_sandbox():
    assert _variable_after_settings({"SANDBOX_ENABLED": "false", **HTTP_ENDPOINTS}) == "1"


def test_development_against_the_real_https_services_does_not_set_it():
    assert _variable_after_settings({"SANDBOX_ENABLED": "false"}) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        HTTP_ENDPOINTS,
        # A public demo: the sandbox served by production, on a plain-http SITE_URL.
        {
            "SANDBOX_ENABLED": "true",
            "SANDBOX_IN_PRODUCTION": "true",
            "SITE_URL": "http://demo.example.com",
        },
    ],
    ids=["defaults", "http-endpoints", "http-sandbox-demo"],
)
def test_production_never_sets_it(overrides):
    assert _variable_after_settings({**PRODUCTION, **overrides}) is None
