"""The demo and synthetic datasets: sizes, overlap and the real-world differences they contain."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest

from integrations.sandbox.demo_data import build_dataset, demo_dataset
from integrations.sandbox.qbo.faults import QboFault
from integrations.sandbox.qbo.names import validate
from sync.matching.normalize import normalize_email, normalize_name


def _qbo_by_display(data):
    return {c["DisplayName"]: c for c in data.qbo_customers}


def _lacrm_by_name(data):
    return {c.get("Name") or c["Company Name"]: c for c in data.lacrm_contacts}


def _emails(contact):
    return [e["Text"] for e in contact.get("Email", [])]


def _fold(text):
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if c.isalnum() or c == " ").lower()


def _first_last(display: str) -> str:
    """ "Brown, Nick" -> "Nick Brown"."""
    last, comma, first = display.partition(", ")
    return f"{first} {last}" if comma else display


def test_demo_dataset_sizes_and_qbo_shapes():
    data = demo_dataset()
    assert len(data.qbo_customers) == 60 and len(data.lacrm_contacts) == 51
    assert data == demo_dataset()  # deterministic
    names = [c["DisplayName"].lower() for c in data.qbo_customers]
    assert len(set(names)) == len(names)  # QBO DisplayNames are unique
    jobs = [c for c in data.qbo_customers if "_parent_index" in c]
    assert len(jobs) == 4
    for job in jobs:
        assert data.qbo_customers[job["_parent_index"]]["DisplayName"] in (
            "Evergreen Property Management",
            "Daniel Novak",
        )
    assert sorted(c["DisplayName"] for c in data.qbo_customers if c.get("Active") is False) == [
        "Jack Thornton",
        "Nora Quinn",
        "Old Town Pottery",
    ]
    companies = [c for c in data.lacrm_contacts if c["IsCompany"]]
    assert len(companies) == 7


def test_demo_dataset_overlap_cases_exist():
    data = demo_dataset()
    qbo, crm = _qbo_by_display(data), _lacrm_by_name(data)
    # 25 LACRM contacts are QBO customers: 22 people, found by folded name (plus Chris Taylor,
    # who only shares the name), and the 3 company pairs.
    qbo_names = {
        _fold(c.get("GivenName", "") + " " + c.get("FamilyName", "")).strip()
        for c in data.qbo_customers
    }
    person_overlap = [n for n, c in crm.items() if not c["IsCompany"] and _fold(n) in qbo_names]
    assert len(person_overlap) == 23 and "Chris Taylor" in person_overlap
    assert data.overlapping == 25

    # Email case and whitespace.
    assert qbo["Sarah Chen"]["PrimaryEmailAddr"]["Address"] != _emails(crm["Sarah Chen"])[0]
    assert qbo["Sarah Chen"]["PrimaryEmailAddr"]["Address"].lower() == _emails(crm["Sarah Chen"])[0]
    assert _emails(crm["Mike Donovan"])[0] != _emails(crm["Mike Donovan"])[0].strip()
    # "Brown, Nick" vs "Nick Brown", email on one side only.
    assert "PrimaryEmailAddr" not in qbo["Brown, Nick"] and _emails(crm["Nick Brown"])
    # Punctuation and accents.
    assert (
        "Patrick O'Brien" in qbo and "Patrick OBrien" in crm and not _emails(crm["Patrick OBrien"])
    )
    assert "José Álvarez" in qbo and "Jose Alvarez" in crm
    assert "Zoe Muller" in qbo and "Zoë Müller" in crm
    # Shared emails: a family and an accounts@ mailbox.
    shared = Counter(c.get("PrimaryEmailAddr", {}).get("Address") for c in data.qbo_customers)
    assert (
        shared["millerfamily@example.com"] == 2 and shared["accounts@lakesidehealth.example"] == 2
    )
    assert _emails(crm["Karen Miller"]) == ["millerfamily@example.com"]
    assert "Dan Miller" not in crm
    assert _emails(crm["Priya Shah"]) == ["accounts@lakesidehealth.example"]
    # Same name, different person.
    assert qbo["Chris Taylor"]["PrimaryEmailAddr"]["Address"] != _emails(crm["Chris Taylor"])[0]
    # Several emails on the LACRM side, the QBO one second.
    assert _emails(crm["Rachel Green"])[1] == qbo["Rachel Green"]["PrimaryEmailAddr"]["Address"]
    # Company name variants.
    assert "Harbor Freight Logistics, LLC" in qbo and crm["Harbor Freight Logistics"]["IsCompany"]
    assert "The Green Leaf Café" in qbo and "Green Leaf Cafe" in crm
    assert "Smith & Sons Hardware" in qbo and "Smith and Sons Hardware" in crm
    # No email on either side.
    assert "PrimaryEmailAddr" not in qbo["Grace Whitfield"] and not _emails(crm["Grace Whitfield"])


def test_demo_dataset_has_one_contact_quickbooks_refuses():
    data = demo_dataset()
    crm = _lacrm_by_name(data)
    frank = crm["Frank Delaney"]
    assert data.lacrm_contacts[-1] is frank  # loaded last: the other records keep their ids
    (email,) = _emails(frank)
    # LedgerLink cannot match on it, and no QBO customer has his name: he is created in QBO...
    assert normalize_email(email) == ""
    qbo_names = {normalize_name(c["DisplayName"]) for c in data.qbo_customers}
    assert normalize_name("Frank Delaney") not in qbo_names
    # ...which the sandbox QuickBooks refuses, as Intuit does, with a reason a user can act on.
    with pytest.raises(QboFault) as refused:
        validate("Customer", "Frank Delaney", {"PrimaryEmailAddr": {"Address": email}})
    assert refused.value.code == "2040" and "email" in refused.value.detail
    # Every other LACRM email passes the same rule.
    for contact in data.lacrm_contacts[:-1]:
        for address in _emails(contact):
            validate("Customer", "Someone", {"PrimaryEmailAddr": {"Address": address.strip()}})


def test_build_dataset_sizes_and_overlap_ratio():
    data = build_dataset(5000, 4000, 0.25, seed=7)
    assert len(data.qbo_customers) == 5000 and len(data.lacrm_contacts) == 4000
    assert data.overlapping == 1000
    assert data == build_dataset(5000, 4000, 0.25, seed=7)

    # Every overlapping LACRM contact shares its phone (the identity's) with one QBO customer.
    qbo_phones = Counter(
        c["PrimaryPhone"]["FreeFormNumber"] for c in data.qbo_customers if "PrimaryPhone" in c
    )
    crm_phones = [c["Phone"][0]["Text"] for c in data.lacrm_contacts]
    assert max(qbo_phones.values()) == 1 and len(set(crm_phones)) == len(crm_phones)
    assert sum(1 for p in crm_phones if p in qbo_phones) == 1000

    # Names never collide except for the overlapping pairs.
    qbo_names = {_fold(_first_last(c["DisplayName"])) for c in data.qbo_customers}
    crm_names = [_fold(c.get("Name") or c["Company Name"]) for c in data.lacrm_contacts]
    assert len(set(crm_names)) == len(crm_names)
    persons_shared = sum(1 for n in crm_names if n in qbo_names)
    assert 600 <= persons_shared <= 1000  # companies may differ by their legal suffix

    # The variations the matcher must catch are present.
    crm_emails = [e for c in data.lacrm_contacts for e in _emails(c)]
    assert any(e != e.strip() for e in crm_emails)
    assert any(e != e.lower() for e in crm_emails)
    assert any(", " in c["DisplayName"] for c in data.qbo_customers)
    assert sum(1 for c in data.qbo_customers if "_parent_index" in c) == 100
    assert sum(1 for c in data.qbo_customers if c.get("Active") is False) == 98


def test_build_dataset_keeps_names_unique_at_scale():
    data = build_dataset(30_000, 30_000, 0.5)
    assert len(data.qbo_customers) == len(data.lacrm_contacts) == 30_000
    assert data.overlapping == 15_000
    emails = [
        c["PrimaryEmailAddr"]["Address"] for c in data.qbo_customers if "PrimaryEmailAddr" in c
    ]
    assert len(set(emails)) == len(emails)
