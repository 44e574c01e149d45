"""The sandbox QBO Accounting API, driven by the real python-quickbooks over HTTP."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from quickbooks.batch import batch_create
from quickbooks.exceptions import QuickbooksException, ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from integrations.sandbox.models import SandboxCall
from integrations.sandbox.qbo.models import SandboxQboName
from integrations.sandbox.qbo.store import add_name, load_customers


def _customer(name: str, **fields) -> Customer:
    customer = Customer()
    customer.DisplayName = name
    for key, value in fields.items():
        setattr(customer, key, value)
    return customer


def _api(sandbox, tokens, path: str, *, method: str = "GET", **kwargs) -> requests.Response:
    """A raw call, for what the library hides (status codes, headers, exact bodies)."""
    url = f"{sandbox.qbo_api_base_url}/company/{tokens.realm_id}/{path}"
    headers = {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, url, headers=headers, timeout=30, **kwargs)


def test_create_returns_the_customer_with_id_synctoken_and_metadata(qbo, qbo_company):
    created = _customer("Amy's Bird Sanctuary", GivenName="Amy", FamilyName="Lauterbach").save(
        qb=qbo
    )
    assert created.Id.isdigit()
    assert created.SyncToken == "0"
    assert created.DisplayName == "Amy's Bird Sanctuary"
    assert created.GivenName == "Amy"
    assert created.MetaData["CreateTime"][-6:] in ("-08:00", "-07:00")
    # Empty strings the library sends for unset fields are not stored.
    assert "Title" not in created.to_dict() or created.Title == ""
    fetched = Customer.get(created.Id, qb=qbo)
    assert fetched.DisplayName == "Amy's Bird Sanctuary"
    row = SandboxQboName.objects.get(company=qbo_company, qbo_id=int(created.Id))
    assert "Title" not in row.data


def test_display_name_is_built_from_name_parts(qbo):
    customer = Customer()
    customer.Title = "Dr."
    customer.GivenName = "Nick"
    customer.FamilyName = "Brown"
    created = customer.save(qb=qbo)
    assert created.DisplayName == "Dr. Nick Brown"


def test_customer_without_any_name_is_rejected(qbo):
    customer = Customer()
    customer.CompanyName = "Nameless Ltd"
    with pytest.raises(ValidationException) as excinfo:
        customer.save(qb=qbo)
    assert excinfo.value.error_code == 2020


def test_over_long_field_is_rejected_naming_the_field(qbo):
    with pytest.raises(ValidationException) as excinfo:
        _customer("Long Name", GivenName="x" * 101).save(qb=qbo)
    assert excinfo.value.error_code == 2050
    assert "GivenName" in excinfo.value.detail
    assert "Invalid length" in excinfo.value.detail


def test_bad_email_is_rejected(qbo):
    customer = _customer("Bad Email")
    customer.PrimaryEmailAddr = {"Address": "not-an-email"}
    with pytest.raises(ValidationException) as excinfo:
        customer.save(qb=qbo)
    assert "PrimaryEmailAddr" in excinfo.value.detail


def test_duplicate_display_name_is_6240_with_the_existing_id(qbo):
    first = _customer("Nick Brown").save(qb=qbo)
    with pytest.raises(QuickbooksException) as excinfo:
        _customer("nick brown").save(qb=qbo)
    assert excinfo.value.error_code == 6240
    assert excinfo.value.message == "Duplicate Name Exists Error"
    assert excinfo.value.detail.endswith(f": Id={first.Id}")


def test_duplicate_of_a_vendor_or_employee_name_is_6240(qbo, qbo_company):
    vendor = add_name(qbo_company, "Vendor", "Office Supplies Co")
    employee = add_name(qbo_company, "Employee", "Emily Platt")
    for name, existing in (("Office Supplies Co", vendor), ("EMILY PLATT", employee)):
        with pytest.raises(QuickbooksException) as excinfo:
            _customer(name).save(qb=qbo)
        assert excinfo.value.error_code == 6240
        assert excinfo.value.detail.endswith(f"Id={existing.qbo_id}")


def test_duplicate_of_an_inactive_customer_is_6240(qbo, qbo_company):
    load_customers(qbo_company, [{"DisplayName": "Gone Fishing", "Active": False}])
    inactive = SandboxQboName.objects.get(company=qbo_company, display_name="Gone Fishing")
    assert Customer.filter(DisplayName="Gone Fishing", qb=qbo) == []
    with pytest.raises(QuickbooksException) as excinfo:
        _customer("Gone Fishing").save(qb=qbo)
    assert excinfo.value.error_code == 6240
    assert excinfo.value.detail.endswith(f"Id={inactive.qbo_id}")


def test_sparse_update_merges_and_bumps_the_sync_token(qbo):
    created = _customer("Sparse Co", GivenName="Sam", CompanyName="Sparse Co").save(qb=qbo)
    body = json.dumps(
        {"Id": created.Id, "SyncToken": created.SyncToken, "sparse": True, "FamilyName": "Smith"}
    )
    updated = qbo.update_object("Customer", body)["Customer"]
    assert updated["SyncToken"] == "1"
    assert updated["GivenName"] == "Sam" and updated["FamilyName"] == "Smith"
    assert updated["CompanyName"] == "Sparse Co"


def test_stale_sparse_update_is_5010(qbo):
    created = _customer("Stale Co").save(qb=qbo)
    body = {"Id": created.Id, "SyncToken": "0", "sparse": True, "Notes": "first"}
    qbo.update_object("Customer", json.dumps(body))
    with pytest.raises(QuickbooksException) as excinfo:
        qbo.update_object("Customer", json.dumps({**body, "Notes": "second"}))
    assert excinfo.value.error_code == 5010
    assert excinfo.value.message == "Stale Object Error"


def test_full_update_replaces_the_object(qbo):
    created = _customer("Full Co", GivenName="Fay", Notes="keep?").save(qb=qbo)
    fetched = Customer.get(created.Id, qb=qbo)
    fetched.Notes = ""
    fetched.FamilyName = "Fuller"
    saved = fetched.save(qb=qbo)
    assert saved.SyncToken == "1"
    assert saved.FamilyName == "Fuller"
    assert not getattr(saved, "Notes", "")
    # Re-saving the original object (old SyncToken) is the library's classic 5010.
    with pytest.raises(QuickbooksException) as excinfo:
        fetched.save(qb=qbo)
    assert excinfo.value.error_code == 5010


def test_sub_customer_gets_job_parent_level_and_full_name(qbo):
    parent = _customer("Kookies by Kathy").save(qb=qbo)
    job = _customer("Spring Party")
    job.ParentRef = {"value": parent.Id}
    saved = job.save(qb=qbo)
    assert saved.Job is True
    assert saved.ParentRef.value == parent.Id
    assert saved.Level == 1
    assert saved.FullyQualifiedName == "Kookies by Kathy:Spring Party"


def test_invoices_roll_into_balance_and_balance_with_jobs(qbo, sandbox, qbo_tokens):
    parent = _customer("Parent Co").save(qb=qbo)
    job = _customer("Parent Job")
    job.ParentRef = {"value": parent.Id}
    job = job.save(qb=qbo)
    for customer_id, amount in ((parent.Id, 100), (job.Id, 250.5)):
        response = _api(
            sandbox,
            qbo_tokens,
            "invoice",
            method="POST",
            json={
                "CustomerRef": {"value": customer_id},
                "Line": [
                    {
                        "Amount": amount,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                    }
                ],
                "DueDate": "2030-01-31",
                "DocNumber": f"D-{customer_id}",
            },
        )
        assert response.status_code == 200, response.text
        invoice = response.json()["Invoice"]
        assert invoice["Balance"] == amount and invoice["TotalAmt"] == amount
    parent = Customer.get(parent.Id, qb=qbo)
    assert parent.Balance == 100
    assert parent.BalanceWithJobs == 350.5
    assert Customer.get(job.Id, qb=qbo).Balance == 250.5


def test_duplicate_doc_number_is_6140(qbo, sandbox, qbo_tokens):
    customer = _customer("Doc Co").save(qb=qbo)
    body = {"CustomerRef": {"value": customer.Id}, "TotalAmt": 10, "DocNumber": "1001"}
    assert _api(sandbox, qbo_tokens, "invoice", method="POST", json=body).status_code == 200
    again = _api(sandbox, qbo_tokens, "invoice", method="POST", json=body)
    assert again.status_code == 400
    assert again.json()["Fault"]["Error"][0]["code"] == "6140"


def test_open_invoices_query_with_the_library(qbo, qbo_company):
    load_customers(
        qbo_company, [{"DisplayName": f"Customer {i}"} for i in range(12)], invoices_per_customer=3
    )
    open_invoices = Invoice.where(
        "Balance > '0'", order_by="Id", start_position=1, max_results=1000, qb=qbo
    )
    all_invoices = Invoice.where("", max_results=1000, qb=qbo)
    assert len(all_invoices) == 36
    assert 0 < len(open_invoices) < 36
    assert all(Decimal(str(inv.Balance)) > 0 for inv in open_invoices)
    assert [int(i.Id) for i in open_invoices] == sorted(int(i.Id) for i in open_invoices)
    partial = [i for i in open_invoices if 0 < i.Balance < i.TotalAmt]
    assert partial, "the mix includes partially paid invoices"
    first = open_invoices[0]
    assert first.CustomerRef.name.startswith("Customer ")
    by_customer = Invoice.where(f"CustomerRef = '{first.CustomerRef.value}'", qb=qbo)
    assert {i.CustomerRef.value for i in by_customer} == {first.CustomerRef.value}


def test_batch_create_of_thirty(qbo, qbo_company):
    result = batch_create([_customer(f"Batch Customer {i:02d}") for i in range(30)], qb=qbo)
    assert len(result.successes) == 30
    assert result.faults == []
    assert SandboxQboName.objects.filter(company=qbo_company).count() == 30
    call = SandboxCall.objects.get(system="qbo", operation="batch")
    assert call.status == 200 and call.items == 30


def test_batch_reports_a_per_item_fault_without_failing_the_rest(qbo):
    _customer("Taken Name").save(qb=qbo)
    result = batch_create([_customer("Fresh Name"), _customer("Taken Name")], qb=qbo)
    assert [c.DisplayName for c in result.successes] == ["Fresh Name"]
    assert len(result.faults) == 1
    error = result.faults[0].Error[0]
    assert error.code == "6240"
    assert result.faults[0].original_object.DisplayName == "Taken Name"


def test_batch_mixes_queries_and_updates(sandbox, qbo_tokens, qbo):
    created = _customer("Mixed Batch").save(qb=qbo)
    body = {
        "BatchItemRequest": [
            {"bId": "q1", "Query": "select * from Customer where DisplayName = 'Mixed Batch'"},
            {
                "bId": "u1",
                "operation": "update",
                "Customer": {"Id": created.Id, "SyncToken": "0", "sparse": True, "Notes": "hi"},
            },
            {
                "bId": "u2",
                "operation": "update",
                "Customer": {"Id": created.Id, "SyncToken": "0", "sparse": True, "Notes": "stale"},
            },
        ]
    }
    response = _api(sandbox, qbo_tokens, "batch", method="POST", json=body).json()
    items = {item["bId"]: item for item in response["BatchItemResponse"]}
    assert items["q1"]["QueryResponse"]["Customer"][0]["Id"] == created.Id
    assert items["u1"]["Customer"]["Notes"] == "hi"
    assert items["u2"]["Fault"]["Error"][0]["code"] == "5010"


def test_batch_over_thirty_items_is_rejected(sandbox, qbo_tokens):
    body = {
        "BatchItemRequest": [
            {"bId": str(i), "operation": "create", "Customer": {"DisplayName": f"Too many {i}"}}
            for i in range(31)
        ]
    }
    response = _api(sandbox, qbo_tokens, "batch", method="POST", json=body)
    assert response.status_code == 400
    assert "Fault" in response.json()
    assert SandboxQboName.objects.count() == 0


def test_same_requestid_twice_creates_one_customer(qbo, qbo_company):
    first = _customer("Idempotent Ida").save(qb=qbo, request_id="req-42")
    second = _customer("Idempotent Ida").save(qb=qbo, request_id="req-42")
    assert first.Id == second.Id
    assert SandboxQboName.objects.filter(company=qbo_company).count() == 1
    # A new requestid really executes (and hits the duplicate-name rule).
    with pytest.raises(QuickbooksException) as excinfo:
        _customer("Idempotent Ida").save(qb=qbo, request_id="req-43")
    assert excinfo.value.error_code == 6240


def test_requestid_replays_the_original_fault_too(sandbox, qbo_tokens, qbo):
    _customer("Replay Fault").save(qb=qbo)
    responses = [
        _api(
            sandbox,
            qbo_tokens,
            "customer?requestid=dup-1",
            method="POST",
            json={"DisplayName": "Replay Fault"},
        )
        for _ in range(2)
    ]
    assert [r.status_code for r in responses] == [400, 400]
    assert responses[0].text == responses[1].text


def test_get_and_post_query_forms_agree(sandbox, qbo_tokens, qbo):
    _customer("Query Form").save(qb=qbo)
    text = "SELECT * FROM Customer WHERE DisplayName = 'Query Form'"
    by_get = _api(sandbox, qbo_tokens, "query", params={"query": text, "minorversion": 75})
    by_post = _api(
        sandbox,
        qbo_tokens,
        "query?minorversion=75",
        method="POST",
        data=text,
        headers={"Content-Type": "application/text"},
    )
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.json()["QueryResponse"] == by_post.json()["QueryResponse"]
    assert by_get.json()["QueryResponse"]["startPosition"] == 1
    assert by_get.json()["QueryResponse"]["maxResults"] == 1


def test_companyinfo_gives_name_country_and_timezone(sandbox, qbo_tokens, qbo_company):
    response = _api(sandbox, qbo_tokens, f"companyinfo/{qbo_company.realm_id}")
    info = response.json()["CompanyInfo"]
    assert info["CompanyName"] == qbo_company.name
    assert info["Country"] == "US"
    assert info["DefaultTimeZone"] == "America/Los_Angeles"
    # The envelope's time carries the company's UTC offset, as at Intuit.
    assert response.json()["time"][-6:] in ("-08:00", "-07:00")


def test_every_call_is_recorded(qbo, qbo_company):
    _customer("Logged").save(qb=qbo)
    Customer.all(qb=qbo)
    operations = list(
        SandboxCall.objects.filter(system="qbo", account=qbo_company.realm_id)
        .order_by("at")
        .values_list("operation", "status", "items")
    )
    assert operations == [("POST customer", 200, 1), ("query Customer", 200, 1)]


def test_concurrent_retries_with_one_requestid_create_once(sandbox, qbo_tokens, qbo_company):
    """Two in-flight requests with the same requestid: the second waits and replays the first."""
    import threading

    from integrations.sandbox.models import SandboxKnobs

    SandboxKnobs.objects.filter(pk=1).update(latency_ms=300)
    answers: list[dict] = []

    def post() -> None:
        response = _api(
            sandbox,
            qbo_tokens,
            "customer?requestid=race-1",
            method="POST",
            json={"DisplayName": "Racing Rita"},
        )
        answers.append(response.json())

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a["Customer"]["Id"] for a in answers] == [answers[0]["Customer"]["Id"]] * 2
    assert SandboxQboName.objects.filter(company=qbo_company).count() == 1
