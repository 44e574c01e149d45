"""Threads for tests that race two callers: each sees every workspace, as the test itself does.

A new thread starts with no workspace scope (scopes live in context variables), so test code run
in one would hit the fail-closed managers; these threads carry the test's view along.
"""

from __future__ import annotations

import threading

from django_scopes import scopes_disabled


def test_thread(target, args=(), **kwargs) -> threading.Thread:
    def run():
        with scopes_disabled():
            target(*args)

    return threading.Thread(target=run, **kwargs)


test_thread.__test__ = False  # not a test, despite its name
