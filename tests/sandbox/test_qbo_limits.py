"""Sandbox QBO tokens, throttling, concurrency and injected faults, seen through the libraries."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests
import time_machine
from quickbooks.batch import batch_create
from quickbooks.exceptions import AuthorizationException, QuickbooksException, SevereException
from quickbooks.objects.customer import Customer

from integrations.sandbox.models import SandboxCall, SandboxKnobs
from integrations.sandbox.qbo.store import create_company
from tests.fixtures_sandbox import authorize_qbo, make_quickbooks


def _knobs(**values) -> None:
    SandboxKnobs.objects.filter(pk=1).update(**values)


def _raw(sandbox, realm_id: str, token: str, query: str = "SELECT * FROM Customer"):
    return requests.get(
        f"{sandbox.qbo_api_base_url}/company/{realm_id}/query",
        params={"query": query, "minorversion": 75},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=30,
    )


def test_expired_access_token_is_401_with_the_lower_case_fault(sandbox, qbo_tokens, qbo):
    with time_machine.travel(timedelta(hours=2)):
        with pytest.raises(AuthorizationException) as excinfo:
            Customer.all(qb=qbo)
        assert excinfo.value.error_code == 401
        raw = _raw(sandbox, qbo_tokens.realm_id, qbo_tokens.access_token)
    assert raw.status_code == 401
    body = raw.json()
    assert "Fault" not in body
    error = body["fault"]["error"][0]
    assert error["code"] == "3200"
    assert error["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert isinstance(body["time"], int)


def test_refresh_after_expiry_gets_a_working_token(sandbox, qbo_tokens):
    with time_machine.travel(timedelta(hours=2)):
        qbo_tokens.auth_client.refresh()
        qb = make_quickbooks(qbo_tokens, sandbox)
        assert Customer.all(qb=qb) == []


def test_garbage_token_is_401(sandbox, qbo_tokens, qbo):
    qbo.session.access_token = "garbage"
    with pytest.raises(AuthorizationException) as excinfo:
        Customer.all(qb=qbo)
    assert excinfo.value.error_code == 401
    assert SandboxCall.objects.filter(system="qbo", status=401).count() == 1


def test_token_of_one_realm_is_refused_on_another(sandbox, qbo_tokens):
    other = create_company(seed_demo=False)
    response = _raw(sandbox, other.realm_id, qbo_tokens.access_token)
    assert response.status_code == 403
    assert response.json()["Fault"]["Error"][0]["code"] == "3100"


def test_over_the_per_minute_limit_is_a_429_throttle(sandbox, qbo_tokens, qbo):
    _knobs(qbo_requests_per_minute=3)
    for _ in range(3):
        Customer.all(qb=qbo)
    with pytest.raises(QuickbooksException) as excinfo:
        Customer.all(qb=qbo)
    assert "ThrottleExceeded" in excinfo.value.message
    raw = _raw(sandbox, qbo_tokens.realm_id, qbo_tokens.access_token)
    assert raw.status_code == 429
    assert raw.headers["Content-Type"].startswith("application/xml")
    assert 'code="3001"' in raw.text and "The request limit was reached." in raw.text
    assert SandboxCall.objects.filter(system="qbo", status=429).count() == 2


def test_limits_are_per_realm(sandbox, qbo_tokens, qbo):
    _knobs(qbo_requests_per_minute=2)
    Customer.all(qb=qbo)
    Customer.all(qb=qbo)
    other = create_company(seed_demo=False)
    other_qb = make_quickbooks(authorize_qbo(sandbox, realm_id=other.realm_id), sandbox)
    assert Customer.all(qb=other_qb) == []


def test_batches_have_their_own_per_minute_limit(sandbox, qbo):
    _knobs(qbo_batches_per_minute=1)
    first = Customer()
    first.DisplayName = "Batch One"
    batch_create([first], qb=qbo)
    second = Customer()
    second.DisplayName = "Batch Two"
    with pytest.raises(QuickbooksException) as excinfo:
        batch_create([second], qb=qbo)
    assert "ThrottleExceeded" in excinfo.value.message
    # Ordinary calls still pass.
    assert [c.DisplayName for c in Customer.all(qb=qbo)] == ["Batch One"]


def test_too_many_concurrent_calls_get_429(sandbox, qbo_tokens):
    _knobs(qbo_max_concurrent=1, latency_ms=600)
    statuses: list[int] = []

    def call() -> None:
        statuses.append(_raw(sandbox, qbo_tokens.realm_id, qbo_tokens.access_token).status_code)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses)[0] == 200
    assert 429 in statuses


def test_injected_server_error_is_a_json_fault(sandbox, qbo):
    _knobs(fault_500_rate=1.0)
    with pytest.raises(SevereException) as excinfo:
        Customer.all(qb=qbo)
    assert excinfo.value.error_code == 10000
    assert SandboxCall.objects.filter(system="qbo", status=500).count() == 1


def test_injected_throttle_and_timeout(sandbox, qbo_tokens):
    _knobs(fault_429_rate=1.0)
    assert _raw(sandbox, qbo_tokens.realm_id, qbo_tokens.access_token).status_code == 429
    _knobs(fault_429_rate=0.0, fault_timeout_rate=1.0, timeout_seconds=0.2)
    assert _raw(sandbox, qbo_tokens.realm_id, qbo_tokens.access_token).status_code == 504


def test_unknown_path_under_the_company_is_a_json_fault(sandbox, qbo_tokens):
    response = requests.get(
        f"{sandbox.qbo_api_base_url}/company/{qbo_tokens.realm_id}/reports/ProfitAndLoss",
        headers={"Authorization": f"Bearer {qbo_tokens.access_token}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["Fault"]["Error"][0]["code"] == "500"
