"""Notes a run posted, as the apps that post them tell it (each registers in ``AppConfig.ready``).

The sync app cannot read another app's tables (the layers contract), so an app whose runs post
notes registers a source: how to list a run's notes, and what to forget once one is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.undo.plan import NotePosted


@dataclass(frozen=True)
class NoteSource:
    kind: str
    # The notes a run of ``kind`` posted.
    notes_of: Callable[[Any], list[NotePosted]]
    # Called in the transaction that records a note's deletion (workspace, note id).
    forget: Callable[[Any, str], None] = lambda workspace, note_id: None


_SOURCES: dict[str, NoteSource] = {}


def register(source: NoteSource) -> NoteSource:
    existing = _SOURCES.get(source.kind)
    if existing is not None and existing is not source:
        raise ValueError(f"A note source for {source.kind!r} is registered already")
    _SOURCES[source.kind] = source
    return source


def for_kind(kind: str) -> NoteSource | None:
    return _SOURCES.get(kind)


def undoable_kinds() -> set[str]:
    return set(_SOURCES)
