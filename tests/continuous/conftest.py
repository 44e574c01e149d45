"""Continuous-sync tests: alice's workspace keeps in step continuously unless a test says not."""

from __future__ import annotations

import pytest

from sync.models import SyncSettings


def keep_in_step(workspace, schedule: str = SyncSettings.Schedule.CONTINUOUS) -> None:
    SyncSettings.objects.update_or_create(workspace=workspace, defaults={"schedule": schedule})


@pytest.fixture
def connected_workspace_empty(connected_workspace_empty):
    keep_in_step(connected_workspace_empty.workspace)
    return connected_workspace_empty
