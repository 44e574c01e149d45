"""Creates interrupted on purpose: a worker killed while the provider holds a processed create,
and answers lost after the write happened. The retry adopts what was made; nothing is duplicated.

The sandbox processes the create (its write committed), then holds the answer
(``runtime.hold_next``) or answers 500 (``runtime.lose_responses``). With a hold, the test waits
until the call is processed and held, and SIGKILLs the worker at exactly that moment.
"""

from __future__ import annotations

import pytest

from integrations.records import LACRM, QBO
from integrations.sandbox import runtime
from integrations.sandbox.lacrm.store import load_contacts
from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo.store import load_customers
from sync import runs
from sync.ledger import actions as ledger_actions
from sync.ledger import queries as ledger
from sync.ledger.queries import LedgerError
from sync.models import ContactLink, SyncLogEntry, SyncRun
from tests.sync.helpers import (
    both_sides,
    duplicates,
    finished,
    kill_while_held,
    recover,
    run_here,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Cy has no email on either side: a retry finds his record by name.
PEOPLE = [("Ada", "Held"), ("Ben", "Held"), ("Cy", "Held")]
WITHOUT_EMAIL = {"Cy"}
ADOPTED_EARLIER = "adopted the {} made by an interrupted attempt"
ADOPTED_UNANSWERED = "adopted the {} {} had made although the create went unconfirmed"


def email(first: str, last: str) -> str:
    if first in WITHOUT_EMAIL:
        return ""
    return f"{first.lower()}.{last.lower()}@crash.example"


def load_lacrm_people(connected) -> None:
    contacts = []
    for first, last in PEOPLE:
        contact = {"Name": f"{first} {last}"}
        if email(first, last):
            contact["Email"] = email(first, last)
        contacts.append(contact)
    load_contacts(connected.lacrm_account, contacts)


def load_qbo_people(connected) -> None:
    customers = []
    for first, last in PEOPLE:
        customer = {"GivenName": first, "FamilyName": last}
        if email(first, last):
            customer["PrimaryEmailAddr"] = {"Address": email(first, last)}
        customers.append(customer)
    load_customers(connected.qbo_company, customers, invoices_per_customer=0)


def assert_one_each(workspace, target: str) -> dict:
    """Each person exists exactly once on both sides, and the ledger links the two."""
    qbo, lacrm = both_sides(workspace)
    assert duplicates(qbo.values()) == [] and duplicates(lacrm.values()) == []
    made = qbo if target == QBO else lacrm
    assert sorted((r.name, r.primary_email) for r in made.values()) == sorted(
        (f"{first} {last}", email(first, last)) for first, last in PEOPLE
    )
    links = ContactLink.objects.filter(workspace=workspace)
    assert [link.state for link in links] == ["linked"] * len(PEOPLE)
    assert {getattr(link, f"{target}_id") for link in links} == set(made)
    assert all(getattr(link, f"created_in_{target}") for link in links)
    return made


def created_reasons(workspace, run=None) -> list[str]:
    entries = SyncLogEntry.objects.filter(workspace=workspace, outcome="created")
    if run is not None:
        entries = entries.filter(run=run)
    return list(entries.values_list("reason", flat=True))


# --- A worker killed while the create is held -------------------------------------------------


@pytest.mark.worker
@pytest.mark.parametrize("then", ["resume", "stop_and_sync_again"])
def test_worker_killed_during_a_quickbooks_batch_create_adopts_the_customers(
    connected_workspace_empty, celery_worker_process, release_holds, then
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_lacrm_people(connected)
    held = runtime.hold_next("qbo", "batch")
    run, _ = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
    kill_while_held(celery_worker_process, held)
    # The batch was processed: QuickBooks has the customers, the ledger rows are still "creating".
    assert ContactLink.objects.filter(workspace=workspace, state="creating").count() == 3
    if then == "stop_and_sync_again":
        runs.request_stop(run)
    recover(run)
    finished(run)
    if then == "stop_and_sync_again":
        assert run.status == SyncRun.Status.STOPPED
        run, _ = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
        finished(run)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason

    assert_one_each(workspace, QBO)
    reasons = created_reasons(workspace, run)
    assert len(reasons) == 3
    assert all(ADOPTED_EARLIER.format("customer") in reason for reason in reasons)
    # The held batch was the only create QuickBooks was sent.
    assert SandboxCall.objects.filter(account=connected.realm_id, operation="batch").count() == 1


@pytest.mark.worker
@pytest.mark.parametrize("then", ["resume", "stop_and_sync_again"])
def test_worker_killed_during_a_lacrm_contact_create_adopts_the_contact(
    connected_workspace_empty, celery_worker_process, release_holds, then
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_qbo_people(connected)
    held = runtime.hold_next("lacrm", "CreateContact")
    run, _ = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
    kill_while_held(celery_worker_process, held)
    # The batch's other creates were in flight too: whatever LACRM had made by the kill.
    made_before_kill = set(both_sides(workspace)[1])
    assert made_before_kill
    if then == "stop_and_sync_again":
        runs.request_stop(run)
    recover(run)
    finished(run)
    if then == "stop_and_sync_again":
        run, _ = runs.start_run(workspace, SyncRun.Kind.CONTACTS)
        finished(run)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason

    assert_one_each(workspace, LACRM)
    adopted = SyncLogEntry.objects.filter(
        run=run, outcome="created", reason__contains=ADOPTED_EARLIER.format("contact")
    )
    # Everything made before the kill was adopted, not made a second time.
    assert made_before_kill <= {entry.target_id for entry in adopted}
    assert len(created_reasons(workspace)) == 3
    creates = SandboxCall.objects.filter(
        account=connected.lacrm_account.uid, operation="CreateContact"
    )
    assert creates.count() == 3


# --- Answers lost after the write happened ------------------------------------------------------


@pytest.fixture
def quick_retries(settings):
    settings.INTEGRATION_RETRY_TRIES = 2
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.01
    settings.INTEGRATION_RETRY_CAP_SECONDS = 0.02
    return settings


def test_lost_answers_to_a_quickbooks_batch_are_adopted_in_the_same_run(
    connected_workspace_empty, quick_retries
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_lacrm_people(connected)
    # The batch and the client's retry of it (replayed by requestid) both lose their answer.
    runtime.lose_responses("qbo", "batch", [1, 2])
    run = run_here(workspace)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert run.created_in_qbo == 3 and run.failed == 0
    assert_one_each(workspace, QBO)
    reasons = created_reasons(workspace, run)
    assert len(reasons) == 3
    assert all(ADOPTED_UNANSWERED.format("customer", "QuickBooks") in r for r in reasons)


def test_one_lost_batch_answer_is_replayed_by_quickbooks(connected_workspace_empty, quick_retries):
    connected = connected_workspace_empty
    load_lacrm_people(connected)
    runtime.lose_responses("qbo", "batch", [1])
    run = run_here(connected.workspace)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert_one_each(connected.workspace, QBO)
    # The retry carried the same requestid: QuickBooks answered it with the original result.
    statuses = SandboxCall.objects.filter(account=connected.realm_id, operation="batch")
    assert sorted(statuses.values_list("status", flat=True)) == [200, 500]


def test_a_lost_answer_to_a_lacrm_contact_create_is_adopted_in_the_same_run(
    connected_workspace_empty, quick_retries
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_qbo_people(connected)
    runtime.lose_responses("lacrm", "CreateContact", [2])
    run = run_here(workspace)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert run.created_in_lacrm == 3 and run.failed == 0
    assert_one_each(workspace, LACRM)
    reasons = created_reasons(workspace, run)
    adopted = [r for r in reasons if ADOPTED_UNANSWERED.format("contact", "Less Annoying CRM") in r]
    assert len(reasons) == 3 and len(adopted) == 1
    creates = SandboxCall.objects.filter(
        account=connected.lacrm_account.uid, operation="CreateContact"
    )
    assert creates.count() == 3


def test_a_create_left_unsettled_by_a_failed_search_is_adopted_by_the_next_sync(
    connected_workspace_empty, quick_retries, calls_one_at_a_time
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_qbo_people(connected)
    # The first create's answer is lost, and so is the search that would have settled it.
    runtime.lose_responses("lacrm", "CreateContact", [1])
    runtime.fail_calls("lacrm", "GetContacts", runtime.Fault.SERVER_ERROR, [2, 3])
    first = run_here(workspace)
    assert first.status == SyncRun.Status.FAILED
    assert "Less Annoying CRM" in first.failure_reason
    # The outbox row stays: the contact may exist (it does).
    [kept] = ContactLink.objects.filter(workspace=workspace, state="creating")
    assert kept.attempted_at is not None

    second = run_here(workspace)
    assert second.status == SyncRun.Status.COMPLETED, second.failure_reason
    assert_one_each(workspace, LACRM)
    # Each contact created once over the two runs (the call already waiting for the pool's slot
    # when the first failed may have been sent), the lost one adopted by the second.
    assert len(created_reasons(workspace)) == 3
    reasons = created_reasons(workspace, second)
    assert [r for r in reasons if "adopted" in r] == [
        f"Created in Less Annoying CRM; {ADOPTED_EARLIER.format('contact')}"
    ]


def test_a_create_that_may_have_happened_keeps_its_outbox_row_for_the_next_sync(
    connected_workspace_empty, quick_retries, calls_one_at_a_time
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_qbo_people(connected)
    # 500s the client cannot tell from a lost answer, nothing created, on every try the run
    # makes (INTEGRATION_RETRY_TRIES is 2 here): the create stays unsettled.
    runtime.fail_calls("lacrm", "CreateContact", runtime.Fault.SERVER_ERROR, [1, 2])
    first = run_here(workspace)
    assert first.status == SyncRun.Status.COMPLETED, first.failure_reason
    assert first.failed == 1 and first.created_in_lacrm == 2
    failure = SyncLogEntry.objects.get(run=first, outcome="failed")
    assert "the next sync looks for it before creating it again" in failure.reason
    [kept] = ContactLink.objects.filter(workspace=workspace, state="creating")
    assert kept.qbo_id == failure.record_id

    second = run_here(workspace)
    assert second.status == SyncRun.Status.COMPLETED, second.failure_reason
    assert second.created_in_lacrm == 1
    assert_one_each(workspace, LACRM)


def test_a_create_answered_with_a_500_that_made_nothing_is_sent_again_in_the_same_run(
    connected_workspace_empty, quick_retries
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    load_qbo_people(connected)
    runtime.fail_calls("lacrm", "CreateContact", runtime.Fault.SERVER_ERROR, [1])
    run = run_here(workspace)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    assert run.failed == 0 and run.created_in_lacrm == 3
    assert not ContactLink.objects.filter(workspace=workspace, state="creating").exists()
    assert_one_each(workspace, LACRM)


# --- "Create in the other system" by hand ----------------------------------------------------


def make_source(connected, system: str):
    """One person on ``system`` only, as the ledger offers it for "Create in the other system"."""
    first, last = PEOPLE[0]
    if system == LACRM:
        load_contacts(
            connected.lacrm_account, [{"Name": f"{first} {last}", "Email": email(first, last)}]
        )
        records = both_sides(connected.workspace)[1]
    else:
        load_customers(
            connected.qbo_company,
            [
                {
                    "GivenName": first,
                    "FamilyName": last,
                    "PrimaryEmailAddr": {"Address": email(first, last)},
                }
            ],
            invoices_per_customer=0,
        )
        records = both_sides(connected.workspace)[0]
    [record] = records.values()
    return ledger.RecordRef(system, record.id, record.name, record.primary_email)


TARGET_CREATE = {QBO: ("qbo", "batch"), LACRM: ("lacrm", "CreateContact")}
TARGET_SEARCH = {QBO: ("qbo", "query"), LACRM: ("lacrm", "GetContacts")}


def lose_the_create(target: str) -> None:
    system, operation = TARGET_CREATE[target]
    # QuickBooks' client retries a batch (same requestid); LACRM's never re-sends a create.
    runtime.lose_responses(system, operation, [1, 2] if target == QBO else [1])


def made_in(connected, target: str) -> list:
    qbo, lacrm = both_sides(connected.workspace)
    return list((qbo if target == QBO else lacrm).values())


@pytest.mark.parametrize("source_system", [LACRM, QBO], ids=["to_quickbooks", "to_lacrm"])
def test_create_by_hand_adopts_the_record_after_a_lost_answer(
    connected_workspace_empty, quick_retries, source_system
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    source = make_source(connected, source_system)
    target = QBO if source_system == LACRM else LACRM
    lose_the_create(target)

    link = ledger_actions.create_counterpart(workspace, source, user=connected.user)
    [made] = made_in(connected, target)
    assert (link.state, getattr(link, f"{target}_id")) == ("linked", made.id)
    entry = SyncLogEntry.objects.get(workspace=workspace, run=None, outcome="created")
    noun = "customer" if target == QBO else "contact"
    system_name = "QuickBooks" if target == QBO else "Less Annoying CRM"
    assert ADOPTED_UNANSWERED.format(noun, system_name) in entry.reason
    # Asking again creates nothing more.
    with pytest.raises(LedgerError):
        ledger_actions.create_counterpart(workspace, source, user=connected.user)
    assert len(made_in(connected, target)) == 1


@pytest.mark.parametrize("source_system", [LACRM, QBO], ids=["to_quickbooks", "to_lacrm"])
def test_an_unconfirmed_create_by_hand_is_adopted_by_the_next_sync(
    connected_workspace_empty, quick_retries, source_system
):
    connected = connected_workspace_empty
    workspace = connected.workspace
    source = make_source(connected, source_system)
    target = QBO if source_system == LACRM else LACRM
    lose_the_create(target)
    # The search that would settle it right away fails too (both tries).
    system, operation = TARGET_SEARCH[target]
    runtime.fail_calls(system, operation, runtime.Fault.SERVER_ERROR, [1, 2])

    with pytest.raises(LedgerError, match="did not confirm"):
        ledger_actions.create_counterpart(workspace, source, user=connected.user)
    # The outbox row was marked attempted before the call and stays: the record may exist.
    [row] = ContactLink.objects.filter(workspace=workspace)
    assert row.state == "creating" and row.attempted_at is not None
    assert len(made_in(connected, target)) == 1
    # Asking again does not send a second create.
    with pytest.raises(LedgerError):
        ledger_actions.create_counterpart(workspace, source, user=connected.user)
    assert len(made_in(connected, target)) == 1

    run = run_here(workspace)
    assert run.status == SyncRun.Status.COMPLETED, run.failure_reason
    [made] = made_in(connected, target)
    row.refresh_from_db()
    assert (row.state, getattr(row, f"{target}_id")) == ("linked", made.id)
    noun = "customer" if target == QBO else "contact"
    assert created_reasons(workspace, run) == [
        f"Created in {'QuickBooks' if target == QBO else 'Less Annoying CRM'}; "
        f"{ADOPTED_EARLIER.format(noun)}"
    ]
    qbo, lacrm = both_sides(workspace)
    assert len(qbo) == len(lacrm) == 1
