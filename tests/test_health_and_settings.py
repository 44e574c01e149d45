"""/healthz and the environment-driven settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_ok_when_database_and_redis_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_503_when_redis_is_down(client, db, settings):
    # Port 1 on loopback has nothing listening: a real connection failure.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "down"
    assert response.json()["database"] == "ok"


def _run_django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "FIELD_ENC"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "LEDGERLINK_ENV": "production",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ledgerlink",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "ledgerlink.example.com",
    "SITE_URL": "https://ledgerlink.example.com",
    "EMAIL_HOST": "smtp.example.com",
    "QBO_CLIENT_ID": "id",
    "QBO_CLIENT_SECRET": "secret",
}


def test_production_refuses_to_start_without_secret_key():
    result = _run_django({**PRODUCTION, "FIELD_ENCRYPTION_KEYS": "a" * 43 + "="}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_encryption_keys():
    result = _run_django({**PRODUCTION, "SECRET_KEY": "x" * 60}, "check")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_settings_pass_check_deploy():
    secret = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"
    result = _run_django(
        {**PRODUCTION, "SECRET_KEY": secret, "FIELD_ENCRYPTION_KEYS": "a" * 43 + "="},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("value", ["yes", "1", "ture"])
def test_malformed_bool_is_an_error(value):
    result = _run_django({"DEBUG": value}, "check")
    assert result.returncode != 0
    assert 'DEBUG must be "true" or "false"' in result.stderr


def test_sqlite_database_url_is_refused():
    result = _run_django({"DATABASE_URL": "sqlite:///db.sqlite3"}, "check")
    assert result.returncode != 0
    assert "Postgres" in result.stderr


# --- Secrets and the sandbox in production ------------------------------------------------------

GOOD_KEY = "a" * 43 + "="
GOOD_SECRET = "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP"


def test_production_refuses_the_development_secret_key():
    from config.settings import DEV_SECRET_KEY

    result = _run_django(
        {**PRODUCTION, "SECRET_KEY": DEV_SECRET_KEY, "FIELD_ENCRYPTION_KEYS": GOOD_KEY}, "check"
    )
    assert result.returncode != 0
    assert "SECRET_KEY is the development value" in result.stderr


def test_production_refuses_the_development_encryption_key_even_among_others():
    from config.settings import DEV_FIELD_ENCRYPTION_KEY

    keys = f"{GOOD_KEY},{DEV_FIELD_ENCRYPTION_KEY}"
    result = _run_django(
        {**PRODUCTION, "SECRET_KEY": GOOD_SECRET, "FIELD_ENCRYPTION_KEYS": keys}, "check"
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS holds the development key" in result.stderr
    assert DEV_FIELD_ENCRYPTION_KEY not in result.stderr


@pytest.mark.parametrize("environment", [{}, {**PRODUCTION, "SECRET_KEY": GOOD_SECRET}])
def test_a_value_that_is_not_a_fernet_key_is_refused_at_start_up(environment):
    keys = f"{GOOD_KEY},notakey-but-secret-ish"
    result = _run_django({**environment, "FIELD_ENCRYPTION_KEYS": keys}, "check")
    assert result.returncode != 0
    assert "key number 2 is not a Fernet key" in result.stderr
    assert "notakey-but-secret-ish" not in result.stderr


def test_production_refuses_the_sandbox_unless_explicitly_wanted():
    environment = {
        **PRODUCTION,
        "SECRET_KEY": GOOD_SECRET,
        "FIELD_ENCRYPTION_KEYS": GOOD_KEY,
        "SANDBOX_ENABLED": "true",
    }
    refused = _run_django(environment, "check")
    assert refused.returncode != 0
    assert "SANDBOX_IN_PRODUCTION=true" in refused.stderr

    allowed = _run_django({**environment, "SANDBOX_IN_PRODUCTION": "true"}, "check", "--deploy")
    assert "WARNING" in allowed.stderr and "served under /sandbox/ to anyone" in allowed.stderr
    # ``check --deploy`` says so too, so a deploy pipeline with --fail-level WARNING stops.
    assert "ledgerlink.W001" in allowed.stderr + allowed.stdout


def _installed(env_overrides: dict[str, str]) -> list[str]:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print('\\n'.join(settings.INSTALLED_APPS + settings.MIDDLEWARE))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env_overrides})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_without_the_sandbox_its_apps_and_middleware_are_not_installed():
    assert "integrations.sandbox.qbo" in _installed({})
    without = _installed({"SANDBOX_ENABLED": "false"})
    assert not [name for name in without if "sandbox" in name]
    assert "integrations" in without and "sync" in without
    # The rest of the project still checks and has no migration it would need to make.
    result = _run_django({"SANDBOX_ENABLED": "false"}, "makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
