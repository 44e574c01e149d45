"""Undo a run over real HTTP: the sandbox providers, our clients, a real worker.

Undo takes back what a run wrote where nobody has edited it since, and lists the rest as
"edited since, left alone"; it is itself a run (preview, confirmation, batches, logs), done once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.records import LACRM, QBO, Phone
from integrations.sandbox import runtime
from integrations.sandbox.lacrm import writes as lacrm_writes
from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo.models import SandboxQboName
from sync import runs
from sync.models import ContactLink, SyncLogEntry, SyncRun, SyncSettings
from sync.undo import gather, service
from sync.undo.models import RunUndo
from sync.undo.registration import KIND as UNDO
from tests.fixtures_worker import wait_for
from tests.sync.helpers import finished, kill_while_held, recover
from tests.sync.test_field_updates import add_contact, add_customer, edit_customer

pytestmark = pytest.mark.django_db(transaction=True)

WRITES = {
    "qbo": ("POST customer", "batch"),
    "lacrm": ("CreateContact", "EditContact", "DeleteContact", "CreateNote", "DeleteNote"),
}


def seed(cw) -> None:
    """Two customers only in QuickBooks, two contacts only in LACRM, one person in both."""
    add_customer(cw, "Quinn", "Alpha", PrimaryEmailAddr={"Address": "quinn@undo.example"})
    add_customer(cw, "Quincy", "Beta", PrimaryEmailAddr={"Address": "quincy@undo.example"})
    add_customer(cw, "Matt", "Match", PrimaryEmailAddr={"Address": "matt@undo.example"})
    add_contact(cw, "Lara Gamma", Email=[{"Text": "lara@undo.example", "Type": "Work"}])
    add_contact(cw, "Lana Delta", Email=[{"Text": "lana@undo.example", "Type": "Work"}])
    add_contact(cw, "Matt Match", Email=[{"Text": "matt@undo.example", "Type": "Work"}])


def created(run, target: str) -> dict[str, str]:
    """The records ``run`` created in ``target``: name → id."""
    source = QBO if target == LACRM else LACRM
    entries = SyncLogEntry.objects.filter(run=run, outcome="created", system=source)
    return dict(entries.values_list("record_name", "target_id"))


def write_calls(cw) -> int:
    return (
        SandboxCall.objects.filter(
            system="qbo", account=cw.realm_id, operation__in=WRITES["qbo"]
        ).count()
        + SandboxCall.objects.filter(
            system="lacrm", account=cw.lacrm_account.uid, operation__in=WRITES["lacrm"]
        ).count()
    )


def qbo_row(cw, qbo_id: str) -> SandboxQboName:
    return SandboxQboName.objects.get(company=cw.qbo_company, qbo_id=int(qbo_id))


def lacrm_exists(cw, lacrm_id: str) -> bool:
    return SandboxLacrmContact.objects.filter(account=cw.lacrm_account, uid=lacrm_id).exists()


def edit_lacrm_contact_later(cw, lacrm_id: str) -> None:
    """Edit the contact in LACRM as its user would, once LACRM's clock (whole seconds) has
    moved on from the moment it was created."""
    row = SandboxLacrmContact.objects.get(account=cw.lacrm_account, uid=lacrm_id)
    wait_for(lambda: timezone.now() >= row.created_at + timedelta(seconds=2.2), timeout=10)
    lacrm_writes.edit_contact(
        cw.lacrm_account, row, {"Phone": [{"Text": "555-0142", "Type": "Work"}]}
    )


def outcomes_of(run) -> dict[str, int]:
    result: dict[str, int] = {}
    for outcome in SyncLogEntry.objects.filter(run=run).values_list("outcome", flat=True):
        result[outcome] = result.get(outcome, 0) + 1
    return result


def undo_through_the_pages(cw, run) -> SyncRun:
    """Open the preview, confirm, and return the undo run it started."""
    page = cw.client.get(reverse("sync:undo_preview", kwargs={"run_id": run.id}))
    assert page.status_code == 200
    response = cw.client.post(
        reverse("sync:undo_start", kwargs={"run_id": run.id}), {"confirm": "yes"}
    )
    assert response.status_code == 302
    undo = RunUndo.objects.get(original=run, undo_run__status__in=["queued", "running"])
    assert response["Location"] == reverse("sync:run_detail", kwargs={"run_id": undo.undo_run_id})
    return undo.undo_run


# --- Sync New Contacts --------------------------------------------------------------------------


@pytest.mark.worker
def test_undo_takes_back_exactly_the_untouched_creations_and_links(
    connected_workspace_empty, celery_worker_process
):
    cw = connected_workspace_empty
    seed(cw)
    run, _ = runs.start_run(cw.workspace, SyncRun.Kind.CONTACTS)
    finished(run)
    assert (run.status, run.created_in_lacrm, run.created_in_qbo, run.matched) == (
        "completed",
        2,
        2,
        1,
    ), run.failure_reason
    in_lacrm, in_qbo = created(run, LACRM), created(run, QBO)

    # Someone edits one created LACRM contact and one created QuickBooks customer.
    edit_lacrm_contact_later(cw, in_lacrm["Quinn Alpha"])
    edit_customer(cw, in_qbo["Lara Gamma"], Notes="Called on Monday")

    page = cw.client.get(reverse("sync:undo_preview", kwargs={"run_id": run.id}))
    html = page.content.decode()
    for counter, expected in (
        ("delete-lacrm", 1),
        ("deactivate-qbo", 1),
        ("unlink", 3),
        ("left-alone", 2),
    ):
        assert f'id="undo-count-{counter}">{expected}<' in html, counter
    assert "QuickBooks cannot delete customers" in html
    assert "delete 1 contact in Less Annoying CRM" in " ".join(html.split())
    assert SyncRun.objects.filter(workspace=cw.workspace).count() == 1  # the preview wrote nothing

    undo = finished(undo_through_the_pages(cw, run))
    assert undo.status == "completed", undo.failure_reason
    assert outcomes_of(undo) == {
        "undo_deleted": 1,
        "made_inactive": 1,
        "link_removed": 1,
        "edited_since": 2,
    }
    assert (undo.created_in_lacrm, undo.created_in_qbo, undo.matched, undo.skipped) == (1, 1, 1, 2)

    # LACRM: the untouched contact is deleted, the edited one stays.
    assert not lacrm_exists(cw, in_lacrm["Quincy Beta"])
    assert lacrm_exists(cw, in_lacrm["Quinn Alpha"])
    # QuickBooks: the untouched customer is inactive, not deleted; the edited one is active.
    assert qbo_row(cw, in_qbo["Lana Delta"]).active is False
    assert qbo_row(cw, in_qbo["Lara Gamma"]).active is True
    # The ledger keeps exactly the links of the records left alone.
    links = ContactLink.objects.filter(workspace=cw.workspace)
    assert sorted(
        (link.qbo_name or link.lacrm_name) for link in links if link.state == "linked"
    ) == ["Lara Gamma", "Quinn Alpha"]
    left = SyncLogEntry.objects.filter(run=undo, outcome="edited_since")
    assert {e.record_id for e in left} == {in_lacrm["Quinn Alpha"], in_qbo["Lara Gamma"]}
    assert all("since it was created" in e.reason for e in left)

    # The run is undone: its page says so and offers no second undo.
    detail = cw.client.get(reverse("sync:run_detail", kwargs={"run_id": run.id})).content.decode()
    assert 'id="undone-badge"' in detail and 'id="undo-run"' not in detail
    dashboard = cw.client.get(reverse("dashboard")).content.decode()
    assert dashboard.count("undone-mark") == 1
    calls = write_calls(cw)
    again = cw.client.post(
        reverse("sync:undo_start", kwargs={"run_id": run.id}), {"confirm": "yes"}
    )
    assert again.status_code == 302
    assert RunUndo.objects.filter(original=run).count() == 1
    with pytest.raises(service.UndoRefused):
        service.start_undo(run)
    # Planned again from scratch, the undo has nothing left to do and sends nothing.
    plan = gather.plan_undo(run)
    assert plan.acting == [] and len(plan.already_undone) == 3 and len(plan.left_alone) == 2
    assert write_calls(cw) == calls


def test_undo_of_a_run_that_wrote_nothing_says_so(connected_workspace_empty):
    cw = connected_workspace_empty
    run = SyncRun.objects.create(
        workspace=cw.workspace, kind=SyncRun.Kind.CONTACTS, status="completed"
    )
    page = cw.client.get(reverse("sync:undo_preview", kwargs={"run_id": run.id}))
    assert 'id="nothing-to-undo"' in page.content.decode()
    assert 'id="undo-start"' not in page.content.decode()


def test_the_confirmation_box_must_be_ticked(connected_workspace_empty):
    cw = connected_workspace_empty
    run = SyncRun.objects.create(
        workspace=cw.workspace, kind=SyncRun.Kind.CONTACTS, status="completed"
    )
    response = cw.client.post(reverse("sync:undo_start", kwargs={"run_id": run.id}))
    assert response.status_code == 302
    assert not RunUndo.objects.exists()


def test_an_active_run_or_an_undo_run_offers_no_undo(connected_workspace_empty):
    cw = connected_workspace_empty
    running = SyncRun.objects.create(
        workspace=cw.workspace, kind=SyncRun.Kind.CONTACTS, status="running"
    )
    assert service.state_of(running).refused
    html = cw.client.get(reverse("sync:run_detail", kwargs={"run_id": running.id})).content
    assert b'id="undo-run"' not in html
    # Undo is not a dashboard button, and the generic start refuses it.
    dashboard = cw.client.get(reverse("dashboard")).content.decode()
    assert 'id="undo-run"' not in dashboard
    cw.client.post(reverse("sync:start", kwargs={"kind": UNDO}))
    assert not SyncRun.objects.filter(kind=UNDO).exists()


# --- A worker killed in the middle of an undo ---------------------------------------------------


@pytest.mark.worker
@pytest.mark.parametrize(
    ("system", "operation"), [("lacrm", "DeleteContact"), ("qbo", "POST customer")]
)
def test_worker_killed_during_an_undo_leaves_no_half_state(
    connected_workspace_empty, celery_worker_process, release_holds, system, operation
):
    cw = connected_workspace_empty
    seed(cw)
    run, _ = runs.start_run(cw.workspace, SyncRun.Kind.CONTACTS)
    finished(run)
    assert run.status == "completed", run.failure_reason
    in_lacrm, in_qbo = created(run, LACRM), created(run, QBO)

    # The first delete (or inactivation) is processed by the sandbox, which then holds the
    # answer while the worker is killed: the record is gone, the bookkeeping is not done.
    held = runtime.hold_next(system, operation)
    undo = service.start_undo(run)
    kill_while_held(celery_worker_process, held)
    recover(undo)
    finished(undo)
    assert undo.status == "completed", undo.failure_reason

    assert not any(lacrm_exists(cw, i) for i in in_lacrm.values())
    assert all(qbo_row(cw, i).active is False for i in in_qbo.values())
    assert not ContactLink.objects.filter(workspace=cw.workspace).exists()
    entries = SyncLogEntry.objects.filter(run=undo)
    # One entry per step, none twice, and the interrupted one says it was confirmed after.
    assert sorted(entries.values_list("outcome", flat=True)) == sorted(
        ["undo_deleted"] * 2 + ["made_inactive"] * 2 + ["link_removed"]
    )
    assert entries.filter(reason__contains="confirmed after an interruption").count() == 1
    assert (undo.processed, undo.total) == (5, 5)


# --- Update Invoice Summaries -------------------------------------------------------------------


@pytest.mark.worker
def test_undo_deletes_the_notes_a_summary_run_posted_unless_edited(
    connected_workspace, celery_worker_process
):
    from summaries.kind import KIND as SUMMARIES
    from summaries.models import ContactSummaryState, SummaryNote

    cw = connected_workspace
    sync_run, _ = runs.start_run(cw.workspace, SyncRun.Kind.CONTACTS)
    finished(sync_run)
    summaries, _ = runs.start_run(cw.workspace, SUMMARIES)
    finished(summaries)
    notes = list(SummaryNote.objects.filter(run=summaries))
    assert summaries.status == "completed" and len(notes) >= 2, summaries.failure_reason
    edited = notes[0]
    registry.crm(cw.workspace).call(
        "EditNote", {"NoteId": edited.note_id, "Note": "Edited by hand: call about the invoice"}
    )

    undo = finished(undo_through_the_pages(cw, summaries))
    assert undo.status == "completed", undo.failure_reason
    assert outcomes_of(undo) == {"note_deleted": len(notes) - 1, "edited_since": 1}
    crm = registry.crm(cw.workspace)
    assert crm.get_note(edited.note_id)["text"].startswith("Edited by hand")
    assert all(crm.get_note(n.note_id) is None for n in notes[1:])
    # The deleted notes no longer hold back the next summary for 24 hours.
    states = ContactSummaryState.objects.filter(lacrm_id__in=[n.lacrm_id for n in notes[1:]])
    assert all(s.last_posted_at is None for s in states)
    # The contacts themselves were never touched, and the sync run's links stay.
    assert ContactLink.objects.filter(workspace=cw.workspace, state="linked").count() > 0


# --- Update Linked Records ----------------------------------------------------------------------


@pytest.mark.worker
def test_undo_of_field_updates_restores_old_values_only_where_untouched(
    connected_workspace_empty, celery_worker_process
):
    cw = connected_workspace_empty
    SyncSettings.objects.update_or_create(workspace=cw.workspace, defaults={"update_fields": True})
    pairs = {}
    for first, old, new in (("Ann", "555-0101", "555-0201"), ("Bea", "555-0102", "555-0202")):
        qbo_id = add_customer(cw, first, "Fields", PrimaryPhone={"FreeFormNumber": old})
        lacrm_id = add_contact(cw, f"{first} Fields", Phone=[{"Text": new, "Type": "Work"}])
        ContactLink.objects.create(
            workspace=cw.workspace,
            qbo_id=qbo_id,
            lacrm_id=lacrm_id,
            state="linked",
            method="email",
            synced_fields={"phone": old},
        )
        pairs[first] = qbo_id
    run, _ = runs.start_run(cw.workspace, SyncRun.Kind.FIELD_UPDATES)
    finished(run)
    assert run.status == "completed" and run.updated == 2, run.failure_reason
    qbo = registry.accounting(cw.workspace)
    assert qbo.get_customer(pairs["Ann"]).phones[0].number == "555-0201"
    # Bea's phone is changed again in QuickBooks after the run.
    qbo.update_contact(pairs["Bea"], {"phones": (Phone("555-0999", "work"),)})

    undo = finished(undo_through_the_pages(cw, run))
    assert undo.status == "completed", undo.failure_reason
    assert outcomes_of(undo) == {"restored": 1, "edited_since": 1}
    assert qbo.get_customer(pairs["Ann"]).phones[0].number == "555-0101"
    assert qbo.get_customer(pairs["Bea"]).phones[0].number == "555-0999"
    restored = SyncLogEntry.objects.get(run=undo, outcome="restored")
    assert "555-0201 → 555-0101" in restored.reason
    # The links themselves are not the field run's doing: they stay.
    assert ContactLink.objects.filter(workspace=cw.workspace, state="linked").count() == 2


# --- Tenancy ------------------------------------------------------------------------------------


def test_outsiders_get_404_on_the_undo_pages(connected_workspace_empty, bob):
    cw = connected_workspace_empty
    run = SyncRun.objects.create(
        workspace=cw.workspace, kind=SyncRun.Kind.CONTACTS, status="completed"
    )
    outsider = Client()
    outsider.force_login(bob)
    preview = reverse("sync:undo_preview", kwargs={"run_id": run.id})
    start = reverse("sync:undo_start", kwargs={"run_id": run.id})
    assert outsider.get(preview).status_code == 404
    assert outsider.post(start, {"confirm": "yes"}).status_code == 404
    assert not RunUndo.objects.exists()
    # CSRF holds on the start action.
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cw.user)
    assert strict.post(start, {"confirm": "yes"}).status_code == 403
    assert not RunUndo.objects.exists()


# --- Stop and undo again ------------------------------------------------------------------------


def run_batches(run: SyncRun, batches: int | None = None) -> SyncRun:
    """Plan and process a run here, through the functions the tasks call (all batches, or
    ``batches`` of them)."""
    runs.execute_plan(str(run.id))
    run.refresh_from_db()
    done = 0
    while run.is_active and (batches is None or done < batches):
        runs.execute_batch(str(run.id), run.next_batch)
        run.refresh_from_db()
        done += 1
    return run


def test_a_stopped_undo_is_finished_by_undoing_again_and_nothing_is_done_twice(
    connected_workspace_empty,
):
    from tests.fixtures_worker import purge_broker

    cw = connected_workspace_empty
    for n in range(25):
        add_contact(cw, f"Stop{n:02d} Undo", Email=[{"Text": f"s{n}@undo.example", "Type": "Work"}])
    sync_run, _ = runs.start_run(cw.workspace, SyncRun.Kind.CONTACTS)
    sync_run = run_batches(sync_run)
    assert sync_run.created_in_qbo == 25, sync_run.failure_reason

    first = service.start_undo(sync_run)
    first = run_batches(first, batches=1)  # one batch of 20, then Stop
    runs.request_stop(first)
    first = run_batches(first)
    assert first.status == "stopped" and first.created_in_qbo == 20
    assert not service.state_of(sync_run).undone_by
    page = cw.client.get(reverse("sync:run_detail", kwargs={"run_id": first.id})).content
    assert b"choose <strong>Undo this run</strong> again" in page

    second = run_batches(service.start_undo(sync_run))
    purge_broker()
    assert second.status == "completed", second.failure_reason
    assert (second.created_in_qbo, second.already_matched) == (5, 20)
    made = created(sync_run, QBO).values()
    assert all(qbo_row(cw, i).active is False for i in made)
    assert not ContactLink.objects.filter(workspace=cw.workspace).exists()
    # Each customer was made inactive exactly once over the two undo runs.
    inactivations = SandboxCall.objects.filter(
        system="qbo", account=cw.realm_id, operation="POST customer", status=200
    )
    assert inactivations.count() == 25
    assert service.state_of(sync_run).undone_by == second


def test_a_created_contact_with_notes_added_since_is_not_deleted_with_them(
    connected_workspace_empty,
):
    from tests.fixtures_worker import purge_broker

    cw = connected_workspace_empty
    seed(cw)
    sync_run = run_batches(runs.start_run(cw.workspace, SyncRun.Kind.CONTACTS)[0])
    in_lacrm = created(sync_run, LACRM)
    registry.crm(cw.workspace).create_note(in_lacrm["Quinn Alpha"], "Met at the fair")

    undo = run_batches(service.start_undo(sync_run))
    purge_broker()
    assert undo.status == "completed", undo.failure_reason
    assert lacrm_exists(cw, in_lacrm["Quinn Alpha"])
    assert not lacrm_exists(cw, in_lacrm["Quincy Beta"])
    left = SyncLogEntry.objects.get(run=undo, outcome="edited_since")
    assert left.record_id == in_lacrm["Quinn Alpha"] and "Notes were added" in left.reason
