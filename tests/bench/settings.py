"""Settings for the benchmark's web server and worker: the project's, plus pacing from the env.

``integrations.pacing`` reads ``QBO_REQUESTS_PER_MINUTE``, ``QBO_MAX_IN_FLIGHT``,
``QBO_BATCHES_PER_MINUTE`` and ``LACRM_REQUESTS_PER_MINUTE`` from settings (with Intuit's limits
and our LACRM pace as defaults) but ``config.settings`` does not read them from the environment.
The benchmark's subprocesses need to loosen them, so this module does. With ``BENCH_STATS_FILE``
set (the benchmark's worker and web server) database connections also time their COMMITs
(``tests.bench.dbtiming``). The many-tenant part signs a hundred users in from one address within
a minute, so the login limit per address (allauth's 30/min) is raised here; nothing else changes.
"""

from __future__ import annotations

import os

from config.env import env_int
from config.settings import *  # noqa: F403

for _name in (
    "QBO_REQUESTS_PER_MINUTE",
    "QBO_MAX_IN_FLIGHT",
    "QBO_BATCHES_PER_MINUTE",
    "LACRM_REQUESTS_PER_MINUTE",
):
    if os.environ.get(_name):
        globals()[_name] = env_int(_name, 0)

ACCOUNT_RATE_LIMITS = {"login": "1000/m/ip"}

if os.environ.get("BENCH_STATS_FILE"):
    from tests.bench.dbtiming import TimedCommitConnection

    DATABASES["default"]["OPTIONS"]["connection_factory"] = TimedCommitConnection  # noqa: F405
