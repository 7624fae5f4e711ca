"""Fidelity, rate limits: the sandbox throttles each realm as Intuit documents, and the Runway client stays
under those limits on its own.

Intuit: "Throttling: 500 requests per minute per realm, 10 requests per second per realm and app, 10
concurrent requests; the batch endpoint: 40 requests per minute per realm", answered with HTTP 429 and fault
3001 ThrottleExceeded
(https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles,
https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import pytest
from quickbooks.batch import batch_create
from quickbooks.exceptions import ValidationException
from quickbooks.objects.bill import Bill
from quickbooks.objects.term import Term

from infra.qbo import OAuthTokens, QboClient, QboClientConfig, RealmLimiterRegistry
from qbo_sandbox import LimitSettings, SandboxConfig, SandboxServer, SandboxState
from tests.fakes.qbo_tokens import InMemoryTokenStore
from tests.sandbox.conftest import sdk_client

THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"


def _assert_qbo_throttle_body(response: httpx.Response, detail_starts: str) -> None:
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] == "SERVICE"
    assert body["Fault"]["Error"] == [{"Message": THROTTLE_MESSAGE, "Detail": body["Fault"]["Error"][0]["Detail"],
                                       "code": "3001", "element": ""}]
    assert body["Fault"]["Error"][0]["Detail"].startswith(detail_starts)


def test_eleven_requests_within_one_second_to_one_realm_get_a_429_with_qbos_body(sandbox) -> None:
    """Intuit: at most 10 requests per second per realm; the 11th answers 429, fault 3001 ThrottleExceeded."""
    # The sandbox clock stands still: all eleven arrive within the same second.
    statuses = [sandbox.client.get(f"bill/{n}") for n in range(1, 12)]

    assert [response.status_code for response in statuses[:10]] == [200] * 10
    _assert_qbo_throttle_body(statuses[10], "Request rate exceeded: at most 10 requests per second")
    assert sandbox.state.counters.throttled(sandbox.realm_id) == 1
    # Another realm has a budget of its own.
    other = sandbox.authorized_client(sandbox.state.realm_ids[1])
    assert other.get("bill/1").status_code == 200
    other.close()


def test_the_same_load_through_the_runway_client_sees_no_429(insecure_transport) -> None:
    """The Runway client (infra.qbo) paces itself under Intuit's per-realm limits: the same eleven requests,
    sent at once from eleven threads, all succeed without one 429 (real clock, limits on)."""
    state = SandboxState(SandboxConfig(realms=1, seed=11, size=400))
    with SandboxServer(state) as server:
        realm_id = state.realm_ids[0]
        config = QboClientConfig(api_base_url=server.api_base_url, token_url=server.token_url,
                                 client_id=state.config.client_id, client_secret=state.config.client_secret)
        tokens = InMemoryTokenStore(OAuthTokens(realm_id=realm_id, refresh_token=state.connect_realm(realm_id)))
        with QboClient(config, tokens, RealmLimiterRegistry.from_config(config)) as client, \
                ThreadPoolExecutor(11) as pool:
            bills = list(pool.map(lambda n: client.read(realm_id, "Bill", str(n)), range(1, 12)))
            more = list(pool.map(lambda n: client.read(realm_id, "Invoice", str(n)), range(1, 23)))

        assert [bill["Id"] for bill in bills] == [str(n) for n in range(1, 12)] and len(more) == 22
        assert state.counters.throttled() == 0
        assert state.counters.requests(realm_id) == 33  # nothing was retried
        assert state.counters.max_concurrency(realm_id) <= 10
    state.close()


def test_python_quickbooks_bursting_past_ten_per_second_gets_fault_3001(sandbox, insecure_transport) -> None:
    """Intuit's 429 body is a Fault the SDK parses: python-quickbooks raises its exception for code 3001."""
    qb = sdk_client(sandbox, pace_seconds=0)
    answers = [Bill.get(str(n), qb=qb).Id for n in range(1, 11)]

    with pytest.raises(ValidationException) as throttled:
        Bill.get("11", qb=qb)

    assert answers == [str(n) for n in range(1, 11)]
    assert throttled.value.error_code == 3001 and throttled.value.message == THROTTLE_MESSAGE
    sandbox.clock.advance(1)  # the second is over: the realm is served again
    assert Bill.get("11", qb=qb).Id == "11"
    qb.auth_client.close()


