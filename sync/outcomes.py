"""The registry of log outcomes: every job kind registers the outcomes its log entries use.

An outcome has a label for people, a group for the runtime-log filter ("succeeded",
"skipped", "already_matched", "needs_review", "failed"), and the run counters (``SyncRun``
fields) that move with its entries, from which the run page tells about how many entries a
filter holds without counting them. The engine itself only ever writes ``failed`` and
``skipped``; the rest belong to the kinds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SUCCEEDED = "succeeded"
SKIPPED = "skipped"
ALREADY_MATCHED = "already_matched"
NEEDS_REVIEW = "needs_review"
FAILED = "failed"
GROUPS = (SUCCEEDED, ALREADY_MATCHED, SKIPPED, NEEDS_REVIEW, FAILED)


@dataclass(frozen=True)
class Outcome:
    value: str
    label: str
    group: str
    # The run counters its entries move (none: entries of no run, or a run-level line).
    counters: tuple[str, ...] = ()
    # What it means, for people who wonder (shown beside the runtime log's filters).
    help: str = ""

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"Outcome {self.value!r}: unknown group {self.group!r}")


_OUTCOMES: dict[str, Outcome] = {}


def register(*outcomes: Outcome) -> None:
    for outcome in outcomes:
        existing = _OUTCOMES.get(outcome.value)
        if existing is not None and existing != outcome:
            raise ValueError(f"Outcome {outcome.value!r} is registered already as {existing}")
        _OUTCOMES[outcome.value] = outcome


# The engine's own: a work item that failed, or that was passed over.
register(
    Outcome("failed", "Failed", FAILED, ("failed",)),
    Outcome("skipped", "Skipped", SKIPPED, ("skipped",)),
)


def label(value: str) -> str:
    outcome = _OUTCOMES.get(value)
    return outcome.label if outcome else value.replace("_", " ").capitalize()


def help_text(value: str) -> str:
    outcome = _OUTCOMES.get(value)
    return outcome.help if outcome else ""


def in_group(group: str) -> tuple[str, ...]:
    """The outcome values a runtime-log filter group covers."""
    return tuple(sorted(o.value for o in _OUTCOMES.values() if o.group == group))


def counters_of(groups: Iterable[str]) -> tuple[str, ...]:
    """The run counters that together count the entries of ``groups`` (each counter once)."""
    wanted = set(groups)
    return tuple(sorted({c for o in _OUTCOMES.values() if o.group in wanted for c in o.counters}))


def known() -> tuple[str, ...]:
    return tuple(sorted(_OUTCOMES))
