"""Sandbox faults against the client's retry policy, over real HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from infra.interfaces.errors import QboThrottledError, QboUnavailableError
from infra.qbo import MalformedEntityError, to_bill_record


def test_a_read_is_retried_through_two_503s(qbo) -> None:
    qbo.client.read(qbo.realm_id, "Bill", "1")
    qbo.counters.reset()
    qbo.state.faults.fail_next(2, 503)

    bill = qbo.client.read(qbo.realm_id, "Bill", "3")

    assert bill == qbo.realm.get("Bill", "3", decimal=True)
    assert qbo.counters.requests(qbo.realm_id) == 3 and qbo.counters.status(503) == 2
    assert qbo.counters.get("injected_errors") == 2
    assert [e.status for e in qbo.transport.data()[-3:]] == [503, 503, 200]
    assert len(qbo.retry_sleeps) == 2  # exponential backoff (recorded, not slept)
    assert 0.005 <= qbo.retry_sleeps[0] <= 0.01 and 0.01 <= qbo.retry_sleeps[1] <= 0.02


def test_a_read_fails_after_the_last_attempt(make_qbo) -> None:
    qbo = make_qbo(max_attempts=3)
    qbo.state.faults.fail_next(5, 500)

    with pytest.raises(QboUnavailableError) as caught:
        qbo.client.query(qbo.realm_id, "SELECT * FROM Bill MAXRESULTS 5")

    assert caught.value.status_code == 500 and caught.value.fault_code == "10000" and caught.value.intuit_tid
    assert qbo.counters.requests(qbo.realm_id) == 3


def test_a_dropped_connection_on_a_read_is_retried(qbo) -> None:
    qbo.client.read(qbo.realm_id, "Bill", "1")
    qbo.state.faults.drop_next(1)

    rows = qbo.client.query_page(qbo.realm_id, "Bill", 1, page_size=10)

    assert [row["Id"] for row in rows] == [b["Id"] for b in qbo.realm.all_entities("Bill")[:10]]
    assert qbo.counters.get("dropped_connections") == 1
    assert [e.status for e in qbo.transport.data()[-2:]] == [None, 200]  # no answer, then the answer
    assert len(qbo.retry_sleeps) == 1


def test_a_retried_payment_create_does_not_double_pay(qbo) -> None:
    """The answer to a committed BillPayment is lost; the retry carries the same requestid and QBO answers
    the first result: one payment, the bill lowered once."""
    bill = qbo.open_bill()
    amount = min(Decimal("25.50"), bill["Balance"])
    payments_before = {p["Id"] for p in qbo.realm.all_entities("BillPayment")}
    qbo.state.faults.drop_next(1, after_processing=True)

    created = qbo.client.create(qbo.realm_id, "BillPayment", qbo.payment_body(bill, amount),
                                request_id="runway-pay-42")

    new_payments = [p for p in qbo.realm.all_entities("BillPayment", decimal=True) if p["Id"] not in payments_before]
    assert len(new_payments) == 1 and new_payments[0] == created
    assert qbo.realm.get("Bill", bill["Id"], decimal=True)["Balance"] == bill["Balance"] - amount
    posts = [e for e in qbo.transport.data() if e.method == "POST"]
    assert [e.status for e in posts] == [None, 200]
    assert [e.params["requestid"] for e in posts] == ["runway-pay-42", "runway-pay-42"]
    assert qbo.counters.get("dropped_connections") == 1 and qbo.counters.requests(qbo.realm_id) == 2


def test_a_payment_create_retried_through_a_503_after_processing_pays_once(qbo) -> None:
    bill = qbo.open_bill()
    amount = min(Decimal("3.00"), bill["Balance"])
    before = qbo.realm.counts()["BillPayment"]
    qbo.state.faults.fail_next(1, 503, after_processing=True)

    created = qbo.client.create(qbo.realm_id, "BillPayment", qbo.payment_body(bill, amount), request_id="pay-503")

    assert qbo.realm.counts()["BillPayment"] == before + 1
    assert qbo.realm.get("BillPayment", created["Id"], decimal=True) == created
    assert qbo.realm.get("Bill", bill["Id"], decimal=True)["Balance"] == bill["Balance"] - amount


def test_a_create_without_requestid_is_not_retried_on_503(qbo) -> None:
    bill = qbo.open_bill()
    before = qbo.realm.counts()["BillPayment"]
    qbo.client.read(qbo.realm_id, "Bill", bill["Id"])  # connect first: the token request is not a data request
    qbo.counters.reset()
    qbo.state.faults.fail_next(1, 503)

    with pytest.raises(QboUnavailableError) as caught:
        qbo.client.create(qbo.realm_id, "BillPayment", qbo.payment_body(bill, Decimal("1.00")))

    assert caught.value.status_code == 503
    assert qbo.counters.requests(qbo.realm_id) == 1  # exactly one request reached the sandbox
    assert qbo.retry_sleeps == []
    assert qbo.realm.counts()["BillPayment"] == before


def test_a_create_without_requestid_whose_answer_is_lost_is_not_repeated(qbo) -> None:
    """Why requestid matters: without it the client must not retry, and the payment did happen."""
    bill = qbo.open_bill()
    amount = min(Decimal("2.00"), bill["Balance"])
    before = qbo.realm.counts()["BillPayment"]
    qbo.state.faults.drop_next(1, after_processing=True)

    with pytest.raises(QboUnavailableError) as caught:
        qbo.client.create(qbo.realm_id, "BillPayment", qbo.payment_body(bill, amount))

    assert caught.value.status_code is None
    assert len([e for e in qbo.transport.data() if e.method == "POST"]) == 1
    assert qbo.realm.counts()["BillPayment"] == before + 1  # committed once, not twice
    assert qbo.realm.get("Bill", bill["Id"], decimal=True)["Balance"] == bill["Balance"] - amount


def test_a_malformed_amount_raises_malformed_entity_naming_it(qbo) -> None:
    qbo.state.faults.malform(qbo.realm_id, "Bill", "4", set_fields={"TotalAmt": "abc"})

    payload = qbo.client.read(qbo.realm_id, "Bill", "4")
    with pytest.raises(MalformedEntityError) as caught:
        to_bill_record(qbo.business.id, payload)

    error = caught.value
    assert (error.entity, error.entity_id) == ("Bill", "4")
    assert "TotalAmt" in error.reason and "Bill 4" in str(error)
    # In a page, the other rows still map; only the damaged one is refused.
    rows = qbo.client.query_page(qbo.realm_id, "Bill", 1, page_size=10)
    failures = []
    for row in rows:
        try:
            to_bill_record(qbo.business.id, row)
        except MalformedEntityError as exc:
            failures.append(exc.entity_id)
    assert failures == ["4"]
    assert qbo.counters.get("malformed_served") == 2


def test_an_entity_without_id_is_malformed(qbo) -> None:
    qbo.state.faults.malform(qbo.realm_id, "Bill", "5", drop_fields=["Id"])

    payload = qbo.client.read(qbo.realm_id, "Bill", "5")
    with pytest.raises(MalformedEntityError) as caught:
        to_bill_record(qbo.business.id, payload)

    assert caught.value.entity == "Bill" and "id" in caught.value.reason.lower()


def test_an_xml_throttle_body_is_understood_as_a_throttle(make_qbo) -> None:
    qbo = make_qbo(max_attempts=1)
    qbo.state.limits.configure(xml_throttle_body=True)
    qbo.state.faults.throttle_next(1)

    with pytest.raises(QboThrottledError) as caught:
        qbo.client.read(qbo.realm_id, "Bill", "1")

    error = caught.value
    assert error.status_code == 429 and error.fault_code == "3001" and error.intuit_tid
    assert "ThrottleExceeded" in error.message
    assert qbo.limiters.for_realm(qbo.realm_id).paused_for() == pytest.approx(60.0)


def test_an_xml_throttle_is_waited_out_and_retried(qbo) -> None:
    qbo.state.limits.configure(xml_throttle_body=True)
    qbo.state.faults.throttle_next(1)

    assert qbo.client.read(qbo.realm_id, "Bill", "1")["Id"] == "1"
    assert [e.status for e in qbo.transport.data()] == [429, 200]
    assert any(abs(sleep - 60.0) < 1e-6 for sleep in qbo.time.sleeps)


def test_a_token_endpoint_outage_is_retried_as_not_sent(qbo) -> None:
    qbo.state.faults.fail_next(1, 503, target="oauth")

    assert qbo.client.read(qbo.realm_id, "Bill", "1")["Id"] == "1"
    assert [e.status for e in qbo.transport.token()] == [503, 200]
    assert qbo.counters.requests(qbo.realm_id) == 1


def test_a_payment_create_that_times_out_is_retried_with_its_requestid_and_pays_once(make_qbo) -> None:
    """The sandbox commits the payment, then holds the answer past the client's read timeout. Before the
    retry the delay is switched off (which also releases the held answer)."""
    qbo = make_qbo(on_retry=lambda _seconds: qbo.state.faults.set_latency(0), read_timeout_seconds=1.0)
    state = qbo.state
    qbo.client.read(qbo.realm_id, "Bill", "1")  # connected before the delay is switched on
    bill = qbo.open_bill()
    amount = min(Decimal("4.00"), bill["Balance"])
    before = qbo.realm.counts()["BillPayment"]
    state.faults.set_latency(fixed_ms=30_000)

    created = qbo.client.create(qbo.realm_id, "BillPayment", qbo.payment_body(bill, amount), request_id="slow-pay")

    assert qbo.realm.counts()["BillPayment"] == before + 1
    assert qbo.realm.get("BillPayment", created["Id"], decimal=True) == created
    assert qbo.realm.get("Bill", bill["Id"], decimal=True)["Balance"] == bill["Balance"] - amount
    posts = [e for e in qbo.transport.data() if e.method == "POST"]
    assert [e.status for e in posts] == [None, 200] and {e.params["requestid"] for e in posts} == {"slow-pay"}
    assert len(qbo.retry_sleeps) == 1


@pytest.mark.slow  # forty threads against the sandbox
def test_forty_threads_ride_out_a_mix_of_faults(make_qbo) -> None:
    """503s, dropped connections and a throttle burst, spread over 40 threads of one client: every read
    succeeds (more attempts than faults, so no request can run out), each fault costs exactly one request."""
    qbo = make_qbo(max_attempts=40)
    qbo.client.read(qbo.realm_id, "Bill", "1")
    qbo.counters.reset()
    faults = qbo.state.faults
    faults.set_latency(fixed_ms=5)
    faults.fail_next(12, 503)
    faults.drop_next(6)
    faults.throttle_next(2)
    faults.fail_next(4, 500)

    with ThreadPoolExecutor(40) as pool:
        ids = list(pool.map(lambda i: qbo.client.read(qbo.realm_id, "Bill", str(1 + i % 180))["Id"], range(200)))

    assert ids == [str(1 + i % 180) for i in range(200)]
    assert qbo.counters.requests(qbo.realm_id) == 200 + 12 + 6 + 2 + 4
    assert qbo.counters.throttled(qbo.realm_id) == 2  # only the injected ones: the limits were never hit
    assert qbo.counters.get("dropped_connections") == 6 and qbo.counters.get("injected_errors") == 16
    assert qbo.counters.max_concurrency(qbo.realm_id) <= 10
    assert faults.describe()["rules"] == []
