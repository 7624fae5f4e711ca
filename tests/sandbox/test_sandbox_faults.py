"""Each fault switch, observed the way a client sees it, plus the /_sandbox admin API that sets them.

Nothing here measures time: latency is checked through what the server reports it injected.
"""

from __future__ import annotations

import httpx
import pytest

from qbo_sandbox.data_api import LATENCY_HEADER


def _admin(sandbox, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{sandbox.server.base_url}/_sandbox{path}", **kwargs)


def test_latency_is_fixed_plus_per_row_and_reported(sandbox) -> None:
    sandbox.state.faults.set_latency(fixed_ms=40, per_row_ms=1.5)

    page = sandbox.query("SELECT * FROM Bill MAXRESULTS 10")
    single = sandbox.client.get("bill/1")
    empty = sandbox.query("SELECT * FROM Bill WHERE TotalAmt > '99999999'")

    assert page.status_code == 200 and len(page.json()["QueryResponse"]["Bill"]) == 10
    assert page.headers[LATENCY_HEADER] == "55"
    assert single.headers[LATENCY_HEADER] == "41.5"
    assert empty.headers[LATENCY_HEADER] == "40"
    assert sandbox.state.counters.injected_latency_ms() == 55 + 41.5 + 40


def test_throttle_burst_answers_429_for_the_next_n_requests(sandbox) -> None:
    sandbox.state.faults.throttle_next(3)

    statuses = [sandbox.client.get("bill/1").status_code for _ in range(4)]
    throttled = sandbox.state.faults.describe()

    assert statuses == [429, 429, 429, 200]
    assert sandbox.state.counters.throttled(sandbox.realm_id) == 3
    assert sandbox.state.counters.get("injected_throttles") == 3
    assert throttled["rules"] == []


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_for_the_next_n_requests(sandbox, status) -> None:
    sandbox.state.faults.fail_next(2, status)

    responses = [sandbox.client.get("bill/1") for _ in range(3)]

    assert [response.status_code for response in responses] == [status, status, 200]
    assert responses[0].json()["Fault"]["type"] == "SystemFault"
    assert sandbox.state.counters.get("injected_errors") == 2
    assert sandbox.state.counters.status(status) == 2


def test_random_failures_follow_the_seeded_probability(make_sandbox) -> None:
    patterns = []
    for _ in range(2):
        sandbox = make_sandbox(fault_seed=5)
        sandbox.state.faults.fail_randomly(0.3, status=503)
        statuses = []
        for _ in range(40):
            statuses.append(sandbox.client.get("bill/1").status_code)
            sandbox.clock.advance(0.2)  # under Intuit's 10 requests per second
        patterns.append(statuses)

    assert patterns[0] == patterns[1]  # same seed, same failures
    assert set(patterns[0]) == {200, 503}


def test_a_dropped_connection_gets_no_answer_at_all(sandbox) -> None:
    sandbox.state.faults.drop_next(1)

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        sandbox.client.get("bill/1")
    recovered = sandbox.client.get("bill/1")

    assert recovered.status_code == 200
    assert sandbox.state.counters.get("dropped_connections") == 1


def test_an_answer_dropped_after_the_write_is_recovered_with_the_same_requestid(sandbox) -> None:
    realm = sandbox.realm
    bill = sandbox.open_bill(paid=False)
    before = realm.counts()["BillPayment"]
    body = {"VendorRef": bill["VendorRef"], "PayType": "Check", "CheckPayment": {"BankAccountRef": {"value": "2"}},
            "Line": [{"Amount": 2.5, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]}
    sandbox.state.faults.drop_next(1, after_processing=True)

    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.client.post("billpayment", params={"requestid": "pay-once"}, json=body)
    committed = realm.counts()["BillPayment"]
    retried = sandbox.client.post("billpayment", params={"requestid": "pay-once"}, json=body)

    assert committed == before + 1  # the write happened although the client saw no answer
    assert retried.status_code == 200 and realm.counts()["BillPayment"] == before + 1
    assert retried.json()["BillPayment"]["Id"] == max((p["Id"] for p in realm.all_entities("BillPayment")), key=int)


def test_expiring_all_access_tokens(sandbox) -> None:
    other = sandbox.authorized_client(sandbox.state.realm_ids[1])
    sandbox.state.auth.expire_access_tokens()

    responses = [sandbox.client.get("bill/1"), other.get("bill/1")]
    other.close()

    assert [response.status_code for response in responses] == [401, 401]
    assert responses[0].json()["fault"]["error"][0]["detail"] == "Token expired"


def test_a_malformed_entity_is_served_damaged_wherever_it_appears(sandbox) -> None:
    faults, realm_id = sandbox.state.faults, sandbox.realm_id
    stored = sandbox.realm.get("Bill", "2")
    faults.malform(realm_id, "Bill", "2", set_fields={"TotalAmt": "abc"})
    faults.malform(realm_id, "Bill", "3", drop_fields=["Id"])

    single = sandbox.client.get("bill/2").json()["Bill"]
    listed = sandbox.rows("SELECT * FROM Bill WHERE Id IN ('1', '2', '3')")

    assert single["TotalAmt"] == "abc"
    assert [row.get("Id") for row in listed] == ["1", "2", None]
    assert listed[1]["TotalAmt"] == "abc" and listed[0]["TotalAmt"] != "abc"
    assert sandbox.realm.get("Bill", "2") == stored  # only the answer is damaged
    assert sandbox.state.counters.get("malformed_served") == 3


def test_token_endpoint_faults(sandbox) -> None:
    config = sandbox.state.config
    sandbox.state.faults.fail_next(1, 503, target="oauth")
    sandbox.state.faults.drop_next(1, target="oauth")

    def refresh() -> httpx.Response:
        return httpx.post(sandbox.server.token_url, auth=(config.client_id, config.client_secret),
                          data={"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token})

    failed = refresh()
    with pytest.raises(httpx.RemoteProtocolError):
        refresh()
    succeeded = refresh()

    assert failed.status_code == 503 and succeeded.status_code == 200
    assert sandbox.client.get("bill/1").status_code == 200  # data faults were not touched


def test_admin_api_sets_and_clears_faults(sandbox) -> None:
    set_response = _admin(sandbox, "POST", "/faults", json={
        "throttle_next": 1, "latency": {"fixed_ms": 5}, "limits": {"max_concurrent": 3},
        "malform": {"realm_id": sandbox.realm_id, "entity": "Bill", "id": "1", "drop_fields": ["TotalAmt"]}})
    throttled = sandbox.client.get("bill/1")
    damaged = sandbox.client.get("bill/1")
    _admin(sandbox, "DELETE", "/faults")
    clean = sandbox.client.get("bill/1")
    counters = _admin(sandbox, "GET", "/counters").json()
    bad = _admin(sandbox, "POST", "/faults", json={"explode": True})

    assert set_response.status_code == 200 and set_response.json()["limits"]["max_concurrent"] == 3
    assert throttled.status_code == 429
    assert "TotalAmt" not in damaged.json()["Bill"] and damaged.headers[LATENCY_HEADER] == "5"
    assert "TotalAmt" in clean.json()["Bill"] and LATENCY_HEADER not in clean.headers
    assert counters["realms"][sandbox.realm_id]["throttled"] == 1 and counters["injected_throttles"] == 1
    assert bad.status_code == 400


def test_admin_api_drops_connections_and_expires_tokens(sandbox) -> None:
    _admin(sandbox, "POST", "/faults", json={"drop_next": {"count": 1}, "fail_next": {"count": 1, "status": 503}})
    with pytest.raises(httpx.RemoteProtocolError):
        sandbox.client.get("bill/1")
    assert sandbox.client.get("bill/1").status_code == 503
    _admin(sandbox, "POST", "/faults", json={"expire_access_tokens": True})

    assert sandbox.client.get("bill/1").status_code == 401


def test_admin_api_mutates_data_moves_the_clock_and_reseeds(sandbox) -> None:
    invoice = sandbox.open_invoice()
    realm_path = f"/realms/{sandbox.realm_id}"

    voided = _admin(sandbox, "POST", f"{realm_path}/mutate",
                    json={"entity": "Invoice", "operation": "void", "body": {"Id": invoice["Id"]}})
    patched = _admin(sandbox, "POST", f"{realm_path}/mutate",
                     json={"entity": "Account", "operation": "patch", "body": {"Id": "1", "CurrentBalance": 12.5}})
    created = _admin(sandbox, "POST", f"{realm_path}/mutate",
                     json={"entity": "Customer", "operation": "create", "body": {"DisplayName": "Admin Customer"}})
    clock = _admin(sandbox, "POST", "/clock", json={"advance_seconds": 3600})
    listed = _admin(sandbox, "GET", f"{realm_path}/entities/Account").json()
    reset = _admin(sandbox, "POST", "/reset", json={"size": 200})

    assert voided.json()["Balance"] == 0 and voided.json()["PrivateNote"] == "Voided"
    assert patched.json()["CurrentBalance"] == 12.5 and patched.json()["SyncToken"] == "1"
    assert created.json()["DisplayName"] == "Admin Customer"
    assert clock.json()["now"] == "2026-11-20T18:00:00+00:00"
    assert listed[0]["CurrentBalance"] == 12.5
    assert reset.status_code == 200 and sandbox.realm.row("Account", "1")["SyncToken"] == "0"
    assert sum(reset.json()[0]["counts"].values()) < 300
