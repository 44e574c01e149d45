"""The LACRM client over HTTP against the sandbox: paging, creates, edits, notes, faults."""

from __future__ import annotations

import pytest

from integrations import registry
from integrations.errors import TransientError
from integrations.records import LACRM, QBO, Address, ContactRecord, Phone
from integrations.sandbox import runtime
from integrations.sandbox.lacrm.models import SandboxLacrmContact, SandboxLacrmNote
from integrations.sandbox.lacrm.store import load_contacts, set_allowed_types
from integrations.sandbox.models import SandboxCall, SandboxKnobs
from tests.integrations.test_mapping import comparable


def lacrm_calls(account, **filters) -> int:
    return SandboxCall.objects.filter(system="lacrm", account=account.uid, **filters).count()


def test_iter_contacts_pages_by_10000_oldest_first(connected_workspace_empty):
    ws = connected_workspace_empty
    rows = [{"Name": f"Person {i} Tester", "Email": f"p{i}@example.com"} for i in range(10050)]
    rows.append({"IsCompany": True, "Company Name": "Globex"})
    created = load_contacts(ws.lacrm_account, rows)
    client = registry.crm(ws.workspace)
    before = lacrm_calls(ws.lacrm_account, operation="GetContacts")
    records = list(client.iter_contacts())
    assert lacrm_calls(ws.lacrm_account, operation="GetContacts") - before == 2
    assert len(records) == created == 10051
    assert len({r.id for r in records}) == len(records)
    assert all(len(r.id) >= 30 and isinstance(r.id, str) for r in records)
    globex = next(r for r in records if r.company_name == "Globex" and r.is_company)
    assert globex.name == "Globex"


def test_create_get_search_edit_and_note(connected_workspace_empty):
    ws = connected_workspace_empty
    client = registry.crm(ws.workspace)
    record = ContactRecord(
        system=QBO,
        id="58",
        salutation="Dr.",
        first_name="Zoë",
        middle_name="Q.",
        last_name="D'Arcy-Ñúñez",
        suffix="Jr.",
        company_name="Café Crème & Co",
        emails=("zoe@example.com", "z.darcy@example.com"),
        phones=(Phone("555-0100", "work"), Phone("555-0101", "mobile"), Phone("555-0102", "fax")),
        websites=("https://cafe.example",),
        addresses=(Address(("1 Rue de la Paix", "Apt 2"), "Paris", "IDF", "75002", "France"),),
        notes="Line one\nLine two",
    )
    result = client.create_contact("k-1", record)
    assert result.ok and result.record.system == LACRM and len(result.record.id) >= 30
    fetched = client.get_contact(result.record.id)
    assert comparable(fetched) == comparable(record)
    row = SandboxLacrmContact.objects.get(uid=result.record.id)
    assert row.assigned_to == ws.lacrm_account.user_id

    [found] = [r for r in client.search_contacts("zoe@example.com") if not r.is_company]
    assert found.id == result.record.id

    client.edit_contact(result.record.id, {"first_name": "Zoé", "emails": ["new@example.com"]})
    edited = client.get_contact(result.record.id)
    assert edited.first_name == "Zoé" and edited.last_name == "D'Arcy-Ñúñez"
    assert edited.suffix == "Jr." and edited.emails == ("new@example.com",)
    assert edited.phones == fetched.phones  # untouched

    note_id = client.create_note(result.record.id, "Open: 2 invoices\nTotal: $1,250.00")
    note = SandboxLacrmNote.objects.get(uid=note_id)
    assert note.text == "Open: 2 invoices\nTotal: $1,250.00"


def test_company_record_when_there_is_no_person_name(connected_workspace_empty):
    ws = connected_workspace_empty
    client = registry.crm(ws.workspace)
    result = client.create_contact("co", ContactRecord(system=QBO, company_name="Initech"))
    fetched = client.get_contact(result.record.id)
    assert fetched.is_company and fetched.company_name == "Initech"


def test_rejected_type_is_retried_without_it_and_noted(connected_workspace_empty):
    ws = connected_workspace_empty
    set_allowed_types(ws.lacrm_account, email=["Personal"], phone=["Cell"])
    client = registry.crm(ws.workspace)
    result = client.create_contact(
        "typed",
        ContactRecord(
            system=QBO, first_name="Typed", emails=("t@example.com",), phones=(Phone("555"),)
        ),
    )
    assert result.ok, result.error
    assert any("type" in n for n in result.notes)
    row = SandboxLacrmContact.objects.get(uid=result.record.id)
    assert row.emails[0]["Type"] == "Personal" and row.phones[0]["Type"] == "Cell"


def test_create_is_not_retried_after_a_server_error(connected_workspace_empty):
    ws = connected_workspace_empty
    client = registry.crm(ws.workspace)
    SandboxKnobs.objects.filter(pk=1).update(fault_500_rate=1.0)
    with pytest.raises(TransientError):
        client.create_contact("once", ContactRecord(system=QBO, first_name="Once"))
    assert lacrm_calls(ws.lacrm_account, operation="CreateContact") == 1


def test_create_is_retried_after_a_throttle(connected_workspace_empty, settings):
    ws = connected_workspace_empty
    settings.INTEGRATION_RETRY_TRIES = 30
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.01
    settings.INTEGRATION_RETRY_CAP_SECONDS = 0.02
    client = registry.crm(ws.workspace)
    # A 429 means LACRM did not process the call, so even a create may be sent again.
    runtime.fail_calls("lacrm", "CreateContact", runtime.Fault.THROTTLE, [1, 2, 5])
    results = [
        client.create_contact(f"t{i}", ContactRecord(system=QBO, first_name=f"Throttled{i}"))
        for i in range(10)
    ]
    assert all(r.ok for r in results)
    assert (
        SandboxLacrmContact.objects.filter(
            account=ws.lacrm_account, first_name__startswith="Throttled"
        ).count()
        == 10
    )
    assert lacrm_calls(ws.lacrm_account, operation="CreateContact", status=429) == 3
    assert lacrm_calls(ws.lacrm_account, operation="CreateContact") == 13


def test_reads_ride_out_bursts_of_500s_and_429s(connected_workspace_empty, settings):
    ws = connected_workspace_empty
    settings.INTEGRATION_RETRY_TRIES = 12
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.01
    settings.INTEGRATION_RETRY_CAP_SECONDS = 0.05
    load_contacts(ws.lacrm_account, [{"Name": f"Reader {i}"} for i in range(50)])
    # The first read meets two 500s and a 429 in a row; two later reads meet one fault each.
    runtime.fail_calls("lacrm", "GetContacts", runtime.Fault.SERVER_ERROR, [1, 2, 6])
    runtime.fail_calls("lacrm", "GetContacts", runtime.Fault.THROTTLE, [3, 9])
    client = registry.crm(ws.workspace)
    counts = [len(list(client.iter_contacts())) for _ in range(8)]
    assert counts == [50] * 8
    assert lacrm_calls(ws.lacrm_account, operation="GetContacts", status=500) == 3
    assert lacrm_calls(ws.lacrm_account, operation="GetContacts", status=429) == 2
    assert lacrm_calls(ws.lacrm_account, operation="GetContacts") == 8 + 5
