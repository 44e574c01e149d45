"""OAuth ``state`` for every provider's browser flow: one per attempt, kept in the session.

A callback is accepted only with the state its own attempt stored; the stored one is removed on
the first check, so a replayed or forged callback fails.
"""

from __future__ import annotations

import secrets


def new_state(session, key: str) -> str:
    state = secrets.token_urlsafe(32)
    session[key] = state
    return state


def check_state(session, key: str, received: str | None) -> bool:
    """Pop the session's state and compare it with the callback's, in constant time."""
    expected = session.pop(key, None)
    if not expected or not received:
        return False
    return secrets.compare_digest(str(expected), str(received))
