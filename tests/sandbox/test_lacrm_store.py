"""The sandbox LACRM's store: name parsing, bulk loading, keys and type options."""

from __future__ import annotations

import pytest

from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.lacrm.names import parse_full_name
from integrations.sandbox.lacrm.store import (
    account_for_key,
    clear_account,
    create_account,
    load_contacts,
    regenerate_key,
    set_allowed_types,
)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Dr. Jane Q. Smith Jr.", ("Dr.", "Jane", "Q.", "Smith", "Jr.")),
        ("Nick Brown", ("", "Nick", "", "Brown", "")),
        ("Brown, Nick", ("", "Nick", "", "Brown", "")),
        ("Smith, Jane, CPA", ("", "Jane", "", "Smith", "CPA")),
        ("Jane Smith, Jr.", ("", "Jane", "", "Smith", "Jr.")),
        ("José María de la Cruz", ("", "José", "María", "de la Cruz", "")),
        ("Cher", ("", "Cher", "", "", "")),
        ("  Mary   Ann  Collins ", ("", "Mary", "Ann", "Collins", "")),
        ("Claire St John", ("", "Claire", "", "St John", "")),
        ("", ("", "", "", "", "")),
    ],
)
def test_full_names_split_into_lacrm_parts(text, parts):
    name = parse_full_name(text)
    assert (
        tuple(name[k] for k in ("Salutation", "FirstName", "MiddleName", "LastName", "Suffix"))
        == parts
    )


def test_keys_look_like_lacrm_keys_and_are_stored_hashed(db):
    account, key = create_account(seed_demo=False)
    first, middle, last = key.split("-")
    assert first.isdigit() and middle.isdigit() and len(middle) == 31
    assert len(last) == 40 and last.isalnum()
    assert key not in (account.api_key_hash or "") and len(account.api_key_hash) == 64
    assert account_for_key(key) == account
    new_key = regenerate_key(account)
    assert account_for_key(key) is None and account_for_key(new_key) == account


def test_load_contacts_creates_people_and_their_companies(db):
    account, _ = create_account(seed_demo=False)
    created = load_contacts(
        account,
        [
            {"IsCompany": True, "Company Name": "Acme"},
            {"Name": "Pat Doe", "Company Name": "acme", "Email": "pat@acme.example"},
            {
                "Name": "Lee Roe",
                "Company Name": "Globex",
                "Phone": [{"Text": "1", "Type": "Mobile"}],
            },
            {"Name": "Kim Poe", "Company Name": "Globex"},
        ],
    )
    assert created == 5  # Globex was created once, for Lee and Kim
    pat = SandboxLacrmContact.objects.get(first_name="Pat")
    assert pat.company.company_name == "Acme" and pat.company_name == "Acme"
    assert pat.emails == [{"Text": "pat@acme.example", "Type": "Work", "TypeId": "1"}]
    assert "|pat@acme.example|" in pat.search_text
    kim = SandboxLacrmContact.objects.get(first_name="Kim")
    assert kim.company == SandboxLacrmContact.objects.get(
        company_name_lower="globex", is_company=True
    )
    # People come after companies, in list order.
    people = SandboxLacrmContact.objects.filter(is_company=False).order_by("created_at")
    assert [p.first_name for p in people] == ["Pat", "Lee", "Kim"]


def test_load_contacts_refuses_what_create_contact_refuses(db):
    account, _ = create_account(seed_demo=False)
    set_allowed_types(account, email=["Personal"])
    with pytest.raises(ValueError, match="Contact 1: .*not a valid Email type"):
        load_contacts(
            account,
            [
                {"Name": "Ok Person"},
                {"Name": "Bad Type", "Email": [{"Text": "a@b.c", "Type": "Work"}]},
            ],
        )
    with pytest.raises(ValueError, match="exists"):
        load_contacts(account, [{"IsCompany": True, "Company Name": "X"}] * 2)
    assert not SandboxLacrmContact.objects.exists()


def test_clear_account_empties_only_that_account(db):
    account, _ = create_account(seed_demo=True)
    other, _ = create_account(seed_demo=True)
    clear_account(account)
    assert not account.contacts.exists() and other.contacts.count() == 59
