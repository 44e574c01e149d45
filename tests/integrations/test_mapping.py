"""QBO Customer ⇄ neutral ⇄ LACRM contact mapping: examples and round-trip properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.lacrm import mapping as lacrm_mapping
from integrations.quickbooks import mapping as qbo_mapping
from integrations.records import LACRM, QBO, Address, ContactRecord, Phone

# --- helpers: what each provider gives back for what we send ------------------------------------


def lacrm_echo(params: dict, contact_id: str = "3" + "0" * 30) -> dict:
    """A contact as LACRM's GetContact returns it after CreateContact with ``params``."""
    name = params.get("Name") or {}
    if isinstance(name, str):
        name = {"FirstName": name}
    return {
        "ContactId": contact_id,
        "IsCompany": params["IsCompany"],
        "AssignedTo": params["AssignedTo"],
        "Name": {k: name.get(k, "") for k in lacrm_mapping.NAME_KEYS},
        "Email": [
            {"Text": e["Text"], "Type": e.get("Type", "Work"), "TypeId": "1"}
            for e in params.get("Email", [])
        ],
        "Phone": [
            {"Text": p["Text"], "Type": p.get("Type", "Work"), "TypeId": "1"}
            for p in params.get("Phone", [])
        ],
        "Website": [{"Text": w["Text"], "Type": "Work"} for w in params.get("Website", [])],
        "Address": params.get("Address", []),
        "Company Name": params.get("Company Name", ""),
        "Job Title": params.get("Job Title", ""),
        "Background Info": params.get("Background Info", ""),
        "LastUpdate": "2025-01-31T09:00:00-06:00",
    }


def qbo_echo(payload: dict, customer_id: str = "58") -> dict:
    """A Customer as QBO returns it after a create with ``payload``."""
    return {"Id": customer_id, "SyncToken": "0", "Active": True, **payload}


def comparable(record: ContactRecord) -> dict:
    """The fields both systems can hold."""
    person = not record.is_company
    return {
        "is_company": record.is_company,
        "salutation": record.salutation if person else "",
        "first_name": record.first_name,
        "middle_name": record.middle_name,
        "last_name": record.last_name,
        "suffix": record.suffix if person else "",
        "company_name": record.company_name,
        "emails": record.emails,
        # QBO keeps phones in fixed slots and addresses as billing/shipping: order is not data.
        "phones": sorted(record.phones, key=lambda p: (p.kind, p.number)),
        "websites": record.websites,
        "addresses": sorted(record.addresses, key=lambda a: (a.kind, a.lines)),
        "notes": record.notes,
    }


# --- examples -----------------------------------------------------------------------------------


def test_qbo_person_with_everything_maps_to_neutral():
    record = qbo_mapping.customer_to_record(
        {
            "Id": "58",
            "SyncToken": "3",
            "DisplayName": "Dr. Jane Q. O'Brien Jr.",
            "Title": "Dr.",
            "GivenName": "Jane",
            "MiddleName": "Q.",
            "FamilyName": "O'Brien",
            "Suffix": "Jr.",
            "CompanyName": "Acme Widgets LLC",
            "PrimaryEmailAddr": {"Address": "jane@acme.example, billing@acme.example"},
            "PrimaryPhone": {"FreeFormNumber": "(555) 010-2000"},
            "Mobile": {"FreeFormNumber": "555 010 3000"},
            "AlternatePhone": {"FreeFormNumber": "555-0100"},
            "Fax": {"FreeFormNumber": "555-0199"},
            "WebAddr": {"URI": "https://acme.example"},
            "BillAddr": {
                "Line1": "100 Main St",
                "Line2": "Suite 5",
                "City": "Springfield",
                "CountrySubDivisionCode": "IL",
                "PostalCode": "62701",
                "Country": "USA",
            },
            "Notes": "Prefers email.\nPays late.",
            "Active": True,
            "MetaData": {"LastUpdatedTime": "2025-01-02T10:00:00-08:00"},
        }
    )
    assert record.system == QBO and record.id == "58" and record.sync_token == "3"
    assert not record.is_company
    assert (
        record.salutation,
        record.first_name,
        record.middle_name,
        record.last_name,
        record.suffix,
    ) == ("Dr.", "Jane", "Q.", "O'Brien", "Jr.")
    assert record.company_name == "Acme Widgets LLC"
    assert record.emails == ("jane@acme.example", "billing@acme.example")
    assert record.phones == (
        Phone("(555) 010-2000", "work"),
        Phone("555 010 3000", "mobile"),
        Phone("555-0100", "other"),
        Phone("555-0199", "fax"),
    )
    assert record.addresses == (
        Address(("100 Main St", "Suite 5"), "Springfield", "IL", "62701", "USA", "billing"),
    )
    assert record.notes == "Prefers email.\nPays late."
    assert record.updated_at is not None


