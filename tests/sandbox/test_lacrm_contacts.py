"""The sandbox LACRM contact functions over real HTTP: create, read, search, edit, delete."""

from __future__ import annotations

import pytest

from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.lacrm.store import load_contacts, set_allowed_types


def test_get_user_returns_the_key_owner(lacrm_sandbox):
    user = lacrm_sandbox.ok("GetUser")
    assert user["UserId"] == lacrm_sandbox.account.user_id
    assert set(user) == {"UserId", "FirstName", "LastName", "Email", "Timezone"}
    users = lacrm_sandbox.ok("GetUsers")
    assert isinstance(users, list) and users[0]["UserId"] == user["UserId"]
    assert "Email" not in users[0]


def test_create_person_accepts_every_field_shape_and_reads_back(lacrm_sandbox):
    contact_id = lacrm_sandbox.create_person(
        "Dr. Jane Q. Smith Jr.",
        **{
            "Company Name": "Acme Widgets LLC",
            "Job Title": "Controller",
            "Email": [{"Text": "jane@acme.example", "Type": "Work"}, "jane@home.example"],
            "Phone": "+1 555-010-2000",
            "Website": ["https://acme.example"],
            "Address": [
                {
                    "Street": "100 Main St\nSuite 5",
                    "City": "Springfield",
                    "State": "IL",
                    "Zip": "62701",
                    "Country": "United States",
                    "Type": "Work",
                }
            ],  # fmt: skip
            "Background Info": "Synced from QuickBooks",
            "Birthday": "0000-4-12",
        },
    )
    assert isinstance(contact_id, str) and len(contact_id) >= 30 and contact_id.isdigit()

    contact = lacrm_sandbox.ok("GetContact", {"ContactId": contact_id})
    assert contact["Name"] == {
        "Salutation": "Dr.",
        "FirstName": "Jane",
        "MiddleName": "Q.",
        "LastName": "Smith",
        "Suffix": "Jr.",
    }
    assert [(e["Text"], e["Type"]) for e in contact["Email"]] == [
        ("jane@acme.example", "Work"),
        ("jane@home.example", "Work"),  # a blank Type becomes the account's first option
    ]
    assert contact["Phone"][0]["Text"] == "+1 555-010-2000"
    assert contact["Website"][0]["Text"] == "https://acme.example"
    assert contact["Address"][0]["Street"] == "100 Main St\nSuite 5"
    assert contact["Job Title"] == "Controller"
    assert contact["Birthday"] == "0000-4-12"
    assert contact["IsCompany"] is False
    assert contact["AssignedTo"] == lacrm_sandbox.user_id
    # The company was created by LACRM and linked.
    assert contact["Company Name"] == "Acme Widgets LLC"
    company = lacrm_sandbox.ok("GetContact", {"ContactId": contact["CompanyId"]})
    assert company["IsCompany"] is True and company["Company Name"] == "Acme Widgets LLC"
    assert contact["CompanyMetaData"]["CompanyName"] == "Acme Widgets LLC"
    assert "T" in contact["DateCreated"] and contact["DateCreated"][-6] in "+-"


def test_person_links_to_an_existing_company_case_insensitively(lacrm_sandbox):
    company_id = lacrm_sandbox.ok(
        "CreateContact",
        {"IsCompany": True, "AssignedTo": lacrm_sandbox.user_id, "Company Name": "Acme Widgets"},
    )["ContactId"]
    person_id = lacrm_sandbox.create_person("Pat Doe", **{"Company Name": "ACME widgets"})
    person = lacrm_sandbox.ok("GetContact", {"ContactId": person_id})
    assert person["CompanyId"] == company_id
    assert SandboxLacrmContact.objects.filter(is_company=True).count() == 1


def test_company_names_are_unique_per_account(lacrm_sandbox):
    params = {"IsCompany": True, "AssignedTo": lacrm_sandbox.user_id, "Company Name": "Acme"}
    lacrm_sandbox.ok("CreateContact", params)
    response = lacrm_sandbox.call("CreateContact", {**params, "Company Name": "acme"})
    assert response.status_code == 400
    assert "already exists" in response.json()["ErrorDescription"]
    # "Name" is accepted for a company record too, and checked the same way.
    by_name = {"IsCompany": True, "AssignedTo": lacrm_sandbox.user_id, "Name": "Globex"}
    lacrm_sandbox.ok("CreateContact", by_name)
    assert lacrm_sandbox.call("CreateContact", {**by_name, "Name": "GLOBEX"}).status_code == 400
    assert SandboxLacrmContact.objects.filter(is_company=True).count() == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"Name": "No Flag", "AssignedTo": None}, '"IsCompany"'),
        ({"IsCompany": False, "Name": "No Owner"}, '"AssignedTo"'),
        ({"IsCompany": False, "AssignedTo": 1, "Name": "Wrong Owner"}, "not a user"),
        ({"IsCompany": False, "AssignedTo": "me"}, '"Name"'),
        ({"IsCompany": True, "AssignedTo": "me"}, "Company Name"),
        ({"IsCompany": False, "AssignedTo": "me", "Name": "A B", "Favourite": 1}, "Favourite"),
        ({"IsCompany": False, "AssignedTo": "me", "Name": "A B", "Birthday": "12/04"}, "Birthday"),
    ],
)
def test_create_contact_refuses_what_lacrm_refuses(lacrm_sandbox, params, message):
    params = {k: (lacrm_sandbox.user_id if v == "me" else v) for k, v in params.items()}
    params = {k: v for k, v in params.items() if v is not None}
    response = lacrm_sandbox.call("CreateContact", params)
    assert response.status_code == 400
    body = response.json()
    assert message in body["ErrorDescription"] and body["ErrorCode"]


