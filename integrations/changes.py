"""Changes announced by a connected system (webhooks, CDC, edit polling), as neutral values.

A provider's webhook view or poller turns what its system sent into ``Change`` values and hands
them to ``deliver``; it never imports the sync engine (``sync`` sits above ``integrations``).
``sync.continuous`` registers the sink that stores them and starts an incremental run
(``sync.continuous.intake.record_changes``), in its ``AppConfig.ready``.

``system`` names what the ids are ids of: ``"qbo"`` (QuickBooks customers), ``"lacrm"`` (LACRM
contacts) or ``"qbo_invoice"`` (QuickBooks invoices: their customer's summary is refreshed).

Pollers: a system whose changes must be polled for (LACRM sends no contact-update event)
registers ``register_poller(system, fn)``; ``fn(workspace)`` looks for edits since its own cursor
and delivers them. The continuous schedule calls every registered poller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

CREATED, UPDATED, DELETED, INACTIVE, MERGED = "created", "updated", "deleted", "inactive", "merged"
KINDS = (CREATED, UPDATED, DELETED, INACTIVE, MERGED)
QBO_INVOICE = "qbo_invoice"


@dataclass(frozen=True)
class Change:
    """One record that changed on its side.

    ``kind`` is one of ``KINDS``. For ``merged``, ``record_id`` is the record that disappeared
    (QuickBooks' ``deletedid``) and ``survivor_id`` the one it was merged into. ``event_id``
    de-duplicates redeliveries of the same event from the same source.
    """

    record_id: str
    kind: str
    survivor_id: str | None = None
    occurred_at: datetime | None = None
    event_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown change kind {self.kind!r}")
        if not self.record_id:
            raise ValueError("A change needs a record id")


Sink = Callable[[object, str, Sequence[Change], str], None]
_SINKS: list[Sink] = []
_POLLERS: dict[str, Callable[[object], None]] = {}


def register_sink(sink: Sink) -> None:
    if sink not in _SINKS:
        _SINKS.append(sink)


def deliver(workspace, system: str, changes: Sequence[Change], source: str) -> None:
    """Hand ``changes`` of ``system`` in ``workspace`` to the registered sinks."""
    for sink in _SINKS:
        sink(workspace, system, list(changes), source)


def register_poller(system: str, poller: Callable[[object], None]) -> None:
    _POLLERS[system] = poller


def pollers() -> dict[str, Callable[[object], None]]:
    return dict(_POLLERS)


# Whether a workspace keeps in step continuously, answered by the sync app (its settings):
# providers ask before acting on their own (LACRM registers its webhook, takes deliveries).
_MODE: list[Callable[[object], bool]] = []


def register_mode(is_continuous: Callable[[object], bool]) -> None:
    if is_continuous not in _MODE:
        _MODE.append(is_continuous)


def is_continuous(workspace) -> bool:
    return any(answer(workspace) for answer in _MODE)


# Told when a workspace starts or stops keeping in step continuously (the sync app's settings
# page calls ``mode_changed``): a provider registers or removes what only continuous mode needs.
_MODE_LISTENERS: list[Callable[[object, bool], None]] = []


def on_mode_change(listener: Callable[[object, bool], None]) -> None:
    if listener not in _MODE_LISTENERS:
        _MODE_LISTENERS.append(listener)


def mode_changed(workspace, continuous: bool) -> None:
    for listener in _MODE_LISTENERS:
        listener(workspace, continuous)


class CatchUpTooOld(Exception):
    """The cursor is older than the system's change feed reaches back: do one full pull."""


@dataclass
class ChangeFeed:
    """What a change feed (QuickBooks CDC) returned: changes per ``system`` and the next
    cursor (the service's own ``time`` of the answer)."""

    cursor: datetime
    changes: dict[str, list[Change]]
    calls: int = 0

    def count(self) -> int:
        return sum(len(items) for items in self.changes.values())


_STATUSES: dict[str, Callable[[object], str]] = {}


def register_status(label: str, status: Callable[[object], str]) -> None:
    """A line for the dashboard about a feed of changes, e.g. ``"LACRM webhook"`` →
    ``fn(workspace)`` returning "registered, handshake done" ("" to show nothing)."""
    _STATUSES[label] = status


def statuses() -> dict[str, Callable[[object], str]]:
    return dict(_STATUSES)