def test_qbo_customer_without_person_name_is_a_company_named_by_display_name():
    record = qbo_mapping.customer_to_record({"Id": "7", "DisplayName": "Globex"})
    assert record.is_company
    assert record.company_name == "Globex"
    assert record.name == "Globex"


def test_qbo_job_has_parent_id():
    record = qbo_mapping.customer_to_record(
        {"Id": "9", "DisplayName": "Kitchen", "Job": True, "ParentRef": {"value": "7"}}
    )
    assert record.parent_id == "7"


def test_create_payload_cuts_over_long_values_and_says_so():
    record = ContactRecord(
        system=LACRM,
        first_name="A" * 150,
        last_name="Smith",
        salutation="The Right Honourable",
        company_name="C" * 120,
        emails=("a@example.com", "b@example.com"),
        phones=(Phone("1" * 40, "work"), Phone("2", "work"), Phone("3", "work")),
        notes="n" * 2500,
        job_title="Controller",
    )
    payload, notes = qbo_mapping.record_to_customer(record)
    assert len(payload["GivenName"]) == 100
    assert len(payload["Title"]) <= 16
    assert len(payload["CompanyName"]) == 100
    assert len(payload["Notes"]) == 2000
    assert len(payload["PrimaryPhone"]["FreeFormNumber"]) == 30
    assert payload["AlternatePhone"]["FreeFormNumber"] == "2"
    assert payload["PrimaryEmailAddr"] == {"Address": "a@example.com"}
    joined = " ".join(notes)
    assert "first name" in joined and "company name" in joined and "notes" in joined
    assert "b@example.com" in joined  # the email QBO can't hold is named in the notes
    assert "not copied: 3" in joined  # the third work phone has no slot left
    assert "job title" in joined
    assert len(payload["DisplayName"]) <= 500


def test_display_name_candidates_are_deterministic_and_distinct():
    record = ContactRecord(
        system=LACRM,
        first_name="Jane",
        last_name="Smith",
        company_name="Acme: West",
        emails=("jane@acme.example",),
    )
    names = qbo_mapping.display_name_candidates(record)
    assert names[:4] == [
        "Jane Smith",
        "Jane Smith (Acme - West)",
        "Jane Smith (jane@acme.example)",
        "Jane Smith 2",
    ]
    assert names == qbo_mapping.display_name_candidates(record)
    assert len({n.casefold() for n in names}) == len(names)
    assert all(":" not in n for n in names)


def test_contact_without_any_name_uses_email_as_display_name():
    record = ContactRecord(system=LACRM, emails=("solo@example.com",))
    assert qbo_mapping.display_name_candidates(record)[0] == "solo@example.com"
    assert qbo_mapping.display_name_candidates(ContactRecord(system=LACRM)) == []