def test_email_and_phone_types_must_be_account_options(lacrm_sandbox):
    set_allowed_types(lacrm_sandbox.account, email=["Personal", "Other"], phone=["Mobile"])
    base = {"IsCompany": False, "AssignedTo": lacrm_sandbox.user_id, "Name": "Kim Lee"}
    response = lacrm_sandbox.call(
        "CreateContact", {**base, "Email": [{"Text": "kim@example.com", "Type": "Work"}]}
    )
    assert response.status_code == 400
    assert '"Work" is not a valid Email type' in response.json()["ErrorDescription"]
    response = lacrm_sandbox.call(
        "CreateContact", {**base, "Phone": [{"Text": "1", "Type": "Fax"}]}
    )
    assert response.status_code == 400 and "Phone type" in response.json()["ErrorDescription"]
    assert not SandboxLacrmContact.objects.exists()

    # Without a Type the account's first option is used.
    contact_id = lacrm_sandbox.ok(
        "CreateContact", {**base, "Email": [{"Text": "kim@example.com"}], "Phone": ["555"]}
    )["ContactId"]
    contact = lacrm_sandbox.ok("GetContact", {"ContactId": contact_id})
    assert contact["Email"][0]["Type"] == "Personal"
    assert contact["Phone"][0]["Type"] == "Mobile"


def test_edit_contact_keeps_omitted_clears_null_and_replaces_lists(lacrm_sandbox):
    contact_id = lacrm_sandbox.create_person(
        "Ann Lee",
        Email=["ann@one.example", "ann@two.example"],
        Phone="555-0100",
        **{"Job Title": "Owner", "Company Name": "Lee Co", "Background Info": "Keep me"},
    )
    response = lacrm_sandbox.call(
        "EditContact",
        {
            "ContactId": contact_id,
            "Email": [{"Text": "ann@three.example", "Type": "Personal"}],
            "Job Title": None,
            "Company Name": None,
        },
    )
    assert response.status_code == 200 and response.content == b""
    contact = lacrm_sandbox.ok("GetContact", {"ContactId": contact_id})
    assert [e["Text"] for e in contact["Email"]] == ["ann@three.example"]
    assert contact["Job Title"] == ""
    assert contact["Company Name"] == "" and contact["CompanyId"] is None
    assert contact["Phone"][0]["Text"] == "555-0100"
    assert contact["Background Info"] == "Keep me"
    assert contact["Name"]["FirstName"] == "Ann"
    assert contact["LastUpdate"] >= contact["DateCreated"]

    lacrm_sandbox.ok("EditContact", {"ContactId": contact_id, "Name": "Ann B. Lee-Smith"})
    contact = lacrm_sandbox.ok("GetContact", {"ContactId": contact_id})
    assert (contact["Name"]["MiddleName"], contact["Name"]["LastName"]) == ("B.", "Lee-Smith")


def test_renaming_a_company_keeps_names_unique_and_relabels_its_people(lacrm_sandbox):
    person_id = lacrm_sandbox.create_person("Sam Roe", **{"Company Name": "Old Name"})
    lacrm_sandbox.ok(
        "CreateContact",
        {"IsCompany": True, "AssignedTo": lacrm_sandbox.user_id, "Company Name": "Taken"},
    )
    company_id = lacrm_sandbox.ok("GetContact", {"ContactId": person_id})["CompanyId"]
    response = lacrm_sandbox.call("EditContact", {"ContactId": company_id, "Company Name": "taken"})
    assert response.status_code == 400
    lacrm_sandbox.ok("EditContact", {"ContactId": company_id, "Company Name": "New Name"})
    assert lacrm_sandbox.ok("GetContact", {"ContactId": person_id})["Company Name"] == "New Name"


def test_delete_contact_removes_it(lacrm_sandbox):
    contact_id = lacrm_sandbox.create_person("Gone Soon")
    lacrm_sandbox.ok("DeleteContact", {"ContactId": contact_id})
    response = lacrm_sandbox.call("GetContact", {"ContactId": contact_id})
    assert response.status_code == 400
    assert "No contact" in response.json()["ErrorDescription"]


