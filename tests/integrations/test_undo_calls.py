"""What undo asks of the clients, over HTTP to the sandbox: bulk reads, deletes, inactivation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import registry
from integrations.errors import StaleObject
from tests.sync.test_field_updates import add_contact, add_customer, edit_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_lacrm_reads_contacts_by_id_and_deletes_each_once(connected_workspace_empty):
    cw = connected_workspace_empty
    crm = registry.crm(cw.workspace)
    ada, bo = add_contact(cw, "Ada Undo"), add_contact(cw, "Bo Undo")
    found = {r.id: r for r in crm.get_contacts([ada, bo, "31000000000000000000000000000"])}
    assert set(found) == {ada, bo}
    assert found[ada].created_at is not None and found[ada].created_at == found[ada].updated_at
    assert crm.delete_contact(ada) is True
    assert crm.delete_contact(ada) is False  # already gone: reported, not raised
    assert [r.id for r in crm.get_contacts([ada, bo])] == [bo]
    assert crm.retires_by == "delete"


def test_lacrm_notes_are_read_in_one_window_and_deleted_once(connected_workspace_empty):
    cw = connected_workspace_empty
    crm = registry.crm(cw.workspace)
    contact = add_contact(cw, "Cy Notes")
    before = timezone.now() - timedelta(minutes=1)
    first, second = crm.create_note(contact, "First"), crm.create_note(contact, "Second")
    window = crm.notes_between(before, timezone.now() + timedelta(minutes=1))
    assert {n["id"]: n["text"] for n in window} == {first: "First", second: "Second"}
    assert crm.get_note(first)["text"] == "First"
    assert crm.delete_note(first) is True
    assert crm.get_note(first) is None
    assert crm.delete_note(first) is False


def test_quickbooks_makes_a_customer_inactive_only_at_the_version_read(connected_workspace_empty):
    cw = connected_workspace_empty
    qbo = registry.accounting(cw.workspace)
    untouched = qbo.get_customer(add_customer(cw, "Dee", "Undo"))
    assert untouched.sync_token == "0" and untouched.created_at is not None
    assert qbo.retire_contact(untouched) is True
    after = qbo.get_customer(untouched.id)
    assert after.active is False and after.sync_token == "1"  # inactive, not deleted
    assert qbo.retire_contact(after) is False
    assert qbo.retires_by == "deactivate"

    edited = qbo.get_customer(add_customer(cw, "Eve", "Undo"))
    edit_customer(cw, edited.id, Notes="Changed in QuickBooks")
    with pytest.raises(StaleObject):
        qbo.retire_contact(edited)  # read before the edit: refused, so it stays active
    assert qbo.get_customer(edited.id).active is True
