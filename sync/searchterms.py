"""The search box's text, read the same way on every page: trimmed and capped in length.

A search longer than anyone types (a pasted page, a 5,000-character string) is cut to
``MAX_SEARCH`` characters; the page says so instead of echoing all of it back.
"""

from __future__ import annotations

MAX_SEARCH = 200
TOO_LONG = (
    "Searches are limited to {limit} characters; only the first {limit} of the {length} you "
    "entered were searched for."
)


def search_text(params, name: str = "q", default: str = "") -> str:
    """The search in ``params`` (a QueryDict), trimmed and cut to ``MAX_SEARCH`` characters."""
    return params.get(name, default).strip()[:MAX_SEARCH].strip()


def search_notice(params, name: str = "q") -> str:
    """What to tell the user when their search was cut ("" when it was not)."""
    length = len(params.get(name, "").strip())
    if length <= MAX_SEARCH:
        return ""
    return TOO_LONG.format(limit=MAX_SEARCH, length=length)
