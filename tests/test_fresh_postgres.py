"""scripts/ensure_services.sh on a PostgreSQL as a fresh Debian machine has it.

The work is in scripts/test_fresh_postgres.sh: a throwaway cluster on a free port (LANG unset, so
SQL_ASCII; a password on 127.0.0.1), the set-up script against it, Django and pytest connecting
with the resulting DATABASE_URL, then the cluster removed. It needs root (the cluster runs as the
postgres user) and initdb; CI has both, so there it runs.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "test_fresh_postgres.sh"


def _initdb() -> str | None:
    """initdb on PATH, else Debian's (not on PATH: /usr/lib/postgresql/<version>/bin)."""
    return shutil.which("initdb") or next(iter(glob.glob("/usr/lib/postgresql/*/bin/initdb")), None)


@pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: the throwaway cluster runs as the postgres user"
)
@pytest.mark.skipif(_initdb() is None, reason="initdb not found (apt-get install postgresql)")
@pytest.mark.timeout(300)
def test_ensure_services_sets_up_a_fresh_password_only_sql_ascii_cluster():
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        cwd=ROOT,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=280,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "PASS: fresh-cluster set-up works" in output
    assert 'created database "ledgerlink" (UTF8)' in output
