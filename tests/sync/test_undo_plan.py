"""Deciding an undo (pure): untouched records are taken back, edited ones left alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from integrations.records import LACRM, QBO, ContactRecord, Phone, record_to_dict
from sync.undo.plan import (
    UNDONE_BEFORE,
    Creation,
    FieldWrite,
    LinkMade,
    NotePosted,
    Written,
    decide,
    decide_creation,
    decide_fields,
    edited_since_created,
)

MADE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SOURCE = ContactRecord(
    system=QBO, id="7", first_name="Ada", last_name="Lovelace", emails=("ada@example.com",)
)


def made_in_lacrm(**changes) -> ContactRecord:
    record = replace(SOURCE, system=LACRM, id="L1", sync_token="", created_at=MADE, updated_at=MADE)
    return replace(record, **changes)


def creation(system=LACRM, record_id="L1", **extra) -> Creation:
    return Creation(
        system=system,
        record_id=record_id,
        source_system=QBO if system == LACRM else LACRM,
        source_id="7",
        name="Ada Lovelace",
        email="ada@example.com",
        wrote=record_to_dict(SOURCE),
        link_id="link-1",
        **extra,
    )


def test_a_record_as_created_counts_as_untouched():
    assert edited_since_created(made_in_lacrm(), record_to_dict(SOURCE)) == ""
    # QuickBooks cut a long value to its limit: still what the run wrote.
    wrote = record_to_dict(replace(SOURCE, company_name="Analytical Engines Incorporated"))
    cut = made_in_lacrm(company_name="Analytical Engines")
    assert edited_since_created(cut, wrote) == ""


def test_a_later_update_time_an_edited_name_or_email_counts_as_edited():
    wrote = record_to_dict(SOURCE)
    later = made_in_lacrm(updated_at=MADE + timedelta(minutes=5))
    assert "Edited in Less Annoying CRM" in edited_since_created(later, wrote)
    assert "last name" in edited_since_created(made_in_lacrm(last_name="Byron"), wrote)
    assert "email" in edited_since_created(made_in_lacrm(emails=("ada@other.example",)), wrote)


def test_a_quickbooks_customer_changed_since_has_a_new_sync_token():
    customer = replace(SOURCE, system=QBO, id="58", sync_token="0")
    assert edited_since_created(customer, record_to_dict(SOURCE)) == ""
    edited = replace(customer, sync_token="1")
    assert "version 1" in edited_since_created(edited, record_to_dict(SOURCE))


def test_an_inactive_customer_is_ours_only_after_our_own_attempt():
    inactive = replace(SOURCE, system=QBO, id="58", sync_token="1", active=False)
    step = decide_creation(creation(QBO, "58"), inactive)
    assert step.left_alone and not step.calls
    retried = decide_creation(creation(QBO, "58"), inactive, attempted=True)
    assert retried.already and not retried.left_alone and retried.acts


def test_a_record_gone_already_still_has_its_link_removed():
    step = decide_creation(creation(), None)
    assert step.already == "Already deleted in Less Annoying CRM"
    assert not step.calls and step.acts


def test_a_link_relinked_since_is_left_alone():
    step = decide(
        Written(links=(LinkMade("", "5", "L5", "Bo", "", ledger_changed="Linked again"),)),
        {},
        {},
    ).steps[0]
    assert step.left_alone == "Linked again"


def test_fields_are_restored_only_where_they_still_hold_what_the_run_wrote():
    now = ContactRecord(
        system=LACRM,
        id="L1",
        phones=(Phone("555-0199", "work"), Phone("555-0777", "mobile")),
        websites=("https://new.example",),
    )
    write = FieldWrite(
        LACRM,
        "L1",
        "Ada",
        "",
        (
            {"field": "phone", "old": "555-0100", "new": "(555) 0199"},
            {"field": "mobile", "old": "555-0111", "new": "555-0122"},
            {"field": "website", "old": "", "new": "https://new.example"},
        ),
    )
    step = decide_fields(write, now)
    assert [c["field"] for c in step.detail["restore"]] == ["phone"]
    assert step.detail["edited"] == ["Mobile (now 555-0777)"]
    assert step.detail["kept"] == ["Website"]
    assert step.calls


def test_a_field_update_edited_everywhere_is_left_alone():
    now = ContactRecord(system=QBO, id="5", phones=(Phone("555-0777", "work"),))
    write = FieldWrite(QBO, "5", "Ada", "", ({"field": "phone", "old": "1", "new": "555-0122"},))
    step = decide_fields(write, now)
    assert step.left_alone.startswith("Edited in QuickBooks since: Phone")


def test_counts_and_steps_done_by_an_earlier_undo():
    written = Written(
        creations=(creation(), creation(QBO, "58")),
        links=(LinkMade("link-9", "9", "L9", "Cy", ""),),
        notes=(NotePosted("N1", "L9", "Summary", "Cy"),),
    )
    records = {
        (LACRM, "L1"): made_in_lacrm(),
        (QBO, "58"): replace(SOURCE, system=QBO, id="58", sync_token="3"),
    }
    plan = decide(written, records, {"N1": {"text": "Summary"}})
    assert plan.counts() == {
        "delete_lacrm": 1,
        "deactivate_qbo": 0,
        "unlink": 2,
        "delete_notes": 1,
        "restore": 0,
        "left_alone": 1,
        "already": 0,
    }
    again = decide(written, records, {"N1": {"text": "Summary"}}, frozenset({(LACRM, "L1", "7")}))
    assert again.steps[0].already == UNDONE_BEFORE and not again.steps[0].acts
    assert decide(written, records, {"N1": {"text": "Edited"}}).steps[3].left_alone


def test_a_created_contact_with_notes_added_since_stays():
    written = Written(creations=(creation(),))
    records = {(LACRM, "L1"): made_in_lacrm()}
    assert decide(written, records, {}).steps[0].calls
    kept = decide(written, records, {}, noted=frozenset({"L1"})).steps[0]
    assert kept.left_alone.startswith("Notes were added") and not kept.acts
