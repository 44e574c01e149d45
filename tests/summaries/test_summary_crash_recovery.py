"""Invoice summary notes interrupted on purpose: a worker killed while LACRM holds a posted note,
and a CreateNote whose answer is lost. The retry finds the note by its reference and adopts it."""

from __future__ import annotations

import pytest

from integrations import registry
from integrations.sandbox import runtime
from integrations.sandbox.lacrm.store import load_contacts
from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo.store import load_customers
from summaries.kind import KIND
from summaries.models import ContactSummaryState, SummaryNote
from sync import runs
from sync.models import ContactLink, SyncLogEntry, SyncRun
from tests.sync.helpers import finished, kill_while_held, recover, run_here

pytestmark = pytest.mark.django_db(transaction=True)


def owing_pair(connected) -> None:
    """One QuickBooks customer with open invoices and the same person in LACRM."""
    load_customers(
        connected.qbo_company,
        [
            {
                "GivenName": "Nia",
                "FamilyName": "Owens",
                "PrimaryEmailAddr": {"Address": "nia.owens@owes.example"},
            }
        ],
        invoices_per_customer=3,
    )
    load_contacts(
        connected.lacrm_account, [{"Name": "Nia Owens", "Email": "nia.owens@owes.example"}]
    )


def assert_one_note_recorded(connected, run: SyncRun, adopted: str) -> None:
    """Exactly one note on the contact; the summary state and the log know it, as adopted."""
    link = ContactLink.objects.get(workspace=connected.workspace, state="linked")
    [note] = registry.crm(connected.workspace).list_notes(link.lacrm_id)
    state = ContactSummaryState.objects.get(workspace=connected.workspace, lacrm_id=link.lacrm_id)
    assert state.last_note_id == note["id"] and state.last_posted_at is not None
    assert state.pending_key is None
    [posted] = SummaryNote.objects.filter(workspace=connected.workspace)
    assert posted.note_id == note["id"] and posted.text == note["text"]
    entry = SyncLogEntry.objects.get(run=run, outcome="note_added")
    assert entry.reason == f"Invoice summary note {note['id']} adopted: {adopted}"
    assert run.notes_added == 1 and run.failed == 0


@pytest.mark.worker
def test_worker_killed_while_a_note_create_is_held_adopts_the_note(
    connected_workspace_empty, celery_worker_process, release_holds
):
    connected = connected_workspace_empty
    owing_pair(connected)
    contacts, _ = runs.start_run(connected.workspace, SyncRun.Kind.CONTACTS)
    assert finished(contacts).status == SyncRun.Status.COMPLETED, contacts.failure_reason

    held = runtime.hold_next("lacrm", "CreateNote")
    run, _ = runs.start_run(connected.workspace, KIND)
    kill_while_held(celery_worker_process, held)
    state = ContactSummaryState.objects.get(workspace=connected.workspace)
    assert state.pending_key is not None and state.last_note_id == ""
    recover(run)
    finished(run)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason

    assert_one_note_recorded(connected, run, "an interrupted attempt had posted it")
    creates = SandboxCall.objects.filter(
        account=connected.lacrm_account.uid, operation="CreateNote"
    )
    assert creates.count() == 1


def test_a_lost_answer_to_a_note_create_is_adopted_in_the_same_run(connected_workspace_empty):
    connected = connected_workspace_empty
    owing_pair(connected)
    run_here(connected.workspace)
    runtime.lose_responses("lacrm", "CreateNote")
    run = run_here(connected.workspace, KIND)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert_one_note_recorded(
        connected,
        run,
        "Less Annoying CRM did not confirm the note (Less Annoying CRM answered HTTP 500), "
        "but it had been posted",
    )


def test_a_note_left_unsettled_by_a_failed_look_is_adopted_by_the_next_run(
    connected_workspace_empty, settings
):
    settings.INTEGRATION_RETRY_TRIES = 2
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.01
    connected = connected_workspace_empty
    owing_pair(connected)
    run_here(connected.workspace)
    runtime.lose_responses("lacrm", "CreateNote")
    runtime.fail_calls("lacrm", "GetNotesAttachedToContact", runtime.Fault.SERVER_ERROR, [1, 2])
    first = run_here(connected.workspace, KIND)
    assert first.status == SyncRun.Status.COMPLETED and first.failed == 1
    failure = SyncLogEntry.objects.get(run=first, outcome="failed")
    assert "check for this note on the next run" in failure.reason
    assert ContactSummaryState.objects.get(workspace=connected.workspace).pending_key is not None

    second = run_here(connected.workspace, KIND)
    assert second.status == SyncRun.Status.COMPLETED, second.failure_reason
    assert_one_note_recorded(connected, second, "an interrupted attempt had posted it")


def test_a_note_that_was_never_posted_is_posted_by_the_next_run_after_looking(
    connected_workspace_empty, settings
):
    settings.INTEGRATION_RETRY_TRIES = 2
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.01
    connected = connected_workspace_empty
    owing_pair(connected)
    run_here(connected.workspace)
    # 500s before LACRM processed anything, on both tries of the run: the looks find no note,
    # the claim is kept.
    runtime.fail_calls("lacrm", "CreateNote", runtime.Fault.SERVER_ERROR, [1, 2])
    first = run_here(connected.workspace, KIND)
    assert first.failed == 1 and first.notes_added == 0
    assert ContactSummaryState.objects.get(workspace=connected.workspace).pending_key is not None

    second = run_here(connected.workspace, KIND)
    assert second.status == SyncRun.Status.COMPLETED, second.failure_reason
    link = ContactLink.objects.get(workspace=connected.workspace, state="linked")
    [note] = registry.crm(connected.workspace).list_notes(link.lacrm_id)
    entry = SyncLogEntry.objects.get(run=second, outcome="note_added")
    assert entry.reason == f"Invoice summary note {note['id']} added"
    creates = SandboxCall.objects.filter(
        account=connected.lacrm_account.uid, operation="CreateNote"
    )
    assert sorted(creates.values_list("status", flat=True)) == [200, 500, 500]


def test_a_note_answered_with_a_500_that_posted_nothing_is_posted_again_in_the_same_run(
    connected_workspace_empty, settings
):
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.01
    connected = connected_workspace_empty
    owing_pair(connected)
    run_here(connected.workspace)
    runtime.fail_calls("lacrm", "CreateNote", runtime.Fault.SERVER_ERROR, [1])
    run = run_here(connected.workspace, KIND)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert (run.failed, run.notes_added) == (0, 1)
    link = ContactLink.objects.get(workspace=connected.workspace, state="linked")
    assert len(registry.crm(connected.workspace).list_notes(link.lacrm_id)) == 1
