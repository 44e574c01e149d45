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
