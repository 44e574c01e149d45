"""`make lint`'s complexity gate: no block at radon rank D or worse, no file over 400 lines.

The built-in sandbox (an imitation of two vendors' APIs, not product code), migrations and
tests are left out. Prints each offender and exits 1 when there is one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "accounts", "integrations", "sync", "summaries")
EXCLUDED = ("integrations/sandbox/", "/migrations/")
MAX_LINES = 400
WORST_RANK = "C"


def product_files() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not any(part in f"/{relative}" or relative.startswith(part) for part in EXCLUDED):
                files.append(path)
    return files


def offences(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    relative = path.relative_to(ROOT).as_posix()
    found = []
    lines = text.count("\n") + (not text.endswith("\n") and bool(text))
    if lines > MAX_LINES:
        found.append(f"{relative}: {lines} lines (at most {MAX_LINES}); split it by concern")
    for block in cc_visit(text):
        rank = cc_rank(block.complexity)
        if rank > WORST_RANK:
            found.append(
                f"{relative}:{block.lineno} {block.fullname}: complexity {block.complexity} "
                f"(rank {rank}; at most {WORST_RANK})"
            )
    return found


def main() -> int:
    files = product_files()
    found = [line for path in files for line in offences(path)]
    for line in found:
        print(line)
    print(f"complexity gate: {len(files)} files, {len(found)} over the limits")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
