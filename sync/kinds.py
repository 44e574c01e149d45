"""The registry of run kinds: the run engine knows none by name, each app registers its own.

It imports nothing of the sync app, so models, the engine and the views can all read it.

A kind says what its button is called, which handler does its work, and which of the run's
counters its progress panel shows. ``sync`` registers Sync New Contacts and Update Linked
Records in its ``AppConfig.ready``; ``summaries`` registers Update Invoice Summaries in its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class UnknownKind(LookupError):
    """No app registered a run kind of that name."""


@dataclass(frozen=True)
class Counter:
    """One of the run's counters as its progress panel shows it."""

    name: str
    label: str
    element_id: str


@dataclass(frozen=True)
class RunKind:
    """A kind of run: its name (stored on the run), label, handler and how it shows progress."""

    name: str
    label: str
    # Returns the kind's ``sync.runs.handler.RunHandler``.
    handler: Callable[[], Any]
    # What ``total`` counts, as the panel says it: "12 of 40 contacts to create processed".
    progress_noun: str
    # The dashboard button that starts it (``button_id`` is its HTML id).
    button_id: str
    counters: tuple[Counter, ...] = ()
    # The run history's "Result" column.
    result: Callable[[Any], str] = field(default=lambda run: "")
    # Why this kind cannot start for a workspace now ("" when it can), e.g. a setting is off.
    unavailable: Callable[[Any], str] = field(default=lambda workspace: "")
    # Sentences the progress panel adds about a run of this kind (e.g. when throttled contacts
    # can next be updated); none by default.
    notices: Callable[[Any], list[str]] = field(default=lambda run: [])
    # Whether a finished run's failed items can be retried on their own ("Retry failed items").
    retry_failed: bool = False
    primary: bool = False
    order: int = 100
    # False for a kind started from elsewhere than the dashboard's buttons (undo: a run's page).
    on_dashboard: bool = True


_KINDS: dict[str, RunKind] = {}


def register(kind: RunKind) -> RunKind:
    """Register a kind (idempotent for the same object; a different one under a taken name is
    a programming error)."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"Run kind {kind.name!r} is registered already")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> RunKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownKind(f"No run kind {name!r}") from None


def is_known(name: str) -> bool:
    return name in _KINDS


def all_kinds() -> list[RunKind]:
    """Every registered kind, in button order."""
    return sorted(_KINDS.values(), key=lambda k: (k.order, k.name))


def label(name: str) -> str:
    kind = _KINDS.get(name)
    return kind.label if kind else name.replace("_", " ").capitalize()
