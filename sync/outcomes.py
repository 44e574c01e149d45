"""The registry of log outcomes: every job kind registers the outcomes its log entries use.

An outcome has a label for people and a group for the runtime-log filter ("succeeded",
"skipped", "already_matched", "needs_review", "failed"). The engine itself only ever writes
``failed`` and ``skipped``; the rest belong to the kinds.
"""

from __future__ import annotations

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
register(Outcome("failed", "Failed", FAILED), Outcome("skipped", "Skipped", SKIPPED))


def label(value: str) -> str:
    outcome = _OUTCOMES.get(value)
    return outcome.label if outcome else value.replace("_", " ").capitalize()


def in_group(group: str) -> tuple[str, ...]:
    """The outcome values a runtime-log filter group covers."""
    return tuple(sorted(o.value for o in _OUTCOMES.values() if o.group == group))


def known() -> tuple[str, ...]:
    return tuple(sorted(_OUTCOMES))