def test_lacrm_person_and_company_create_params():
    person = ContactRecord(
        system=QBO,
        salutation="Ms.",
        first_name="Zoë",
        last_name="D'Arcy",
        company_name="Café Crème",
        emails=("zoe@example.com",),
        phones=(Phone("555", "mobile"),),
        addresses=(Address(("1 Rue", "Apt 2"), "Paris"),),
        notes="VIP",
        job_title="Owner",
    )
    params = lacrm_mapping.record_to_create_params(person, 42)
    assert params["IsCompany"] is False and params["AssignedTo"] == 42
    assert params["Name"] == {"Salutation": "Ms.", "FirstName": "Zoë", "LastName": "D'Arcy"}
    assert params["Company Name"] == "Café Crème"
    assert params["Email"] == [{"Text": "zoe@example.com", "Type": "Work"}]
    assert params["Phone"] == [{"Text": "555", "Type": "Mobile"}]
    assert params["Address"][0]["Street"] == "1 Rue\nApt 2"
    assert params["Background Info"] == "VIP" and params["Job Title"] == "Owner"
    company = lacrm_mapping.record_to_create_params(
        ContactRecord(system=QBO, is_company=True, company_name="Globex"), 42
    )
    assert company["IsCompany"] is True and company["Company Name"] == "Globex"
    assert "Name" not in company
    assert "Type" not in str(lacrm_mapping.strip_types(params)["Email"])


def test_edit_params_fill_name_parts_from_current_record():
    current = ContactRecord(system=LACRM, first_name="Nick", last_name="Brown", suffix="Jr.")
    params = lacrm_mapping.changes_to_edit_params({"first_name": "Nicholas"}, current)
    assert params == {
        "Name": {
            "Salutation": "",
            "FirstName": "Nicholas",
            "MiddleName": "",
            "LastName": "Brown",
            "Suffix": "Jr.",
        }
    }
    params = lacrm_mapping.changes_to_edit_params(
        {"emails": ["a@example.com"], "notes": "", "Custom Field": "x"}
    )
    assert params == {
        "Email": [{"Text": "a@example.com", "Type": "Work"}],
        "Background Info": None,
        "Custom Field": "x",
    }


def test_sparse_changes_map_neutral_names_to_qbo_fields():
    sparse, notes = qbo_mapping.changes_to_sparse(
        {
            "emails": ("new@example.com",),
            "phones": [{"number": "555", "kind": "mobile"}],
            "middle_name": "",
        }
    )
    assert sparse == {
        "PrimaryEmailAddr": {"Address": "new@example.com"},
        "Mobile": {"FreeFormNumber": "555"},
        "MiddleName": "",
    }
    assert notes == []


def test_invoice_mapping():
    invoice = qbo_mapping.invoice_to_record(
        {
            "Id": "130",
            "DocNumber": "1037",
            "TxnDate": "2025-01-02",
            "DueDate": "2025-02-01",
            "TotalAmt": 1250.5,
            "Balance": 250,
            "CustomerRef": {"value": "58", "name": "Jane"},
            "CurrencyRef": {"value": "CAD"},
        }
    )
    assert invoice.customer_id == "58" and invoice.doc_number == "1037"
    assert str(invoice.total) == "1250.5" and str(invoice.balance) == "250"
    assert invoice.currency == "CAD" and invoice.due_date.isoformat() == "2025-02-01"


# --- properties ---------------------------------------------------------------------------------

