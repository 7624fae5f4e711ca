"""Pattern 2 actions through the HTTP API, against the in-process QBO sandbox with a real SQLite mirror.

The container is the real composition root wired to the sandbox over HTTP with the company synced
(``sandbox_company``, tests/fixtures/sandbox.py); what the API answers is checked against what the sandbox
holds.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from runway.api import create_app
from tests.runway.api.conftest import auth, seed_other_firm


class Live:
    def __init__(self, client: TestClient, container, business, store, token: str, other_token: str,
                 other_business_id: int) -> None:
        self.client = client
        self.container = container
        self.business = business
        self.store = store
        self.headers = auth(token)
        self.other_headers = auth(other_token)
        self.other_business_id = other_business_id

    def pay(self, bill_id: str, body: dict, key: str | None = None, business_id: int | None = None):
        """POST a payment; ``key`` None sends a fresh Idempotency-Key (one is required)."""
        headers = dict(self.headers)
        headers["Idempotency-Key"] = key if key is not None else f"test-{uuid.uuid4()}"
        url = f"/v1/businesses/{business_id or self.business.id}/bills/{bill_id}/payments"
        return self.client.post(url, json=body, headers=headers)

    def bill_payments_in_qbo(self) -> int:
        return len(self.store.all_entities("BillPayment"))

    def open_bill(self, more_than: str = "50"):
        return next(b for b in self.store.all_entities("Bill", decimal=True) if b["Balance"] > Decimal(more_than))

    def bank_account(self) -> str:
        return next(a["Id"] for a in self.store.all_entities("Account") if a["AccountType"] == "Bank")


@pytest.fixture
def live(sandbox_company):
    """An API client over the sandbox-wired container, with an advisor of its firm and one of another firm."""
    c, business = sandbox_company.container, sandbox_company.business
    _, other_business_id = seed_other_firm(c)
    c.advisors.create_advisor("Test Firm", "tess@test.example")
    c.advisors.create_advisor("Other Firm", "olga@other.example")
    token = c.advisors.create_token("tess@test.example").token
    other_token = c.advisors.create_token("olga@other.example").token
    return Live(TestClient(create_app(c)), c, business, sandbox_company.store, token, other_token, other_business_id)


@pytest.fixture
def sandbox(sandbox_company):
    return sandbox_company.sandbox


def test_a_payment_is_made_in_qbo_and_shows_in_the_mirror(live):
    bill, bank = live.open_bill(), live.bank_account()
    before = live.bill_payments_in_qbo()
    response = live.pay(bill["Id"], {"amount": "12.50", "bank_account_qbo_id": bank})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["payment"]["status"] == "completed" and body["payment"]["total_amount"] == "12.50"
    assert body["bill"]["balance"] == f"{bill['Balance'] - Decimal('12.50'):.2f}"
    assert live.bill_payments_in_qbo() == before + 1
    listed = live.client.get(f"/v1/businesses/{live.business.id}/payments", params={"status": "completed"},
                             headers=live.headers).json()
    assert body["payment"]["qbo_id"] in {p["qbo_id"] for p in listed["payments"]}


def test_the_same_idempotency_key_twice_pays_once_and_answers_the_same_body(live):
    bill, bank = live.open_bill(), live.bank_account()
    before = live.bill_payments_in_qbo()
    payment = {"amount": "20.00", "bank_account_qbo_id": bank}
    first = live.pay(bill["Id"], payment, key="api-pay-1")
    second = live.pay(bill["Id"], {**payment, "amount": "20"}, key="api-pay-1")  # same amount, spelled differently
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert "idempotency-replayed" not in first.headers and second.headers["idempotency-replayed"] == "true"
    assert live.bill_payments_in_qbo() == before + 1
    assert live.store.get("Bill", bill["Id"], decimal=True)["Balance"] == bill["Balance"] - Decimal("20.00")


def test_the_same_key_with_a_different_body_is_refused(live):
    bill, bank = live.open_bill(), live.bank_account()
    assert live.pay(bill["Id"], {"amount": "5.00", "bank_account_qbo_id": bank}, key="api-pay-2").status_code == 201
    before = live.bill_payments_in_qbo()
    reused = live.pay(bill["Id"], {"amount": "6.00", "bank_account_qbo_id": bank}, key="api-pay-2")
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["code"] == "idempotency_key_reused"
    other_bill = next(b for b in live.store.all_entities("Bill", decimal=True)
                      if b["Balance"] > Decimal("50") and b["Id"] != bill["Id"])
    elsewhere = live.pay(other_bill["Id"], {"amount": "5.00", "bank_account_qbo_id": bank}, key="api-pay-2")
    assert elsewhere.status_code == 422 and elsewhere.json()["code"] == "idempotency_key_reused"
    assert live.bill_payments_in_qbo() == before


def test_racing_requests_with_one_key_pay_once(live):
    bill, bank = live.open_bill(), live.bank_account()
    before = live.bill_payments_in_qbo()
    payment = {"amount": "7.00", "bank_account_qbo_id": bank}
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _: live.pay(bill["Id"], payment, key="api-race"), range(4)))
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert live.bill_payments_in_qbo() == before + 1


def test_qbo_unavailable_during_a_payment_pays_nothing_and_a_retry_pays_once(live, sandbox):
    bill, bank = live.open_bill(), live.bank_account()
    before = live.bill_payments_in_qbo()
    completed_before = len(live.container.payments.bill_payments(live.business.id, status="completed").data)
    sandbox.state.faults.fail_next(10, status=503)
    response = live.pay(bill["Id"], {"amount": "9.00", "bank_account_qbo_id": bank}, key="api-pay-3")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["code"] == "qbo_unavailable" and body["retry_after_seconds"] == int(response.headers["retry-after"])
    assert live.bill_payments_in_qbo() == before
    assert len(live.container.payments.bill_payments(live.business.id, status="completed").data) == completed_before
    # The key stays bound to that request: the half-done payment cannot be retried as another amount.
    other_amount = live.pay(bill["Id"], {"amount": "8.00", "bank_account_qbo_id": bank}, key="api-pay-3")
    assert other_amount.status_code == 422 and other_amount.json()["code"] == "idempotency_key_reused"

    sandbox.state.faults.clear()
    retried = live.pay(bill["Id"], {"amount": "9.00", "bank_account_qbo_id": bank}, key="api-pay-3")
    assert retried.status_code == 201, retried.text
    assert live.bill_payments_in_qbo() == before + 1
    assert len(live.container.payments.bill_payments(live.business.id, status="completed").data) == completed_before + 1


def test_qbo_refusing_a_payment_is_409_and_nothing_is_paid(live):
    bill = live.open_bill()
    before = live.bill_payments_in_qbo()
    response = live.pay(bill["Id"], {"amount": "3.00", "bank_account_qbo_id": "no-such-account"})
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "action_refused"
    assert live.bill_payments_in_qbo() == before


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": "0", "bank_account_qbo_id": "1"}, "amount"),
    ({"amount": "1.001", "bank_account_qbo_id": "1"}, "amount"),
    ({"amount": 12.5, "bank_account_qbo_id": "1"}, "amount"),  # a JSON number: money is a string
    ({"amount": "99999999.00", "bank_account_qbo_id": "1"}, "amount"),  # more than the bill's balance
    ({"bank_account_qbo_id": "1"}, "amount"),
    ({"amount": "1.00"}, "bank_account_qbo_id"),
    ({"amount": "1.00", "bank_account_qbo_id": "1", "extra": True}, "extra"),
])
def test_invalid_payments_name_the_field(live, body, field):
    before = live.bill_payments_in_qbo()
    response = live.pay(live.open_bill()["Id"], body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_input" and response.json()["field"] == field
    assert live.bill_payments_in_qbo() == before


def test_paying_an_unknown_bill_is_404(live):
    response = live.pay("no-such-bill", {"amount": "1.00", "bank_account_qbo_id": live.bank_account()})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_send_reminder_goes_through_qbo(live, sandbox):
    overdue = live.container.collections.overdue_invoices(live.business.id, limit=1).data[0].invoice
    response = live.client.post(f"/v1/businesses/{live.business.id}/invoices/{overdue.qbo_id}/reminders",
                                json={"send_to": "ap@client.example"}, headers=live.headers)
    assert response.status_code == 200, response.text
    assert response.json()["invoice"]["email_status"] == "EmailSent"
    sent = [(m.invoice_id, m.to) for m in sandbox.state.outbox(live.business.qbo_realm_id)]
    assert (overdue.qbo_id, "ap@client.example") in sent


def test_a_reminder_for_an_invoice_that_is_not_overdue_is_invalid(live):
    today = live.container.clock.today()
    current = next(i for i in live.store.all_entities("Invoice", decimal=True)
                   if i["Balance"] > 0 and i.get("DueDate") and i["DueDate"] >= today.isoformat())
    response = live.client.post(f"/v1/businesses/{live.business.id}/invoices/{current['Id']}/reminders",
                                headers=live.headers)
    assert response.status_code == 422 and response.json()["field"] == "invoice_qbo_id"


def test_qbo_unavailable_during_a_reminder(live, sandbox):
    overdue = live.container.collections.overdue_invoices(live.business.id, limit=1).data[0].invoice
    sandbox.state.faults.fail_next(10, status=503)
    response = live.client.post(f"/v1/businesses/{live.business.id}/invoices/{overdue.qbo_id}/reminders",
                                headers=live.headers)
    assert response.status_code == 503 and response.json()["code"] == "qbo_unavailable"
    assert "retry-after" in response.headers


def test_actions_on_another_firms_business_are_404_and_reach_nothing(live):
    before = live.bill_payments_in_qbo()
    response = live.pay("B1", {"amount": "1.00", "bank_account_qbo_id": "A1"}, key="x",
                        business_id=live.other_business_id)
    assert response.status_code == 404
    assert live.bill_payments_in_qbo() == before


def test_cash_is_read_live_from_qbo(live, sandbox):
    response = live.client.get(f"/v1/businesses/{live.business.id}/cash", headers=live.headers)
    body = response.json()
    assert body["source"] == "live" and body["fell_back"] is False
    expected = sum((a["CurrentBalance"] for a in live.store.all_entities("Account", decimal=True)
                    if a["AccountType"] == "Bank" and a.get("Active", True)), Decimal("0"))
    assert Decimal(body["total"]) == expected

