"""The QuickBooks webhook endpoint: signature, both formats, routing by realm, de-duplication."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from integrations.changes import MERGED, UPDATED
from integrations.quickbooks.webhook_payload import (
    CLOUDEVENTS,
    LEGACY,
    MalformedPayload,
    parse_delivery,
    parse_time,
    signature,
    signature_ok,
)
from sync.continuous.models import ChangeEvent, ContinuousState
from sync.models import SyncRun
from tests.continuous.conftest import keep_in_step
from tests.fixtures_worker import purge_broker

TOKEN = "test-verifier-token"


def legacy(realm: str, *entities: dict) -> bytes:
    return json.dumps(
        {
            "eventNotifications": [
                {"realmId": realm, "dataChangeEvent": {"entities": list(entities)}}
            ]
        }
    ).encode()


def cloud(*events: dict) -> bytes:
    return json.dumps(list(events)).encode()


def event(realm: str, entity_id: str, type_: str, event_id: str, data=None) -> dict:
    item = {
        "specversion": "1.0",
        "id": event_id,
        "type": type_,
        "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
        "time": "2026-12-01T10:00:00.000Z",
        "intuitentityid": entity_id,
        "intuitaccountid": realm,
    }
    if data is not None:
        item["data"] = data
    return item


def post(body: bytes, sig: str | None = "auto"):
    headers = {}
    if sig == "auto":
        headers["HTTP_INTUIT_SIGNATURE"] = signature(TOKEN, body)
    elif sig is not None:
        headers["HTTP_INTUIT_SIGNATURE"] = sig
    return Client().post(
        reverse("integrations:qbo_webhook"), body, content_type="application/json", **headers
    )


@pytest.fixture
def token(settings):
    settings.QBO_WEBHOOK_VERIFIER_TOKEN = TOKEN


# --- pure reading ----------------------------------------------------------------------------


def test_signature_is_base64_hmac_sha256_of_the_raw_body():
    body = b'{"eventNotifications":[]}'
    # Computed independently: printf '%s' body | openssl dgst -sha256 -hmac TOKEN -binary | base64
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(TOKEN.encode(), body, hashlib.sha256).digest()).decode()
    assert signature(TOKEN, body) == expected
    assert signature_ok(TOKEN, body, expected)
    assert not signature_ok(TOKEN, body + b" ", expected)
    assert not signature_ok(TOKEN, body, "")
    assert not signature_ok("", body, expected)


def test_legacy_and_cloudevents_read_to_the_same_changes():
    old = parse_delivery(
        legacy(
            "111",
            {
                "name": "Customer",
                "id": "5",
                "operation": "Update",
                "lastUpdated": "2026-12-01T02:00:00-0800",
            },
            {
                "name": "Customer",
                "id": "9",
                "operation": "Merge",
                "deletedId": "4",
                "lastUpdated": "x",
            },
            {"name": "Vendor", "id": "2", "operation": "Create", "lastUpdated": ""},
        )
    )
    new = parse_delivery(
        cloud(
            event("111", "5", "qbo.customer.updated.v1", "u1"),
            event("111", "9", "qbo.customer.merged.v1", "m1", {"deletedid": "4"}),
            event("222", "70", "qbo.invoice.created.v1", "i1"),
            {"type": "nonsense"},
        )
    )
    assert old.format == LEGACY and new.format == CLOUDEVENTS
    assert [(c.change.record_id, c.change.kind) for c in old.changes] == [
        ("5", UPDATED),
        ("4", MERGED),
    ]
    assert old.changes[1].change.survivor_id == "9"
    assert old.ignored == 1
    assert old.changes[0].change.occurred_at.isoformat() == "2026-12-01T02:00:00-08:00"
    assert old.changes[0].change.event_id.startswith("legacy:")
    assert [(c.realm_id, c.system, c.change.kind) for c in new.changes] == [
        ("111", "qbo", UPDATED),
        ("111", "qbo", MERGED),
        ("222", "qbo_invoice", "created"),
    ]
    assert new.changes[1].change.survivor_id == "9" and new.changes[1].change.record_id == "4"
    assert new.unreadable == 1


def test_a_legacy_retry_derives_the_same_event_id():
    body = legacy("1", {"name": "Customer", "id": "5", "operation": "Update", "lastUpdated": "t"})
    assert (
        parse_delivery(body).changes[0].change.event_id
        == parse_delivery(body).changes[0].change.event_id
    )
    later = legacy("1", {"name": "Customer", "id": "5", "operation": "Update", "lastUpdated": "t2"})
    assert (
        parse_delivery(later).changes[0].change.event_id
        != parse_delivery(body).changes[0].change.event_id
    )


@pytest.mark.parametrize("body", [b"not json", b"{}", b'"text"', b"\xff\xfe"])
def test_bodies_in_neither_format_are_malformed(body):
    with pytest.raises(MalformedPayload):
        parse_delivery(body)


def test_times_with_and_without_colon_in_the_offset():
    assert parse_time("2015-10-05T14:42:19-0700").utcoffset().total_seconds() == -7 * 3600
    assert parse_time("2015-10-05T14:42:19-07:00") == parse_time("2015-10-05T14:42:19-0700")
    assert parse_time("2026-12-01T10:00:00.000Z").utcoffset().total_seconds() == 0
    assert parse_time("garbage") is None and parse_time(None) is None


# --- the endpoint ----------------------------------------------------------------------------


def test_unsigned_and_forged_deliveries_are_refused_and_record_nothing(
    token, connected_workspace_empty
):
    realm = connected_workspace_empty.realm_id
    body = cloud(event(realm, "5", "qbo.customer.updated.v1", "f1"))
    assert post(body, sig=None).status_code == 401
    assert post(body, sig=signature("wrong-token", body)).status_code == 401
    assert post(body, sig="bm90IGEgc2lnbmF0dXJl").status_code == 401
    # Signed, then the body changed on the way.
    assert post(body, sig=signature(TOKEN, body + b" ")).status_code == 401
    assert not ChangeEvent.objects.exists()
    assert not SyncRun.objects.filter(kind="changes").exists()
    assert ContinuousState.objects.filter(last_qbo_delivery_at__isnull=False).count() == 0


def test_a_signed_body_that_is_not_json_is_a_400_and_records_nothing(
    token, connected_workspace_empty
):
    assert post(b"{not json").status_code == 400
    assert not ChangeEvent.objects.exists()


def test_an_unconfigured_verifier_token_refuses_everything(settings, connected_workspace_empty):
    settings.QBO_WEBHOOK_VERIFIER_TOKEN = ""
    body = cloud(event(connected_workspace_empty.realm_id, "5", "qbo.customer.updated.v1", "x"))
    assert post(body, sig=signature("", body)).status_code == 401
    assert not ChangeEvent.objects.exists()


def test_the_endpoint_needs_no_csrf_token_but_only_accepts_post(token, connected_workspace_empty):
    client = Client(enforce_csrf_checks=True)
    body = cloud(event(connected_workspace_empty.realm_id, "5", "qbo.customer.updated.v1", "c1"))
    answer = client.post(
        reverse("integrations:qbo_webhook"),
        body,
        content_type="application/json",
        HTTP_INTUIT_SIGNATURE=signature(TOKEN, body),
    )
    assert answer.status_code == 200
    assert client.get(reverse("integrations:qbo_webhook")).status_code == 405
    purge_broker()


def test_both_formats_are_recorded_routed_by_realm_and_replays_change_nothing(
    token, connected_workspace_empty, connect_workspace, bob
):
    alice_cw = connected_workspace_empty
    bob_cw = connect_workspace(bob, seed_demo=False)
    keep_in_step(bob_cw.workspace)
    mixed = cloud(
        event(alice_cw.realm_id, "5", "qbo.customer.updated.v1", "e-1"),
        event(bob_cw.realm_id, "6", "qbo.customer.created.v1", "e-2"),
        event(bob_cw.realm_id, "8", "qbo.customer.merged.v1", "e-3", {"deletedid": "7"}),
        event("999999", "1", "qbo.customer.updated.v1", "e-4"),
        event(alice_cw.realm_id, "31", "qbo.invoice.updated.v1", "e-5"),
    )
    answer = post(mixed)
    assert answer.status_code == 200
    assert answer.json()["workspaces"] == 2
    old = legacy(
        alice_cw.realm_id,
        {
            "name": "Customer",
            "id": "12",
            "operation": "Create",
            "lastUpdated": "2026-12-01T02:00:00-0800",
        },
    )
    assert post(old).status_code == 200
    alice_events = ChangeEvent.objects.filter(workspace=alice_cw.workspace)
    bob_events = ChangeEvent.objects.filter(workspace=bob_cw.workspace)
    assert sorted(alice_events.values_list("system", "record_id", "kind")) == [
        ("qbo", "12", "created"),
        ("qbo", "5", "updated"),
        ("qbo_invoice", "31", "updated"),
    ]
    assert sorted(bob_events.values_list("record_id", "kind", "survivor_id")) == [
        ("6", "created", ""),
        ("7", "merged", "8"),
    ]
    # Intuit retries: the same deliveries again change nothing.
    assert post(mixed).status_code == 200
    assert post(old).status_code == 200
    assert alice_events.count() == 3 and bob_events.count() == 2
    assert SyncRun.objects.filter(workspace=alice_cw.workspace, kind="changes").count() == 1
    assert SyncRun.objects.filter(workspace=bob_cw.workspace, kind="changes").count() == 1
    state = ContinuousState.objects.get(workspace=alice_cw.workspace)
    assert state.last_qbo_delivery_at is not None and state.last_event_source == "qbo_webhook"
    purge_broker()
