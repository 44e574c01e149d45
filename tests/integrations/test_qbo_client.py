"""The QuickBooks client over HTTP against the sandbox: paging, batch creates, 6240, faults."""

from __future__ import annotations

import pytest

from integrations import registry
from integrations.errors import ValidationFailed
from integrations.records import LACRM, Address, ContactRecord, Phone
from integrations.sandbox import runtime
from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo.models import SandboxQboInvoice, SandboxQboName
from integrations.sandbox.qbo.store import add_name, load_customers


def customers(count: int, prefix: str = "Customer") -> list[dict]:
    return [
        {
            "GivenName": f"{prefix}{i}",
            "FamilyName": "Tester",
            "PrimaryEmailAddr": {"Address": f"{prefix.lower()}{i}@example.com"},
        }
        for i in range(count)
    ]


def qbo_calls(realm_id: str, **filters) -> int:
    return SandboxCall.objects.filter(system="qbo", account=realm_id, **filters).count()


def person(first: str, last: str = "Smith", **kwargs) -> ContactRecord:
    return ContactRecord(system=LACRM, first_name=first, last_name=last, **kwargs)


def test_iter_customers_pages_by_1000_and_marks_jobs(connected_workspace_empty):
    ws = connected_workspace_empty
    rows = customers(2345)
    rows.append({"DisplayName": "Kitchen remodel", "_parent_index": 0})
    rows.append({"DisplayName": "Old customer", "Active": False})
    load_customers(ws.qbo_company, rows, invoices_per_customer=0)
    client = registry.accounting(ws.workspace)

    before = qbo_calls(ws.realm_id)
    records = list(client.iter_customers())
    assert len(records) == 2346
    assert len({r.id for r in records}) == 2346
    assert qbo_calls(ws.realm_id) - before == 3  # 1000 + 1000 + 346
    job = next(r for r in records if r.display_name == "Kitchen remodel")
    parent = next(r for r in records if r.first_name == "Customer0")
    assert job.parent_id == parent.id
    assert all(r.name != "Old customer" for r in records)
    everyone = list(client.iter_customers(include_inactive=True))
    assert any(r.display_name == "Old customer" and not r.active for r in everyone)


def test_iter_open_invoices_returns_every_unpaid_invoice(connected_workspace_empty):
    ws = connected_workspace_empty
    load_customers(ws.qbo_company, customers(200), invoices_per_customer=8)
    client = registry.accounting(ws.workspace)
    invoices = list(client.iter_open_invoices())
    expected = SandboxQboInvoice.objects.filter(company=ws.qbo_company, balance__gt=0).count()
    assert expected > 1000  # more than one page
    assert len(invoices) == expected
    assert all(i.balance > 0 and i.customer_id for i in invoices)
    assert client.company_today() == ws.qbo_company.today()


def test_batch_create_of_20_is_one_batch_call(connected_workspace_empty):
    ws = connected_workspace_empty
    client = registry.accounting(ws.workspace)
    items = [
        (
            f"key-{i}",
            person(
                f"Zoë{i}",
                "O'Brien",
                company_name="Café Crème",
                emails=(f"z{i}@example.com",),
                phones=(Phone("555-0100", "work"), Phone("555-0101", "mobile")),
                addresses=(Address(("1 Main St", "Suite 2"), "Springfield", "IL", "62701"),),
            ),
        )
        for i in range(20)
    ]
    before = qbo_calls(ws.realm_id, operation__startswith="batch")
    results = client.create_customers(items)
    assert qbo_calls(ws.realm_id, operation__startswith="batch") - before == 1
    assert [r.key for r in results] == [k for k, _ in items]
    assert all(r.ok and r.record.id for r in results), [r.error for r in results]
    fetched = client.get_customer(results[3].record.id)
    assert fetched.first_name == "Zoë3" and fetched.last_name == "O'Brien"
    assert fetched.company_name == "Café Crème"
    assert fetched.phones == (Phone("555-0100", "work"), Phone("555-0101", "mobile"))
    assert fetched.addresses[0].lines == ("1 Main St", "Suite 2")


def test_resending_a_batch_returns_the_original_result(connected_workspace_empty):
    ws = connected_workspace_empty
    client = registry.accounting(ws.workspace)
    items = [(f"outbox-{i}", person(f"Replay{i}")) for i in range(5)]
    first = client.create_customers(items)
    again = registry.accounting(ws.workspace).create_customers(items)
    assert [r.record.id for r in again] == [r.record.id for r in first]
    assert (
        SandboxQboName.objects.filter(
            company=ws.qbo_company, display_name__startswith="Replay"
        ).count()
        == 5
    )


