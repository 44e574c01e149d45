"""The sandbox's deterministic faults over real HTTP: seeded dice, scripted calls, holds, lost
answers."""

from __future__ import annotations

import threading

import requests

from integrations.sandbox import runtime
from integrations.sandbox.lacrm.models import SandboxLacrmContact
from integrations.sandbox.models import SandboxCall, SandboxKnobs
from integrations.sandbox.qbo.store import customer_dicts


def _roll(lacrm_sandbox, seed: int, calls: int = 16) -> list[int]:
    SandboxKnobs.objects.filter(pk=1).update(fault_500_rate=0.5, fault_seed=seed, fault_calls=0)
    return [lacrm_sandbox.call("GetUser").status_code for _ in range(calls)]


def test_seeded_fault_dice_repeat_exactly(lacrm_sandbox):
    first = _roll(lacrm_sandbox, seed=11)
    assert set(first) == {200, 500}
    assert _roll(lacrm_sandbox, seed=11) == first
    assert _roll(lacrm_sandbox, seed=12) != first


def test_scripted_faults_hit_exactly_the_chosen_calls(lacrm_sandbox):
    runtime.fail_calls("lacrm", "GetUser", runtime.Fault.SERVER_ERROR, [2, 4])
    runtime.fail_calls("lacrm", "GetUser", runtime.Fault.THROTTLE, [5])
    assert [lacrm_sandbox.call("GetUser").status_code for _ in range(6)] == [
        200,
        500,
        200,
        500,
        429,
        200,
    ]
    # Other operations are neither counted nor failed.
    assert lacrm_sandbox.call("GetContacts").status_code == 200
    logged = SandboxCall.objects.filter(account=lacrm_sandbox.account.uid, operation="GetUser")
    assert list(logged.order_by("pk").values_list("status", flat=True)) == [
        200,
        500,
        200,
        500,
        429,
        200,
    ]


def test_a_held_call_is_committed_while_its_answer_waits_for_release(lacrm_sandbox, release_holds):
    held = runtime.hold_next("lacrm", "CreateContact")
    answers: list[requests.Response] = []
    params = {"IsCompany": False, "AssignedTo": lacrm_sandbox.user_id, "Name": "Held Person"}
    sender = threading.Thread(
        target=lambda: answers.append(lacrm_sandbox.call("CreateContact", params))
    )
    sender.start()
    assert runtime.wait_until_held(held, timeout=30)
    [contact] = SandboxLacrmContact.objects.filter(account=lacrm_sandbox.account)
    assert sender.is_alive() and answers == []

    runtime.release(held)
    sender.join(timeout=30)
    assert answers[0].status_code == 200
    assert answers[0].json()["ContactId"] == contact.uid
    # Only the next call was held.
    assert lacrm_sandbox.call("CreateContact", {**params, "Name": "Not Held"}).status_code == 200


def test_an_unreleased_hold_answers_after_its_bound(lacrm_sandbox):
    runtime.hold_next("lacrm", "GetUser", seconds=0.2)
    assert lacrm_sandbox.call("GetUser").status_code == 200


def _batch(sandbox, tokens, request_id: str, name: str) -> requests.Response:
    return requests.post(
        f"{sandbox.qbo_api_base_url}/company/{tokens.realm_id}/batch",
        params={"requestid": request_id, "minorversion": 75},
        json={
            "BatchItemRequest": [
                {"bId": "k-0", "operation": "create", "Customer": {"DisplayName": name}}
            ]
        },
        headers={"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"},
        timeout=30,
    )


def test_a_lost_answer_follows_the_committed_write_and_a_replay_tells_it(
    sandbox, qbo_company, qbo_tokens
):
    runtime.lose_responses("qbo", "batch")
    lost = _batch(sandbox, qbo_tokens, "r-1", "Lost Answer")
    assert lost.status_code == 500
    assert lost.json()["Fault"]["type"] == "SystemFault"
    [customer] = customer_dicts(qbo_company)
    assert customer["DisplayName"] == "Lost Answer"

    # QuickBooks' requestid replay answers the retry with the original result.
    again = _batch(sandbox, qbo_tokens, "r-1", "Lost Answer")
    assert again.status_code == 200
    assert again.json()["BatchItemResponse"][0]["Customer"]["Id"] == customer["Id"]
    assert len(customer_dicts(qbo_company)) == 1


def test_a_held_batch_is_committed_before_its_answer_waits(
    sandbox, qbo_company, qbo_tokens, release_holds
):
    held = runtime.hold_next("qbo", "batch")
    answers: list[requests.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(_batch(sandbox, qbo_tokens, "r-2", "Held Customer"))
    )
    sender.start()
    assert runtime.wait_until_held(held, timeout=30)
    [customer] = customer_dicts(qbo_company)
    assert sender.is_alive() and answers == []
    runtime.release(held)
    sender.join(timeout=30)
    assert answers[0].json()["BatchItemResponse"][0]["Customer"]["Id"] == customer["Id"]
