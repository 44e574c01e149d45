"""Shared pytest fixtures: a real Celery worker process talking to the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.queues import QUEUES

ROOT = Path(__file__).resolve().parent.parent


class WorkerProcess:
    """A `celery worker` subprocess; ``kill()`` is SIGKILL, like a machine losing a worker."""

    def __init__(
        self, env: dict[str, str], log_path: Path, queues: str = "", name: str = ""
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.queues = queues  # "" = every queue (config/queues.py), like a one-box install
        self.name = name  # Celery node name, for ``inspect`` when several run
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                *(["-Q", self.queues] if self.queues else []),
                *(["-n", f"{self.name}@%h"] if self.name else []),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Celery worker exited early; see {self.log_path}")
            if b"ready." in self.log_path.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"Celery worker did not start; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the whole worker process group (main process and pool children)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM the worker; SIGKILL after 15 s.

        Under coverage (``pytest --cov``) only the main process gets it: its warm shutdown ends
        the pool children in order, so they save what they measured (a child's own SIGTERM
        would end it at once). Otherwise the whole group is told, which is quicker.
        """
        if self.proc and self.proc.poll() is None:
            if os.environ.get("COVERAGE_PROCESS_CONFIG"):
                os.kill(self.proc.pid, signal.SIGTERM)
            else:
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{user}@"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{auth}{host}:{port}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        SITE_URL=settings.SITE_URL,
        QBO_DISCOVERY_URL=settings.QBO_DISCOVERY_URL,
        QBO_API_BASE_URL=settings.QBO_API_BASE_URL,
        LACRM_API_URL=settings.LACRM_API_URL,
        QBO_CLIENT_ID=settings.QBO_CLIENT_ID,
        QBO_CLIENT_SECRET=settings.QBO_CLIENT_SECRET,
        FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        SYNC_STALE_AFTER_SECONDS=str(settings.SYNC_STALE_AFTER_SECONDS),
        SYNC_CHANGES_WINDOW_SECONDS=str(settings.SYNC_CHANGES_WINDOW_SECONDS),
        SYNC_CALLS_IN_FLIGHT=str(settings.SYNC_CALLS_IN_FLIGHT),
        PYTHONUNBUFFERED="1",
    )
    return env


def purge_broker() -> None:
    """Drop queued task messages left by an earlier test (a killed worker leaves some)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("celery", *QUEUES, "unacked", "unacked_index")


@pytest.fixture
def calls_one_at_a_time(settings):
    """The worker sends one call at a time (it gets the setting, see ``_worker_env``): a test that
    holds or loses one named call then has only that call in flight, and Stop lands before the
    next (``tests/sync/test_concurrent_batches.py`` covers calls in flight together)."""
    settings.SYNC_CALLS_IN_FLIGHT = 1
    return settings


@pytest.fixture
def celery_worker_process(transactional_db, sandbox, tmp_path):
    """Start a real Celery worker against the test database; yields the WorkerProcess."""
    purge_broker()
    worker = WorkerProcess(_worker_env(), tmp_path / "worker.log")
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        purge_broker()


@pytest.fixture
def celery_worker_factory(transactional_db, sandbox, tmp_path):
    """Factory: ``start(name, queues="bulk", **env)`` starts one more named worker process.

    Extra ``env`` (e.g. ``SYNC_INTERACTIVE_BATCHES="1"``) is the worker's environment; every
    worker started is stopped at the end of the test.
    """
    purge_broker()
    started: list[WorkerProcess] = []

    def start(name: str, queues: str = "", **env: str) -> WorkerProcess:
        worker = WorkerProcess(
            {**_worker_env(), **env}, tmp_path / f"worker-{name}.log", queues=queues, name=name
        )
        worker.start()
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        purge_broker()


def wait_for(predicate, timeout: float = 60, interval: float = 0.2, message: str = ""):
    """Poll until ``predicate()`` is truthy; fail the test with ``message`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(message or "Timed out waiting for a condition.")
