"""OAuth ``code`` and ``state`` never appear in an access log (runserver's or gunicorn's)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from config.logredact import redact

ROOT = Path(__file__).resolve().parent.parent
CODE = "AB11-code-that-must-not-be-logged"
STATE = "state-that-must-not-be-logged"
CALLBACKS = [
    f"/integrations/quickbooks/callback/?state={STATE}&code={CODE}&realmId=9130357",
    f"/integrations/lacrm/oauth/callback/?code={CODE}&state={STATE}",
    # A callback that arrives without a session is sent to sign in with itself in ``next``.
    f"/accounts/login/?next=/integrations/quickbooks/callback/%3Fcode%3D{CODE}%26state%3D{STATE}",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve_and_read_log(command: list[str], port: int) -> str:
    """Start a server, send every callback request, stop it; return everything it printed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "DEBUG": "false"}
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the server did not start:\n" + (process.stdout.read() or ""))
                time.sleep(0.2)
        for path in CALLBACKS:
            response = requests.get(
                f"http://127.0.0.1:{port}{path}", allow_redirects=False, timeout=10
            )
            assert response.status_code in (200, 302)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    return output


def _assert_logged_without_secrets(log: str) -> None:
    assert "/integrations/quickbooks/callback/" in log  # the requests were logged...
    assert "/integrations/lacrm/oauth/callback/" in log
    assert "realmId=9130357" in log  # ...with the harmless parameters kept
    assert CODE not in log and STATE not in log  # ...and neither secret


def test_runserver_access_log_keeps_code_and_state_out():
    port = _free_port()
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    _assert_logged_without_secrets(_serve_and_read_log(command, port))


def test_gunicorn_access_log_keeps_code_and_state_out():
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "config/gunicorn.py",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
    ]
    _assert_logged_without_secrets(_serve_and_read_log(command, port))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/cb/?code=abc&state=def&realmId=1", "/cb/?code=[redacted]&state=[redacted]&realmId=1"),
        ("/in/?next=/cb/%3Fstate%3Ddef%26x%3D1", "/in/?next=/cb/%3Fstate%3D[redacted]%26x%3D1"),
        ("/sync/ledger/?error_code=6240&q=code", "/sync/ledger/?error_code=6240&q=code"),
    ],
)
def test_redact_replaces_only_code_and_state_values(line, expected):
    assert redact(line) == expected