def test_get_contacts_searches_filters_and_sorts(lacrm_sandbox):
    ids = {
        name: lacrm_sandbox.create_person(name, Email=email, Phone=phone)
        for name, email, phone in [
            ("Nick Brown", "nick@brownco.example", "(773) 555-0114"),
            ("Anna Brownlee", "anna@example.com", ""),
            ("Zed Adams", "zed@brownco.example", ""),
        ]
    }
    lacrm_sandbox.ok(
        "CreateContact",
        {"IsCompany": True, "AssignedTo": lacrm_sandbox.user_id, "Company Name": "Brown Co"},
    )

    def names(params):
        data = lacrm_sandbox.ok("GetContacts", params)
        assert data["HasMoreResults"] is False
        return [
            c["Company Name"] if c["IsCompany"] else c["Name"]["FirstName"] for c in data["Results"]
        ]

    # Names, company names and emails are searched ("zed@brownco.example" matches too).
    assert sorted(names({"SearchTerms": "brown"})) == ["Anna", "Brown Co", "Nick", "Zed"]
    assert names({"SearchTerms": "brown", "RecordTypeFilter": "Contacts", "SortBy": "FirstName",
                  "SortDirection": "Ascending"}) == ["Anna", "Nick", "Zed"]  # fmt: skip
    assert names({"RecordTypeFilter": "Companies"}) == ["Brown Co"]
    assert names({"SearchTerms": "brownco.example", "SortBy": "LastName",
                  "SortDirection": "Descending"}) == ["Nick", "Zed"]  # fmt: skip
    assert names({"SearchTerms": "NICK@BROWNCO.EXAMPLE"}) == ["Nick"]
    assert names({"SearchTerms": "7735550114"}) == ["Nick"]
    assert names({"SearchTerms": "nick brown"}) == ["Nick"]
    # The exact email ranks first under Relevance.
    data = lacrm_sandbox.ok("GetContacts", {"SearchTerms": "anna@example.com"})
    assert data["Results"][0]["ContactId"] == ids["Anna Brownlee"]
    dated = names(
        {"SortBy": "DateCreated", "SortDirection": "Ascending", "RecordTypeFilter": "Contacts"}
    )
    assert dated == ["Nick", "Anna", "Zed"]


def test_get_contacts_pages_with_has_more_results(lacrm_sandbox):
    load_contacts(lacrm_sandbox.account, [{"Name": f"Person {n:03d} Tester"} for n in range(25)])
    seen, page = [], 1
    while True:
        data = lacrm_sandbox.ok(
            "GetContacts",
            {"SortBy": "DateCreated", "SortDirection": "Ascending", "MaxNumberOfResults": 10,
             "Page": page},
        )  # fmt: skip
        seen += [c["Name"]["MiddleName"] for c in data["Results"]]
        if not data["HasMoreResults"]:
            break
        page += 1
    assert page == 3
    assert seen == [f"{n:03d}" for n in range(25)]


@pytest.mark.parametrize("size", [10001, 0, "many"])
def test_get_contacts_refuses_page_sizes_outside_1_to_10000(lacrm_sandbox, size):
    response = lacrm_sandbox.call("GetContacts", {"MaxNumberOfResults": size})
    assert response.status_code == 400
    assert "MaxNumberOfResults" in response.json()["ErrorDescription"]


def test_get_contacts_by_id_and_date_filters(lacrm_sandbox):
    first = lacrm_sandbox.create_person("First Person")
    second = lacrm_sandbox.create_person("Second Person")
    data = lacrm_sandbox.ok("GetContactsById", {"ContactIds": [second, first, "123"]})
    assert [c["ContactId"] for c in data["Results"]] == [first, second]
    created = lacrm_sandbox.ok("GetContact", {"ContactId": first})["DateCreated"]
    data = lacrm_sandbox.ok(
        "GetContacts",
        {
            "AdvancedFilters": [
                {"Name": "DateCreated", "Operation": "IsBefore", "Value": "2000-01-01"}
            ]
        },
    )
    assert data["Results"] == []
    data = lacrm_sandbox.ok(
        "GetContacts",
        {
            "AdvancedFilters": [
                {"Name": "LastUpdate", "Operation": "IsAfter", "Value": "2000-01-01"}
            ]
        },
    )
    assert len(data["Results"]) == 2 and created
    response = lacrm_sandbox.call(
        "GetContacts",
        {"AdvancedFilters": [{"Name": "Shoe Size", "Operation": "IsAfter", "Value": 1}]},
    )
    assert response.status_code == 400 and "Shoe Size" in response.json()["ErrorDescription"]


def test_get_contacts_over_twenty_thousand_in_pages_of_ten_thousand(lacrm_sandbox):
    from integrations.sandbox.demo_data import build_dataset

    contacts = build_dataset(0, 20001, 0.0).lacrm_contacts
    assert load_contacts(lacrm_sandbox.account, contacts) == 20001
    pages = []
    for page in (1, 2, 3):
        data = lacrm_sandbox.ok(
            "GetContacts",
            {"MaxNumberOfResults": 10000, "Page": page, "SortBy": "DateCreated",
             "SortDirection": "Ascending"},
        )  # fmt: skip
        pages.append((len(data["Results"]), data["HasMoreResults"]))
    assert pages == [(10000, True), (10000, True), (1, False)]
