"""Content-Security-Policy, Permissions-Policy, nothing inline in the pages, the admin's URL."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from integrations.records import LACRM, QBO
from sync.models import ContactLink, SyncLogEntry, SyncRun
from tests.factories import review_case

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: values for name, *values in directives}


def test_pages_carry_a_strict_content_security_policy_and_permissions_policy(alice_client):
    for url in ("/", reverse("dashboard"), reverse("sync:ledger"), "/accounts/login/"):
        response = alice_client.get(url, follow=True)
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        # The Connect forms redirect to Intuit's and LACRM's sign-in.
        assert "https://*.intuit.com" in policy["form-action"]
        permissions = response["Permissions-Policy"]
        assert "camera=()" in permissions and "geolocation=()" in permissions


class _InlineFinder(HTMLParser):
    """Collects what a ``script-src 'self'; style-src 'self'`` policy would block."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=…>")
            if name == "style":
                self.blocked.append(f"<{tag} style=…>")
            if name in ("href", "action", "src") and (value or "").startswith("javascript:"):
                self.blocked.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.blocked.append("<style>")
        if tag == "script" and "src" not in attributes:
            # Data blocks (JSON) are not run, so the policy does not block them.
            self._in_inline_script = attributes.get("type") != "application/json"

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.blocked.append(f"<script>{data.strip()[:40]}…")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def _blocked(response) -> list[str]:
    finder = _InlineFinder()
    finder.feed(response.content.decode())
    return finder.blocked


@pytest.fixture
def busy_workspace(alice):
    """Alice's workspace with something on every page: a run, links, a review case, records."""
    workspace = alice.workspaces.get()
    run = SyncRun.objects.create(
        workspace=workspace,
        kind=SyncRun.Kind.CONTACTS,
        status=SyncRun.Status.RUNNING,
        planned=True,
        total=40,
        processed=12,
    )
    for system, record_id, name in ((QBO, "77", "Una Matched"), (LACRM, "u1", "Una Match")):
        SyncLogEntry.objects.create(
            workspace=workspace,
            run=run,
            outcome="skipped",
            system=system,
            record_id=record_id,
            record_name=name,
            record_email="una@example.com",
            reason="Held back",
        )
    link = ContactLink.objects.create(
        workspace=workspace,
        state=ContactLink.State.LINKED,
        method=ContactLink.Method.EMAIL,
        qbo_id="1",
        lacrm_id="a",
        qbo_name="Nick Brown",
        lacrm_name="Brown, Nick",
    )
    review_case(workspace, ["9"], ["x", "y"], "2 LACRM contacts share one email")
    return {"run": run, "link": link, "workspace": workspace}


def test_no_page_has_inline_scripts_styles_or_handlers(alice_client, busy_workspace):
    run, link = busy_workspace["run"], busy_workspace["link"]
    pages = [
        reverse("dashboard"),
        reverse("sync:run_detail", kwargs={"run_id": run.id}),
        reverse("sync:run_panel", kwargs={"run_id": run.id}),
        reverse("sync:ledger"),
        reverse("sync:ledger") + "?filter=unmatched_qbo",
        reverse("sync:ledger_detail", kwargs={"link_id": link.id}),
        reverse("sync:manual_link") + "?system=qbo&record_id=77&q=una",
        reverse("sync:review"),
        reverse("sync:settings"),
        reverse("sync:field_preview"),
        reverse("integrations:index"),
        reverse("integrations:lacrm_connect"),
        reverse("integrations:qbo_disconnect"),
        reverse("workspace_settings", kwargs={"workspace_id": busy_workspace["workspace"].id}),
        reverse("sandbox_lacrm:keys"),
        "/sync/ledger/?q=%00",  # the 400 page
    ]
    seen_confirm = False
    for url in pages:
        response = alice_client.get(url)
        assert response.status_code in (200, 400), url
        assert _blocked(response) == [], url
        seen_confirm |= b"data-confirm=" in response.content
    assert seen_confirm  # the confirmations are still there, as data for static/js/app.js


@pytest.mark.parametrize(
    "url", ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
)
def test_signed_out_pages_have_nothing_inline(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert _blocked(response) == []


def test_the_sandbox_consent_page_has_nothing_inline(alice_client, sandbox):
    from tests.fixtures_connections import _local, start_qbo_connect

    page = alice_client.get(_local(start_qbo_connect(alice_client)))
    assert page.status_code == 200 and b"Connect LedgerLink to" in page.content
    assert _blocked(page) == []


def test_the_confirmations_and_styles_are_static_files():
    script = Path(finders.find("js/app.js")).read_text()
    assert "data-confirm" in script and "window.confirm" in script
    assert finders.find("sandbox_qbo/consent.css")
    assert "progress.progress" in Path(finders.find("css/app.css")).read_text()


def test_admin_url_comes_from_the_environment():
    code = (
        "import django; django.setup(); from django.urls import reverse; "
        "print(reverse('admin:index'))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    moved = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "ADMIN_URL": "/ops-7f3k/admin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert moved.stdout.strip() == "/ops-7f3k/admin/", moved.stderr
    default = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert default.stdout.strip() == "/admin/", default.stderr
    refused = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "ADMIN_URL": "admin?x=1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "ADMIN_URL must be a path" in refused.stderr
