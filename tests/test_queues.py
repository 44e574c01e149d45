"""Every task routes to a queue that the documented worker commands consume.

A task sent to a queue no worker listens on waits forever without an error: a silent outage.
The worker commands are read from the files operators start them from (Procfile, Procfile.dev,
docker-compose.yml), so changing a ``-Q`` there or adding a task without a route fails here.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.test import override_settings

from config import queues
from config.celery import app
from sync.runs import dispatch

ROOT = Path(__file__).resolve().parent.parent
WORKER_FILES = ("Procfile", "Procfile.dev", "docker-compose.yml")


def consumed_queues(name: str) -> list[set[str]]:
    """The queue set of each ``celery worker`` command in the file."""
    workers = []
    for line in (ROOT / name).read_text().splitlines():
        if "celery" not in line or " worker" not in line:
            continue
        words = shlex.split(line.split(":", 1)[1])
        found = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "-Q"]
        found += [word.split("=", 1)[1] for word in words if word.startswith("--queues=")]
        assert found, f"{name}: a worker without -Q consumes only the default queue: {line}"
        workers.append({q for spec in found for q in spec.split(",")})
    assert workers, f"{name} starts no Celery worker"
    return workers


def registered_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_the_task_list_is_the_one_we_know():
    # Guards the test below against an empty registry (autodiscovery broken).
    assert {"sync.plan_run", "sync.run_batch", "continuous.tick"} <= set(registered_tasks())


@pytest.mark.parametrize("worker_file", WORKER_FILES)
def test_every_registered_task_routes_to_a_queue_a_worker_consumes(worker_file):
    consumed = set().union(*consumed_queues(worker_file))
    for name in registered_tasks():
        assert name in queues.ROUTES, f"task {name} has no route in config/queues.py"
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue == queues.ROUTES[name]
        assert queue in consumed, f"{name} goes to {queue!r}; no worker in {worker_file} takes it"
    small, big = SimpleNamespace(total=1), SimpleNamespace(total=10**6)
    assert {dispatch.batch_queue(small, 0), dispatch.batch_queue(big, 10**6)} <= consumed


@pytest.mark.parametrize("worker_file", WORKER_FILES)
def test_interactive_work_has_a_worker_that_takes_no_bulk_work(worker_file):
    workers = consumed_queues(worker_file)
    assert any(queues.INTERACTIVE in w and queues.BULK not in w for w in workers)


def test_a_worker_started_without_q_consumes_every_queue():
    assert set(app.amqp.queues) == set(queues.QUEUES)
    assert app.conf.task_default_queue in queues.QUEUES


@override_settings(SYNC_INTERACTIVE_BATCHES=3)
def test_a_big_runs_first_batches_are_interactive_then_bulk():
    big = SimpleNamespace(total=61)
    assert [dispatch.batch_queue(big, n) for n in range(5)] == ["interactive"] * 3 + ["bulk"] * 2


@override_settings(SYNC_INTERACTIVE_BATCHES=3)
def test_a_small_run_is_interactive_to_its_end():
    # 60 contacts: batches 0-2 and the closing empty batch 3.
    small = SimpleNamespace(total=60)
    assert {dispatch.batch_queue(small, n) for n in range(4)} == {"interactive"}