WORD = (
    st.text(
        alphabet=st.characters(
            whitelist_categories=("Lu", "Ll", "Lo", "Nd"), whitelist_characters="'-.&é ñüØ中"
        ),
        min_size=1,
        max_size=20,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
EMAIL = st.from_regex(r"[a-z0-9._']{1,12}@[a-z0-9-]{1,10}\.[a-z]{2,4}", fullmatch=True)
PHONE = (
    st.from_regex(r"\+?[0-9 ()-]{3,20}", fullmatch=True)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@st.composite
def qbo_customers(draw) -> dict:
    data: dict = {"Id": str(draw(st.integers(1, 10**6))), "SyncToken": "0", "Active": True}
    person = draw(st.booleans())
    if person:
        data["GivenName"] = draw(WORD)
        for key in ("MiddleName", "FamilyName"):
            if draw(st.booleans()):
                data[key] = draw(WORD)
        for key in ("Title", "Suffix"):
            if draw(st.booleans()):
                data[key] = draw(WORD.map(lambda s: s[:16].strip()).filter(bool))
    company = draw(st.none() | WORD)
    if company:
        data["CompanyName"] = company
    data["DisplayName"] = draw(WORD)
    if draw(st.booleans()):
        data["PrimaryEmailAddr"] = {"Address": draw(EMAIL)}
    for slot in ("PrimaryPhone", "Mobile", "AlternatePhone", "Fax"):
        if draw(st.booleans()):
            data[slot] = {"FreeFormNumber": draw(PHONE)[:30].strip() or "5"}
    if draw(st.booleans()):
        data["WebAddr"] = {
            "URI": "https://" + draw(st.from_regex(r"[a-z]{1,10}\.example", fullmatch=True))
        }
    for slot in ("BillAddr", "ShipAddr"):
        if draw(st.booleans()):
            lines = draw(st.lists(WORD, min_size=1, max_size=5))
            address = {f"Line{i}": line for i, line in enumerate(lines, start=1)}
            address.update(
                {"City": draw(WORD), "PostalCode": draw(st.from_regex(r"[0-9]{5}", fullmatch=True))}
            )
            data[slot] = address
    if draw(st.booleans()):
        data["Notes"] = draw(st.text(min_size=1, max_size=200)).strip() or "note"
    return data


@settings(max_examples=300)
@given(qbo_customers())
def test_qbo_to_lacrm_and_back_keeps_every_shared_field(customer):
    first = qbo_mapping.customer_to_record(customer)
    params = lacrm_mapping.record_to_create_params(first, 7)
    second = lacrm_mapping.contact_to_record(lacrm_echo(params))
    assert comparable(second) == comparable(first)


@st.composite
def lacrm_records(draw) -> ContactRecord:
    person = draw(st.booleans())
    return ContactRecord(
        system=LACRM,
        is_company=not person,
        first_name=draw(WORD) if person else "",
        last_name=draw(WORD) if person and draw(st.booleans()) else "",
        salutation=draw(WORD.map(lambda s: s[:16].strip()).filter(bool))
        if person and draw(st.booleans())
        else "",
        company_name=draw(WORD) if (not person or draw(st.booleans())) else "",
        emails=tuple(draw(st.lists(EMAIL, max_size=1, unique=True))),
        phones=tuple(
            Phone(draw(PHONE)[:30].strip() or "5", kind)
            for kind in draw(st.lists(st.sampled_from(["work", "mobile", "fax"]), unique=True))
        ),
        notes=draw(st.text(max_size=200)).strip(),
    )


@settings(max_examples=300)
@given(lacrm_records())
def test_lacrm_to_qbo_and_back_keeps_every_shared_field(record):
    payload, notes = qbo_mapping.record_to_customer(record)
    back = qbo_mapping.customer_to_record(qbo_echo(payload))
    assert comparable(back) == comparable(record)
    assert notes == []


@settings(max_examples=200)
@given(st.text(max_size=700), st.text(max_size=700), st.text(max_size=3000))
def test_create_payload_always_fits_qbo_limits(first, company, notes_text):
    record = ContactRecord(system=LACRM, first_name=first, company_name=company, notes=notes_text)
    payload, _ = qbo_mapping.record_to_customer(record)
    for key, limit in (
        ("GivenName", 100),
        ("CompanyName", 100),
        ("Notes", 2000),
        ("DisplayName", 500),
    ):
        assert len(payload.get(key, "")) <= limit
    assert not any(ch in payload.get("DisplayName", "") for ch in ":\t\n")
    for name in qbo_mapping.display_name_candidates(record):
        assert 0 < len(name) <= 500 and ":" not in name
