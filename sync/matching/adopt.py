"""The adopt rule: which record an earlier, interrupted create of ``record`` may have made.

Pure. The outbox (``sync.outbox``) applies it to what the system's own search returns; planning
(``sync.contact_plan``) applies it to the pulled records, so that a record an unfinished create
may have made is left to that create, not matched to someone else or created back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Set

from integrations.records import ContactRecord
from sync.matching.normalize import normalize_email, normalize_name


def pick(
    candidates: Iterable[ContactRecord], record: ContactRecord, taken: Set[str]
) -> ContactRecord | None:
    """The first candidate not taken with the record's email (or, when the record has none,
    with its name and no email either)."""
    email = normalize_email(record.primary_email)
    name = normalize_name(record.name)
    for candidate in candidates:
        if candidate.id in taken:
            continue
        if email and email in {normalize_email(e) for e in candidate.emails}:
            return candidate
        if not email and not candidate.emails and name and normalize_name(candidate.name) == name:
            return candidate
    return None


def index(records: Iterable[ContactRecord]) -> dict[str, list[ContactRecord]]:
    """Records by each normalised email, and those without email by ``name:<name>``."""
    found: dict[str, list[ContactRecord]] = defaultdict(list)
    for record in records:
        for email in {normalize_email(e) for e in record.emails} - {""}:
            found[email].append(record)
        if not record.emails:
            found[f"name:{normalize_name(record.name)}"].append(record)
    return found


def pick_indexed(
    indexed: dict[str, list[ContactRecord]], record: ContactRecord, taken: Set[str]
) -> ContactRecord | None:
    """``pick`` over the records of ``index`` that can match ``record`` at all."""
    key = normalize_email(record.primary_email) or f"name:{normalize_name(record.name)}"
    return pick(indexed.get(key, []), record, taken)
