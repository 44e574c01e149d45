"""The sandbox LACRM over real HTTP: notes, error answers, throttling, injected faults, call log."""

from __future__ import annotations

import requests

from integrations.sandbox.lacrm.models import SandboxLacrmNote
from integrations.sandbox.models import SandboxCall, SandboxKnobs


def _set_knobs(**values):
    SandboxKnobs.objects.filter(pk=1).update(**values)


def test_notes_are_created_listed_edited_and_deleted(lacrm_sandbox):
    contact_id = lacrm_sandbox.create_person("Nora Quinn")
    text = "QuickBooks invoice summary\nOpen: 2 invoices, $1,250.00\n<b>not bold</b> & kept"
    first = lacrm_sandbox.ok("CreateNote", {"ContactId": contact_id, "Note": text})["NoteId"]
    second = lacrm_sandbox.ok(
        "CreateNote",
        {
            "ContactId": contact_id,
            "Note": "Older note",
            "DateDisplayedInHistory": "2025-01-31T09:00:00-06:00",
        },
    )["NoteId"]
    assert first.isdigit() and len(first) >= 30

    note = lacrm_sandbox.ok("GetNote", {"NoteId": first})
    # Plain text exactly as sent: LACRM escapes HTML when it shows a note, it does not store it so.
    assert note["Note"] == text
    assert note["ContactId"] == contact_id and note["IsRichText"] is False
    older = lacrm_sandbox.ok("GetNote", {"NoteId": second})
    assert older["DateDisplayedInHistory"].startswith("2025-01-31T09:00:00")

    listed = lacrm_sandbox.ok("GetNotesAttachedToContact", {"ContactId": contact_id})
    assert listed["HasMoreResults"] is False
    assert [n["NoteId"] for n in listed["Results"]] == [first, second]  # newest first
    paged = lacrm_sandbox.ok(
        "GetNotesAttachedToContact", {"ContactId": contact_id, "MaxNumberOfResults": 1}
    )
    assert paged["HasMoreResults"] is True and len(paged["Results"]) == 1

    lacrm_sandbox.ok("EditNote", {"NoteId": first, "Note": "Replaced"})
    assert lacrm_sandbox.ok("GetNote", {"NoteId": first})["Note"] == "Replaced"
    lacrm_sandbox.ok("DeleteNote", {"NoteId": second})
    assert list(SandboxLacrmNote.objects.values_list("uid", flat=True)) == [first]


def test_create_note_needs_an_existing_contact_and_a_text(lacrm_sandbox):
    response = lacrm_sandbox.call(
        "CreateNote", {"ContactId": "3100000000000000000000000000001", "Note": "Hello"}
    )
    assert response.status_code == 400
    assert "No contact" in response.json()["ErrorDescription"]
    contact_id = lacrm_sandbox.create_person("Has Notes")
    response = lacrm_sandbox.call("CreateNote", {"ContactId": contact_id, "Note": ""})
    assert response.status_code == 400 and '"Note"' in response.json()["ErrorDescription"]
    assert not SandboxLacrmNote.objects.exists()


def test_another_accounts_contact_is_invisible(lacrm_sandbox):
    from integrations.sandbox.lacrm.store import create_account

    _, other_key = create_account(seed_demo=False)
    contact_id = lacrm_sandbox.create_person("Private Person")
    response = lacrm_sandbox.call("GetContact", {"ContactId": contact_id}, key=other_key)
    assert response.status_code == 400
    response = lacrm_sandbox.call(
        "CreateNote", {"ContactId": contact_id, "Note": "x"}, key=other_key
    )
    assert response.status_code == 400


def test_bad_or_missing_key_is_400_invalid_credentials(lacrm_sandbox):
    for key in ("1234-5678-nope", "", f"Bearer {lacrm_sandbox.api_key}"):
        response = lacrm_sandbox.call("GetUser", key=key)
        assert response.status_code == 400
        body = response.json()
        assert "Invalid credentials" in body["ErrorDescription"]
        assert len(body["ErrorCode"]) >= 10
    assert SandboxCall.objects.filter(system="lacrm", status=400, account="").count() == 3


def test_malformed_requests_are_400_with_an_error_code(lacrm_sandbox):
    headers = {"Authorization": lacrm_sandbox.api_key}
    response = requests.post(lacrm_sandbox.url, data="{not json", headers=headers, timeout=10)
    assert response.status_code == 400 and "JSON" in response.json()["ErrorDescription"]
    response = requests.get(lacrm_sandbox.url, headers=headers, timeout=10)
    assert response.status_code == 400 and "POST" in response.json()["ErrorDescription"]
    response = lacrm_sandbox.call("SearchContacts", {"SearchTerms": "x"})  # a v1-era name
    assert response.status_code == 400
    assert 'Unknown function "SearchContacts"' in response.json()["ErrorDescription"]
    response = lacrm_sandbox.call("GetContact", {})
    assert response.status_code == 400 and "ContactId" in response.json()["ErrorDescription"]


def test_calls_are_logged_with_account_function_status_and_items(lacrm_sandbox):
    lacrm_sandbox.create_person("Logged Person")
    lacrm_sandbox.ok("GetContacts", {})
    calls = list(
        SandboxCall.objects.filter(system="lacrm", account=lacrm_sandbox.account.uid)
        .order_by("at", "pk")
        .values_list("operation", "status", "items")
    )
    assert calls == [("CreateContact", 200, 1), ("GetContacts", 200, 1)]


def test_over_the_per_minute_limit_is_429(lacrm_sandbox):
    _set_knobs(lacrm_requests_per_minute=2)
    statuses = [lacrm_sandbox.call("GetUser") for _ in range(6)]
    # Six calls in at most two one-minute windows: one window holds three, over a limit of two.
    assert statuses[0].status_code == 200
    throttled = [r for r in statuses if r.status_code == 429]
    assert throttled
    assert throttled[0].json()["ErrorDescription"] == "Too many requests"
    assert throttled[0].json()["ErrorCode"]
    assert 1 <= int(throttled[0].headers["Retry-After"]) <= 60


def test_injected_faults_answer_429_500_and_504(lacrm_sandbox):
    _set_knobs(fault_429_rate=1.0)
    response = lacrm_sandbox.call("GetUser")
    assert (
        response.status_code == 429 and response.json()["ErrorDescription"] == "Too many requests"
    )
    _set_knobs(fault_429_rate=0.0, fault_500_rate=1.0)
    assert lacrm_sandbox.call("GetUser").status_code == 500
    _set_knobs(fault_500_rate=0.0, fault_timeout_rate=1.0, timeout_seconds=0.05)
    assert lacrm_sandbox.call("GetUser").status_code == 504
    _set_knobs(fault_timeout_rate=0.0)
    assert lacrm_sandbox.call("GetUser").status_code == 200
    statuses = list(
        SandboxCall.objects.filter(account=lacrm_sandbox.account.uid)
        .order_by("at", "pk")
        .values_list("status", flat=True)
    )
    assert statuses == [429, 500, 504, 200]