def test_the_per_second_window_slides(make_sandbox) -> None:
    """Intuit counts requests in any one-second window, not per calendar second."""
    sandbox = make_sandbox()
    first = [sandbox.client.get("bill/1").status_code for _ in range(5)]
    sandbox.clock.advance(0.6)
    second = [sandbox.client.get("bill/1").status_code for _ in range(6)]  # 11 within 0.6 s: one refused
    sandbox.clock.advance(0.4)  # the first five are now a full second old
    third = [sandbox.client.get("bill/1").status_code for _ in range(6)]

    assert first == [200] * 5 and second == [200] * 5 + [429] and third == [200] * 5 + [429]


def test_forty_batch_calls_a_minute_then_429(sandbox, insecure_transport) -> None:
    """Intuit: "The maximum number requests to the batch endpoint per minute per realmID is 40"; each batch
    call is also a request towards the per-second and per-minute limits."""
    qb = sdk_client(sandbox)  # paced at 5 requests a second: only the batch limit can bite
    for number in range(40):
        term = Term()
        term.Name, term.DueDays = f"Batch term {number}", 10 + number
        assert not batch_create([term], qb=qb).faults

    term = Term()
    term.Name, term.DueDays = "One batch too many", 99
    with pytest.raises(ValidationException) as throttled:
        batch_create([term], qb=qb)
    single = Term()
    single.Name, single.DueDays = "Not a batch call", 98
    created = single.save(qb=qb)  # ordinary requests still have room

    assert throttled.value.error_code == 3001
    assert "Batch rate exceeded: at most 40 batch requests per 60 s" in throttled.value.detail
    assert created.Id and len(sandbox.realm.rows("Term")) == 5 + 41
    qb.auth_client.close()


def test_limits_are_configurable_and_can_be_switched_off(make_sandbox) -> None:
    """The sandbox's own switch (not Intuit behaviour): each limit can be lifted, or all of them."""
    no_per_second = make_sandbox(limits=LimitSettings(requests_per_second=None, requests_per_minute=12))
    statuses = [no_per_second.client.get("bill/1").status_code for _ in range(13)]
    off = make_sandbox(limits=LimitSettings(enabled=False))
    off_statuses = {off.client.get("bill/1").status_code for _ in range(30)}

    assert statuses == [200] * 12 + [429]
    assert off_statuses == {200}
    with pytest.raises(ValueError, match="requests_per_second must be a positive integer or None"):
        LimitSettings(requests_per_second=0)


def test_admin_api_reconfigures_limits(sandbox) -> None:
    admin = httpx.Client(base_url=f"{sandbox.server.base_url}/_sandbox")
    changed = admin.post("/faults", json={"limits": {"requests_per_second": 2, "batch_per_minute": 1}})
    statuses = [sandbox.client.get("bill/1").status_code for _ in range(3)]
    admin.close()

    assert changed.json()["limits"]["requests_per_second"] == 2 and changed.json()["limits"]["batch_per_minute"] == 1
    assert statuses == [200, 200, 429]


def test_refused_requests_do_not_use_up_the_window(sandbox) -> None:
    """Intuit counts the requests it serves: hammering a throttled realm does not push the window further."""
    for _ in range(10):
        sandbox.client.get("bill/1")
    refused = [sandbox.client.get("bill/1").status_code for _ in range(20)]
    sandbox.clock.advance(1)

    assert set(refused) == {429}
    assert sandbox.client.get("bill/1").status_code == 200


def test_the_time_member_of_a_429_is_the_companys_local_time(sandbox) -> None:
    for _ in range(10):
        sandbox.client.get("bill/1")
    body = json.loads(sandbox.client.get("bill/1").content)

    assert datetime.fromisoformat(body["time"]) == datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    assert body["time"].endswith("-08:00")
