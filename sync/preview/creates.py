"""What each planned create would send, asked of the target system's client (no call made)."""

from __future__ import annotations

from collections.abc import Sequence

from integrations import registry
from integrations.records import LACRM, QBO, ContactRecord, CreatePreview
from sync.contacts.plan import Pulled
from sync.preview.decide import record_key


def describe_creates(
    workspace, creates: Sequence[ContactRecord], pulled: Pulled
) -> dict[str, CreatePreview]:
    """Previews of ``creates`` by source record key, in the plan's work order per target.

    The target's existing records (inactive and skipped customers too: QuickBooks keeps their
    names) are the names a new record must avoid.
    """
    previews: dict[str, CreatePreview] = {}
    existing = {
        QBO: [*pulled.qbo.values(), *(r for r, _ in pulled.skipped if r.system == QBO)],
        LACRM: list(pulled.lacrm.values()),
    }
    for target in (QBO, LACRM):
        records = [r for r in creates if r.system != target]
        if not records:
            continue
        client = registry.client(workspace, target)
        for record, preview in zip(
            records, client.describe_creates(records, existing[target]), strict=True
        ):
            previews[record_key(record.system, record.id)] = preview
    return previews
