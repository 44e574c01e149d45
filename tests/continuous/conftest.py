"""Continuous-sync tests: alice's workspace keeps in step continuously unless a test says not."""

from __future__ import annotations

import pytest

from sync.models import SyncSettings


def keep_in_step(workspace, schedule: str = SyncSettings.Schedule.CONTINUOUS) -> None:
    SyncSettings.objects.update_or_create(workspace=workspace, defaults={"schedule": schedule})


def set_format(cw, fmt: str) -> None:
    """The sandbox company's webhook format knob (saved alone: the company's id counter moves)."""
    type(cw.qbo_company).objects.filter(pk=cw.qbo_company.pk).update(webhook_format=fmt)
    cw.qbo_company.refresh_from_db()


@pytest.fixture
def connected_workspace_empty(connected_workspace_empty):
    keep_in_step(connected_workspace_empty.workspace)
    return connected_workspace_empty