def test_name_collision_6240_gets_a_distinct_display_name(connected_workspace_empty):
    ws = connected_workspace_empty
    add_name(ws.qbo_company, "Vendor", "Jane Smith")
    add_name(ws.qbo_company, "Employee", "John Smith")
    add_name(ws.qbo_company, "Vendor", "John Smith (john@example.com)")
    add_name(ws.qbo_company, "Vendor", "Ann Lee")
    add_name(ws.qbo_company, "Customer", "Ann Lee (Lee Corp)")
    client = registry.accounting(ws.workspace)
    results = client.create_customers(
        [
            ("k1", person("Jane", company_name="Acme")),
            ("k2", person("John", emails=("john@example.com",))),
            ("k3", person("Ann", "Lee", company_name="Lee Corp", emails=("ann@example.com",))),
            ("k4", person("Fresh", "Name")),
        ]
    )
    names = [r.record.display_name for r in results]
    assert names == [
        "Jane Smith (Acme)",
        "John Smith 2",
        "Ann Lee (ann@example.com)",
        "Fresh Name",
    ]
    assert any('"Jane Smith" is already used' in n for n in results[0].notes)
    assert results[3].notes == []
    # Each retry was its own batch call with its own requestid.
    assert qbo_calls(ws.realm_id, operation__startswith="batch") >= 3


def test_per_item_validation_fault_does_not_sink_the_batch(connected_workspace_empty):
    ws = connected_workspace_empty
    client = registry.accounting(ws.workspace)
    results = client.create_customers(
        [
            ("good", person("Good")),
            ("bad", person("Bad", emails=("not-an-email",))),
            ("nameless", ContactRecord(system=LACRM)),
        ]
    )
    assert results[0].ok
    assert isinstance(results[1].error, ValidationFailed)
    assert str(results[1].error).startswith("QuickBooks rejected the email address")
    assert isinstance(results[2].error, ValidationFailed)
    assert not results[2].ok


def test_over_long_values_are_cut_and_noted(connected_workspace_empty):
    ws = connected_workspace_empty
    client = registry.accounting(ws.workspace)
    [result] = client.create_customers(
        [("long", person("A" * 150, company_name="C" * 130, notes="n" * 2500))]
    )
    assert result.ok, result.error
    assert len(result.record.first_name) == 100 and len(result.record.notes) == 2000
    assert any("first name" in n for n in result.notes)


def test_update_customer_is_sparse(connected_workspace_empty):
    ws = connected_workspace_empty
    client = registry.accounting(ws.workspace)
    [created] = client.create_customers(
        [("u1", person("Update", emails=("old@example.com",), notes="keep me"))]
    )
    updated = client.update_customer(
        created.record.id, {"emails": ("new@example.com",), "phones": [Phone("555", "mobile")]}
    )
    assert updated.emails == ("new@example.com",)
    assert updated.phones == (Phone("555", "mobile"),)
    assert updated.notes == "keep me" and updated.first_name == "Update"
    assert int(updated.sync_token) > int(created.record.sync_token)


@pytest.mark.parametrize(
    ("fault", "bad_status"), [(runtime.Fault.THROTTLE, 429), (runtime.Fault.SERVER_ERROR, 500)]
)
def test_throttling_and_server_errors_are_ridden_out(
    connected_workspace_empty, settings, fault, bad_status
):
    ws = connected_workspace_empty
    settings.INTEGRATION_RETRY_TRIES = 12
    settings.INTEGRATION_RETRY_BASE_SECONDS = 0.01
    settings.INTEGRATION_RETRY_CAP_SECONDS = 0.05
    load_customers(ws.qbo_company, customers(1500), invoices_per_customer=0)
    # Two failures in a row on the queries, and two batches failed once each.
    runtime.fail_calls("qbo", "query", fault, [1, 3, 4])
    runtime.fail_calls("qbo", "batch", fault, [2, 5])
    client = registry.accounting(ws.workspace)

    reads = [len(list(client.iter_customers())) for _ in range(5)]
    created = [
        client.create_customers([(f"burst-{b}-{i}", person(f"Burst{b}x{i}")) for i in range(20)])
        for b in range(5)
    ]
    assert reads == [1500] * 5
    assert all(r.ok for batch in created for r in batch)
    assert qbo_calls(ws.realm_id, status=bad_status) == 5
    # Two pages per read, five batches: each failed call was sent once more.
    assert qbo_calls(ws.realm_id, operation="query Customer", status=200) == 10
    assert qbo_calls(ws.realm_id, operation="batch") == 5 + 2
    assert (
        SandboxQboName.objects.filter(
            company=ws.qbo_company, display_name__startswith="Burst"
        ).count()
        == 100
    )
