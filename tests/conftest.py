"""Shared fixtures: users in separate workspaces (alice, bob), a signed-in client, a browser."""

from __future__ import annotations

import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

from tests.factories import UserFactory

# Shared fixtures, one module per concern.
pytest_plugins = [
    "tests.fixtures_sandbox",
    "tests.fixtures_sandbox_lacrm",
    "tests.fixtures_connections",
    "tests.fixtures_worker",
]

# Hypothesis' default 200 ms deadline per example measures the machine, not the code: on a CI
# machine whose CPUs are busy an ordinary example takes longer now and then and the test fails
# with DeadlineExceeded, a flake. For the same reason a slow data generator is not an error.
# Property tests are bounded by max_examples and by pytest-timeout instead. Loaded here, before
# any test module builds its own @settings on top of the default profile.
settings.register_profile("ledgerlink", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ledgerlink")

WORKER_FIXTURES = ("celery_worker_process", "celery_worker_factory")
# A test with a real worker waits for whole runs (up to 180 s each) and for the worker to start
# and stop; the per-test limit in pyproject (pytest-timeout) is sized for everything else.
WORKER_TEST_TIMEOUT = 600


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test is marked `worker` if and only if it starts a Celery worker; such tests get the
    longer time limit unless they set their own."""
    wrong = []
    for item in items:
        starts_worker = bool(set(WORKER_FIXTURES) & set(getattr(item, "fixturenames", ())))
        marked = item.get_closest_marker("worker") is not None
        if starts_worker and not marked:
            wrong.append(f"{item.nodeid}: starts a worker but is not marked worker")
        elif marked and not starts_worker:
            wrong.append(f"{item.nodeid}: is marked worker but uses none of {WORKER_FIXTURES}")
        elif marked and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(WORKER_TEST_TIMEOUT))
    if wrong:
        raise pytest.UsageError(
            "`-m worker` must select exactly the tests that start a Celery worker "
            "(add or remove @pytest.mark.worker):\n  " + "\n  ".join(wrong)
        )


@pytest.fixture(autouse=True)
def _test_code_sees_every_workspace():
    """Test code reads and writes rows of any workspace (alice's and bob's) to set up and check.

    The code under test still runs scoped: the request middleware, Celery tasks and the engine
    open their workspace's scope inside this one, and the live server and the worker are other
    threads and processes with no part of it.
    """
    from django_scopes import scopes_disabled

    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _changes_apply_at_once(settings):
    """Announced changes start their run at once (production gathers them for a window, see
    ``sync.continuous.budget``); the tests of the window set it themselves. The worker
    processes get the same value (``tests.fixtures_worker``)."""
    settings.SYNC_CHANGES_WINDOW_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start every test with an empty cache (allauth's rate-limit buckets live there)."""
    import redis
    from django.conf import settings

    # Read before the test: a test may point REDIS_URL at a dead server (its ``settings`` are
    # restored only after this fixture's clean-up).
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    url = settings.REDIS_URL
    yield
    # Delete only this process's cache keys: FLUSHDB would also empty the Celery broker queues.
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.com", workspace="Alice & Co")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.com", workspace="Bob's Books")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser():
    """Headless Debian Chromium driven by Selenium through Debian's chromedriver (no downloads)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail(
            "Browser tests need Debian's chromium and chromium-driver (.ci/run installs them)."
        )
    profile = tempfile.mkdtemp(prefix="ledgerlink-e2e-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # Explicit waits only (tests/e2e/browsing.py): an implicit wait would stall every "is it
    # there yet?" check and hide which condition a slow page was missing.
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
