"""Preview Sync New Contacts and Apply this plan through a real Celery worker, against the
sandbox providers over HTTP: the preview writes nothing; applying does exactly the previewed
plan; records changed since, and unticked rows, are left alone and said so; Stop and Resume."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.sandbox.lacrm import writes as lacrm_writes
from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.models import SandboxKnobs
from integrations.sandbox.qbo.models import SandboxQboName
from integrations.sandbox.qbo.names import update_name
from sync import runs
from sync.models import ContactLink, SyncLogEntry, SyncRun
from tests.sync.helpers import assert_counters_match_logs, both_sides, duplicates, finished
from tests.sync.preview_helpers import (
    apply,
    calls_since,
    ids,
    items,
    last_call_id,
    ready,
    start_preview,
    untick,
    writes_since,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


def created_from(workspace, target: str) -> set[str]:
    """Source ids of the records LedgerLink created in ``target``."""
    source = "lacrm_id" if target == "qbo" else "qbo_id"
    rows = ContactLink.objects.filter(workspace=workspace, method="created", target_system=target)
    return set(rows.values_list(source, flat=True))


def made_pairs(workspace) -> set[tuple[str, str]]:
    """The (QuickBooks id, LACRM id) pairs LedgerLink linked by creating one side."""
    rows = ContactLink.objects.filter(workspace=workspace, method="created")
    return set(rows.values_list("qbo_id", "lacrm_id"))


def logged_records(run, outcome: str) -> set[tuple[str, str]]:
    rows = SyncLogEntry.objects.filter(run=run, outcome=outcome)
    return set(rows.values_list("system", "record_id"))


def logged(run, outcome: str) -> set[str]:
    rows = SyncLogEntry.objects.filter(run=run, outcome=outcome)
    return set(rows.values_list("record_id", flat=True))


@pytest.mark.worker
def test_preview_writes_nothing_to_either_system_nor_the_ledger(
    connected_workspace, celery_worker_process
):
    cw = connected_workspace
    before = last_call_id()
    preview = ready(start_preview(cw))

    # The sandbox's call log: both systems were read, neither was written to.
    operations = set(calls_since(before).values_list("system", "operation"))
    assert ("lacrm", "GetContacts") in operations
    assert any(system == "qbo" and op.startswith("query") for system, op in operations)
    assert writes_since(before) == []
    assert not ContactLink.objects.filter(workspace=cw.workspace).exists()
    assert not SyncRun.objects.filter(workspace=cw.workspace).exists()

    counts = preview.counts
    for category in ("link", "create_in_qbo", "create_in_lacrm", "review", "skipped"):
        assert counts.get(category, 0) > 0, (category, counts)
    assert sum(counts.values()) == items(preview).count()
    page = cw.client.get(reverse("sync:preview:detail", kwargs={"preview_id": preview.id}))
    text = page.content.decode()
    assert page.status_code == 200
    assert f"{counts['create_in_qbo']:,}" in text and "Can be applied until" in text
    question = (
        f"Create {counts['create_in_qbo']:,} in QuickBooks, {counts['create_in_lacrm']:,} in LACRM"
    )
    assert question in text


@pytest.mark.worker
def test_applying_creates_exactly_the_previewed_records_but_not_unticked_ones(
    connected_workspace, celery_worker_process
):
    cw = connected_workspace
    preview = ready(start_preview(cw))
    unticked = items(preview, "create_in_qbo").order_by("seq")[1]
    untick(cw, preview, unticked)
    # A whole category too: no link is made.
    response = cw.client.post(
        reverse("sync:preview:category", kwargs={"preview_id": preview.id}),
        {"category": "link", "action": "exclude"},
    )
    assert response.status_code == 302
    qbo_before, lacrm_before = both_sides(cw.workspace)

    run = finished(apply(cw, preview), timeout=180)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    failed = logged(run, "failed")
    wanted_qbo = ids(preview, "create_in_qbo") - {unticked.record_id}
    assert created_from(cw.workspace, "qbo") == wanted_qbo - failed
    assert created_from(cw.workspace, "lacrm") == ids(preview, "create_in_lacrm") - failed
    assert failed <= wanted_qbo | ids(preview, "create_in_lacrm")
    assert (
        not ContactLink.objects.filter(workspace=cw.workspace)
        .exclude(method="created")
        .filter(state="linked")
    )
    assert logged(run, "preview_excluded") == {unticked.record_id} | ids(preview, "link")
    assert not logged(run, "preview_changed")
    # What was created is all that is new on either side (LACRM also makes company records
    # for the people's companies).
    qbo, lacrm = both_sides(cw.workspace)
    assert len(qbo) - len(qbo_before) == run.created_in_qbo == len(wanted_qbo - failed)
    in_ledger = set(
        ContactLink.objects.filter(workspace=cw.workspace).values_list("lacrm_id", flat=True)
    )
    new_lacrm = {rid for rid in lacrm if rid not in lacrm_before}
    assert len(new_lacrm & in_ledger) == run.created_in_lacrm
    assert all(lacrm[rid].is_company for rid in new_lacrm - in_ledger)
    assert duplicates(qbo.values()) == [] and duplicates(lacrm.values()) == []
    assert_counters_match_logs(run)
    # The run page links back to its preview.
    page = cw.client.get(reverse("sync:run_detail", kwargs={"run_id": run.id}))
    assert (
        reverse("sync:preview:detail", kwargs={"preview_id": preview.id}) in page.content.decode()
    )


def _contact(cw, uid: str) -> SandboxLacrmContact:
    return SandboxLacrmContact.objects.get(account=cw.lacrm_account, uid=uid)


@pytest.mark.worker
def test_records_changed_between_preview_and_apply_are_not_acted_on(
    connected_workspace, celery_worker_process
):
    cw = connected_workspace
    preview = ready(start_preview(cw))
    people = [
        row
        for row in items(preview, "create_in_qbo").order_by("seq")
        if not _contact(cw, row.record_id).is_company and "@" in row.record_email
    ]
    to_qbo = people[:3]
    to_lacrm = items(preview, "create_in_lacrm").order_by("seq").first()
    renamed, new_email, deleted = (row.record_id for row in to_qbo)

    # Between preview and apply, people change both systems: a rename and a new email in
    # LACRM, a deleted LACRM contact, a QuickBooks customer made inactive, a new contact.
    lacrm_writes.edit_contact(
        cw.lacrm_account,
        _contact(cw, renamed),
        {"Name": {"FirstName": "Renata", "LastName": "Newname"}},
    )
    lacrm_writes.edit_contact(
        cw.lacrm_account,
        _contact(cw, new_email),
        {"Email": [{"Text": "changed.since@preview.example", "Type": "Work"}]},
    )
    lacrm_writes.delete_contact(_contact(cw, deleted))
    customer = SandboxQboName.objects.get(company=cw.qbo_company, qbo_id=int(to_lacrm.record_id))
    update_name(
        cw.qbo_company,
        "Customer",
        {
            "Id": to_lacrm.record_id,
            "SyncToken": str(customer.sync_token),
            "sparse": True,
            "Active": False,
        },
    )
    newcomer = lacrm_writes.create_contact(
        cw.lacrm_account,
        {
            "IsCompany": False,
            "AssignedTo": cw.lacrm_account.user_id,
            "Name": "Nadia Newcomer",
            "Email": [{"Text": "nadia@newcomer.example", "Type": "Work"}],
        },
    ).uid

    run = finished(apply(cw, preview), timeout=180)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    changed = logged(run, "preview_changed")
    left_alone = {renamed, new_email, deleted, to_lacrm.record_id, newcomer}
    assert left_alone <= changed
    made = created_from(cw.workspace, "qbo") | created_from(cw.workspace, "lacrm")
    assert not made & left_alone
    # Everything else previewed was done.
    failed = logged(run, "failed")
    previewed = ids(preview, "create_in_qbo") | ids(preview, "create_in_lacrm")
    assert made == previewed - left_alone - failed
    reasons = dict(
        SyncLogEntry.objects.filter(run=run, outcome="preview_changed").values_list(
            "record_id", "reason"
        )
    )
    assert "New since the preview" in reasons[newcomer]
    assert "no longer there" in reasons[deleted]
    assert "edited" in reasons[renamed]
    assert_counters_match_logs(run)
    # The run page says how many were left for the next sync, and what that means.
    page = cw.client.get(reverse("sync:run_detail", kwargs={"run_id": run.id})).content.decode()
    assert f"{len(changed)} changed since the preview and 0 excluded from the plan" in page
    assert "or its decision would now differ" in page


@pytest.mark.worker
def test_a_stopped_apply_run_resumes_the_same_plan(
    connected_workspace, calls_one_at_a_time, celery_worker_process, release_holds
):
    from integrations.sandbox import runtime
    from integrations.sandbox.models import SandboxScript

    cw = connected_workspace
    preview = ready(start_preview(cw))
    SandboxKnobs.objects.filter(pk=1).update(latency_ms=40)
    # A batch takes up to 20 creates of each system: hold the second batch's first LACRM create
    # so Stop certainly arrives while the run still has work left.
    held = runtime.script(
        "lacrm", "CreateContact", SandboxScript.Action.HOLD, [runs.BATCH_SIZE + 1], hold_seconds=120
    )

    first = apply(cw, preview)
    assert runtime.wait_until_held(held, timeout=120), "the second batch never started"
    runs.request_stop(first)
    runtime.release(held)
    finished(first)
    assert first.status == SyncRun.Status.STOPPED
    assert 1 <= first.processed < first.total
    done_first = created_from(cw.workspace, "qbo") | created_from(cw.workspace, "lacrm")
    assert done_first
    pairs_first = made_pairs(cw.workspace)

    SandboxKnobs.objects.filter(pk=1).update(latency_ms=0)
    resumed = finished(apply(cw, preview), timeout=180)
    assert resumed.status == SyncRun.Status.COMPLETED, resumed.failure_reason
    # What the first run made is already matched now, not "changed"; the rest was made.
    assert not logged(resumed, "preview_changed")
    # Each pair the first run made is logged as already matched, under either of its records
    # (both sides are created in the same batch, so which side the entry names is the plan's).
    matched = logged_records(resumed, "already_matched")
    assert pairs_first and all(
        ("qbo", qbo_id) in matched or ("lacrm", lacrm_id) in matched
        for qbo_id, lacrm_id in pairs_first
    )
    failed = logged(first, "failed") | logged(resumed, "failed")
    previewed = ids(preview, "create_in_qbo") | ids(preview, "create_in_lacrm")
    made = created_from(cw.workspace, "qbo") | created_from(cw.workspace, "lacrm")
    assert made == previewed - failed
    qbo, lacrm = both_sides(cw.workspace)
    assert duplicates(qbo.values()) == [] and duplicates(lacrm.values()) == []
    assert not ContactLink.objects.filter(workspace=cw.workspace, state="creating").exists()
