"""The end-to-end benchmark's stage: its own database and Redis db, a web server and a worker.

``Stage`` drops and re-creates a dedicated Postgres database (``<name>_bench`` next to
``DATABASE_URL``'s, or ``BENCH_DATABASE_URL``), empties a dedicated Redis db (``BENCH_REDIS_URL``,
default db 14 of ``REDIS_URL``'s server), migrates, then starts gunicorn (the built-in sandbox
providers over real HTTP on a free localhost port) and one real ``celery worker`` with
``--concurrency=1``. Both children run with ``tests.bench.settings`` so the pacing limits can be
set through the environment. Every child is started in its own session and stopped (SIGTERM,
then SIGKILL) when the stage closes, also on Ctrl-C or an error.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "postgres://ledgerlink:ledgerlink@127.0.0.1:5432/ledgerlink"
BENCH_REDIS_DB = 14
SETTINGS_MODULE = "tests.bench.settings"
# The stage's sandbox web server: gunicorn processes × threads, the Procfile's web (2 × 4). It
# answers at most WEB_WORKERS × WEB_THREADS calls at once, which bounds what the sandbox can
# serve at a given latency (the many-tenant bench measures that capacity and reports it).
WEB_WORKERS, WEB_THREADS = 2, 4
TICK = os.sysconf("SC_CLK_TCK")
# The queue of the sandbox's own tasks on the stage (config/queues.py SANDBOX_QUEUE), served by
# ``start_vendor_worker``: Intuit's and LACRM's work, never booked to our worker.
VENDOR_QUEUE = "sandbox-vendor"
PASSWORD = "bench-password-0d1f3c"  # noqa: S105 - a throwaway user in a throwaway database


def bench_database_url() -> str:
    """``BENCH_DATABASE_URL``, else ``DATABASE_URL`` with ``_bench`` added to the name."""
    explicit = os.environ.get("BENCH_DATABASE_URL")
    if explicit:
        return explicit
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    name = parts.path.lstrip("/") or "ledgerlink"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def bench_redis_url() -> str:
    """``BENCH_REDIS_URL``, else ``REDIS_URL``'s server with db 14 (flushed by every run)."""
    explicit = os.environ.get("BENCH_REDIS_URL")
    if explicit:
        return explicit
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunsplit(parts._replace(path=f"/{BENCH_REDIS_DB}"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(url: str) -> None:
    """Drop (forcing out old sessions) and create the benchmark database."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            # UTF-8 even where template1 is SQL_ASCII (a cluster made without a UTF-8 locale).
            cursor.execute(
                sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(name)
                )
            )
    finally:
        admin.close()


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@dataclass
class Child:
    """One subprocess in its own session, with its output in a log file."""

    name: str
    args: list[str]
    log_path: Path
    proc: subprocess.Popen | None = None

    def start(self, env: dict[str, str]) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: Ctrl-C reaches only us, and we stop the whole group.
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@dataclass
class Stage:
    """Database, Redis, web server and worker for one end-to-end benchmark run."""

    pacing: dict[str, int]
    database_url: str = field(default_factory=bench_database_url)
    redis_url: str = field(default_factory=bench_redis_url)
    port: int = field(default_factory=_free_port)
    log_dir: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="ledgerlink-bench-"))
    )
    children: list[Child] = field(default_factory=list)

    @property
    def stats_path(self) -> Path:
        return self.log_dir / "tasks.jsonl"

    def task_stats(self, run_id: str) -> list[dict]:
        """The worker's per-task lines (instrument.py) for one run."""
        try:
            lines = self.stats_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        rows = [json.loads(line) for line in lines if line.strip()]
        return [r for r in rows if r.get("args") and str(r["args"][0]) == run_id]

    @property
    def site_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment of every process of the stage (this one included)."""
        base = self.site_url
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
            LEDGERLINK_ENV="development",
            DEBUG="false",
            SANDBOX_ENABLED="true",
            # The sandbox's webhook deliveries run on the vendor worker, not the measured one.
            SANDBOX_TASK_QUEUE=VENDOR_QUEUE,
            SANDBOX_LATENCY="0",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SITE_URL=base,
            QBO_DISCOVERY_URL=f"{base}/sandbox/intuit/.well-known/openid_configuration",
            QBO_API_BASE_URL=f"{base}/sandbox/qbo/v3",
            QBO_REDIRECT_URI=f"{base}/integrations/quickbooks/callback/",
            LACRM_API_URL=f"{base}/sandbox/lacrm/v2/",
            # The bench measures the sync, not the periodic recovery of stale runs.
            SYNC_STALE_AFTER_SECONDS="600",
            LOG_LEVEL="INFO",
            BENCH_STATS_FILE=str(self.stats_path),
            PYTHONUNBUFFERED="1",
        )
        env.update({name: str(value) for name, value in self.pacing.items()})
        return env

    # --- lifecycle ------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Fresh database and Redis db, migrated; then point this process's Django at them."""
        started = time.perf_counter()
        recreate_database(self.database_url)
        flush_redis(self.redis_url)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env(),
            check=True,
        )
        os.environ.update(self.env())
        import django

        django.setup()
        logging.disable(logging.INFO)  # Our own INFO lines would drown the figures.
        print(
            f"  stage: database {urlsplit(self.database_url).path.lstrip('/')} (re-created and "
            f"migrated), Redis {self.redis_url} (flushed), logs in {self.log_dir} "
            f"[{time.perf_counter() - started:.1f}s]"
        )

    def start_web(self) -> None:
        web = Child(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(WEB_WORKERS),
                "--threads",
                str(WEB_THREADS),
                "--log-level",
                "warning",
            ],
            self.log_dir / "web.log",
        )
        self.children.append(web)
        web.start(self.env())
        self._wait(web, lambda: self._http_ok("/healthz"), "web server")

    def start_worker(self, concurrency: int = 1, pool: str = "prefork") -> None:
        """Our measured worker (every queue of config/queues.py), and the sandbox's beside it."""
        self.start_vendor_worker()
        self._start_celery(
            "worker",
            "celery worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            # Per-task timings and DB query counts (tests/bench/instrument.py).
            "--include=tests.bench.instrument",
        )

    def start_vendor_worker(self) -> None:
        """A worker for the sandbox's own tasks (its webhook deliveries), apart from ours."""
        self._start_celery(
            "vendor",
            "sandbox's celery worker",
            "--pool=prefork",
            "--concurrency=1",
            "-Q",
            VENDOR_QUEUE,
            "-n",
            "vendor@%h",
        )

    def _start_celery(self, name: str, what: str, *args: str) -> None:
        """Start a ``celery worker`` child with ``args``; wait until it says it is ready."""
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", *args]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        child = Child(name, [*command, "--loglevel=INFO"], self.log_dir / f"{name}.log")
        self.children.append(child)
        child.start(self.env())
        self._wait(child, lambda: "ready." in child.log_text(), what)

    def close(self) -> None:
        for child in reversed(self.children):
            child.stop()

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    # --- helpers --------------------------------------------------------------------------------

    def _http_ok(self, path: str) -> bool:
        import requests

        try:
            return requests.get(self.site_url + path, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    @staticmethod
    def _wait(child: Child, ready, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not child.alive():
                raise RuntimeError(f"The {what} exited early; see {child.log_path}")
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"The {what} did not start in {timeout:.0f}s; see {child.log_path}")


_PACED = re.compile(r"Paced (\S+): waited ([\d.]+)s")
_RETRY = re.compile(r"retrying in ([\d.]+)s")


def worker_waits(log: str) -> tuple[float, int, float, int]:
    """Pacing waits and retry back-offs the worker logged: (paced s, count, retry s, count)."""
    paced = [float(m.group(2)) for m in _PACED.finditer(log)]
    retries = [float(m.group(1)) for m in _RETRY.finditer(log)]
    return sum(paced), len(paced), sum(retries), len(retries)


def install_sigterm_handler() -> None:
    """Turn SIGTERM into SystemExit so the stage's ``finally`` stops the children."""

    def handler(signum, frame):  # noqa: ARG001 - signal handler signature
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its descendants."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return total
