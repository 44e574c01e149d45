"""The whole way with a real Celery worker: a run ends, the worker sends the email (to files)."""

from __future__ import annotations

import pytest

from sync import runs
from sync.models import ACTIVE_STATUSES, SyncRun
from tests.fixtures_worker import wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mail_dir(tmp_path, monkeypatch):
    """Make the worker process (started after this) write its mail to files here."""
    path = tmp_path / "mail"
    path.mkdir()
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(path))
    return path


@pytest.mark.worker
def test_a_run_the_worker_finishes_is_mailed_by_the_worker(
    mail_dir, connected_workspace_empty, celery_worker_process
):
    run, created = runs.start_run(connected_workspace_empty.workspace, SyncRun.Kind.CONTACTS)
    assert created

    def ended():
        run.refresh_from_db()
        return run.status not in ACTIVE_STATUSES

    wait_for(ended, timeout=180, message=f"run {run.id} did not finish")
    assert run.status == SyncRun.Status.COMPLETED

    def mails():
        return [p.read_text() for p in mail_dir.iterdir() if p.stat().st_size]

    (message,) = wait_for(mails, timeout=60, message="the worker sent no notification email")
    assert "Subject: [LedgerLink] Sync New Contacts finished in Alice & Co" in message
    assert "To: alice@example.com" in message
    assert f"/sync/runs/{run.id}/" in message
