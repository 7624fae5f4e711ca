"""Problem details for every kind of failure; health, readiness, sync requests and the QBO webhook."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from infra.db.heartbeats import WorkerHeartbeats
from infra.interfaces.errors import QboThrottledError, StorageError
from infra.interfaces.records import BillRecord
from qbo_sandbox.webhooks import sign_webhook_body
from tests.runway.api.conftest import NOW, TODAY, VERIFIER_TOKEN

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS and body["status"] == status and body["code"] == code
    assert body["type"].endswith("/" + code)
    return body


# -- errors -----------------------------------------------------------------------------------------------

def test_unknown_route_and_wrong_method_are_problems(api):
    problem(api.get("/v1/nothing-here"), 404, "not_found")
    problem(api.client.delete("/v1/console", headers=api.headers), 405, "method_not_allowed")


def test_unknown_business_is_404(api):
    body = problem(api.get("/v1/businesses/424242/digest"), 404, "not_found")
    assert body["detail"] == "business 424242 not found"


@pytest.mark.parametrize("business_id", ["0", "-1", "abc", "99999999999999999999"])
def test_a_business_id_that_cannot_exist_is_invalid_input(api, business_id):
    body = problem(api.get(f"/v1/businesses/{business_id}/digest"), 422, "invalid_input")
    assert body["field"] == "business_id" and body["errors"][0]["location"] == "path"


def test_malformed_json_is_invalid_input(api):
    response = api.client.post(f"/v1/businesses/{api.portfolio.business_id}/bills/1/payments", content=b"{not json",
                               headers={**api.headers, "Content-Type": "application/json", "Idempotency-Key": "k1"})
    problem(response, 422, "invalid_input")


def test_an_unexpected_error_is_500_without_details(make_api, monkeypatch):
    api = make_api(raise_server_exceptions=False)

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.container.console, "console", explode)
    body = problem(api.get("/v1/console"), 500, "internal_error")
    assert "secret" not in json.dumps(body)


def test_a_storage_failure_is_503_storage_unavailable(make_api, monkeypatch):
    api = make_api()

    def fail(*args, **kwargs):
        raise StorageError("mirror database failed to read bills: OperationalError: disk I/O error")

    monkeypatch.setattr(api.container.bills, "unpaid_bills", fail)
    response = api.get(f"/v1/businesses/{api.portfolio.business_id}/bills")
    body = problem(response, 503, "storage_unavailable")
    assert response.headers["retry-after"] == "5" and "disk" not in body["detail"]


def test_an_unreachable_database_is_503_and_not_ready(make_api, tmp_path):
    api = make_api(database_url=f"sqlite:///{tmp_path}/no/such/dir/mirror.db")
    problem(api.get("/v1/console"), 503, "storage_unavailable")  # the token cannot even be checked
    ready = api.client.get("/ready")
    body = problem(ready, 503, "storage_unavailable")
    assert "readiness" not in body
    assert api.client.get("/health").status_code == 200  # alive, just not ready


def test_qbo_throttling_is_503_with_its_retry_after(api):
    bid = api.portfolio.business_id
    business = api.container.portfolio.get_business(bid)
    bill = api.container.bills.unpaid_bills(bid, limit=1).data[0]
    api.gateway.bills[(business.qbo_realm_id, bill.qbo_id)] = bill
    api.gateway.fail_next(QboThrottledError("slow down", retry_after_seconds=42.2))
    response = api.post(f"/v1/businesses/{bid}/bills/{bill.qbo_id}/payments",
                        json={"amount": "1.00", "bank_account_qbo_id": "35"},
                        headers={**api.headers, "Idempotency-Key": "k-throttled"})
    body = problem(response, 503, "qbo_unavailable")
    assert response.headers["retry-after"] == "43" and body["retry_after_seconds"] == 43


def test_qbo_refusal_is_409(api):
    bid = api.portfolio.other_business_id
    gateway_bill = BillRecord(bid, "B1", "0", "V1", TODAY, TODAY, Decimal("1.00"), Decimal("1.00"))
    api.gateway.bills[("realm-other", "B1")] = gateway_bill  # QBO says the bill is almost paid
    response = api.post(f"/v1/businesses/{bid}/bills/B1/payments",
                        headers={**api.other_headers, "Idempotency-Key": "k-refused"},
                        json={"amount": "50.00", "bank_account_qbo_id": "A1"})
    problem(response, 409, "action_refused")


def test_actions_without_quickbooks_are_503_qbo_not_configured(make_api):
    api = make_api(gateway=None)
    bid = api.portfolio.business_id
    problem(api.post(f"/v1/businesses/{bid}/bills/1/payments", json={"amount": "1.00", "bank_account_qbo_id": "1"},
                     headers={**api.headers, "Idempotency-Key": "k1"}), 503, "qbo_not_configured")
    problem(api.post(f"/v1/businesses/{bid}/invoices/1/reminders"), 503, "qbo_not_configured")


@pytest.mark.parametrize("key", [b"", b"x" * 201, "caf\u00e9".encode("latin-1"), b"tab\there"])
def test_bad_idempotency_keys_are_invalid_input(api, key: bytes):
    bid = api.portfolio.business_id
    response = api.post(f"/v1/businesses/{bid}/bills/1/payments", json={"amount": "1.00", "bank_account_qbo_id": "1"},
                        headers={**api.headers, "Idempotency-Key": key})
    body = problem(response, 422, "invalid_input")
    assert body["field"] == "Idempotency-Key"


# -- health and readiness -----------------------------------------------------------------------------------

def test_health(api):
    assert api.client.get("/health").json() == {"status": "ok"}


def test_ready_unauthenticated_says_only_ready(api):
    WorkerHeartbeats(api.container.session_factory).beat("host-a:4242:w1", NOW - timedelta(seconds=30), "idle")
    response = api.client.get("/ready")
    assert response.status_code == 200 and response.json() == {"status": "ready"}


def test_readiness_detail_needs_a_token_and_covers_the_callers_firm_only(api):
    WorkerHeartbeats(api.container.session_factory).beat("host-a:4242:w1", NOW - timedelta(seconds=30), "idle")
    WorkerHeartbeats(api.container.session_factory).beat("host-b:99:w2", NOW - timedelta(hours=2), "syncing")
    problem(api.client.get("/v1/readiness"), 401, "unauthorized")
    response = api.get("/v1/readiness")
    assert response.status_code == 200
    body = response.json()
    assert "host-a" not in response.text and "4242" not in response.text  # no worker host:pid
    assert body["status"] == "ready" and body["database"] == {"ok": True, "error": None}
    assert body["workers"]["tracked"] is True and body["workers"]["alive"] == 1
    assert body["workers"]["newest_heartbeat_age_seconds"] == 30.0
    sync = body["sync"]
    assert {c["business_id"] for c in sync["per_client"]} == set(api.portfolio.business_ids)  # not the other firm's
    stale = {c["business_id"] for c in sync["per_client"] if c["stale"]}
    assert api.portfolio.stale_business_id in stale
    assert sync["stale"] == len(stale) and sync["oldest_sync_age_hours"] >= 72.0
    other = api.get("/v1/readiness", headers=api.other_headers).json()
    assert {c["business_id"] for c in other["sync"]["per_client"]} == {api.portfolio.other_business_id}


# -- sync requests --------------------------------------------------------------------------------------------

def test_sync_request_is_queued_not_run(api):
    bid = api.portfolio.business_id
    first = api.post(f"/v1/businesses/{bid}/sync", json={"entities": ["Bill"], "reason": "advisor asked"})
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["status"] == "queued" and body["entities"] == ["Bill"] and body["request_count"] == 1
    assert "advisor asked" in body["reason"]
    second = api.post(f"/v1/businesses/{bid}/sync", json={"entities": ["Invoice"]}).json()
    assert second["id"] == body["id"] and second["request_count"] == 2  # merged into the pending request
    assert second["entities"] == ["Bill", "Invoice"]
    everything = api.post(f"/v1/businesses/{bid}/sync").json()
    assert everything["entities"] is None  # no body: every entity
    assert api.gateway.calls == []  # nothing was synced on the request


def test_sync_request_with_an_unknown_entity_is_invalid(api):
    response = api.post(f"/v1/businesses/{api.portfolio.business_id}/sync", json={"entities": ["Ledger"]})
    assert problem(response, 422, "invalid_input")["field"] == "entities.0"


# -- the QBO webhook ----------------------------------------------------------------------------------------------

WEBHOOK = json.dumps({"eventNotifications": [{"realmId": "realm-other", "dataChangeEvent": {"entities": [
    {"name": "Bill", "id": "B1", "operation": "Update", "lastUpdated": "2026-11-27T12:00:00.000Z"}]}}]}).encode()


def test_webhook_with_a_wrong_or_missing_signature_is_401(api):
    problem(api.client.post("/v1/webhooks/qbo", content=WEBHOOK), 401, "invalid_signature")
    wrong = sign_webhook_body("another-token", WEBHOOK)
    problem(api.client.post("/v1/webhooks/qbo", content=WEBHOOK, headers={"intuit-signature": wrong}),
            401, "invalid_signature")
    tampered = sign_webhook_body(VERIFIER_TOKEN, WEBHOOK)
    problem(api.client.post("/v1/webhooks/qbo", content=WEBHOOK + b" ", headers={"intuit-signature": tampered}),
            401, "invalid_signature")


def _signed(body: bytes) -> dict[str, str]:
    return {"intuit-signature": sign_webhook_body(VERIFIER_TOKEN, body)}


def test_a_signed_webhook_queues_a_sync_of_the_named_entities(api):
    response = api.client.post("/v1/webhooks/qbo", content=WEBHOOK, headers=_signed(WEBHOOK))
    assert response.status_code == 200, response.text
    assert response.json() == {"notifications": 1, "queued": 1, "unknown_realms": 0, "ignored_entities": 0}
    # the queued request is the one the API shows for that business (merged with a request made there)
    queued = api.post(f"/v1/businesses/{api.portfolio.other_business_id}/sync", headers=api.other_headers,
                      json={"entities": ["Invoice"]}).json()
    assert queued["entities"] == ["Bill", "Invoice"] and queued["request_count"] == 2
    assert "webhook" in queued["reason"]
    assert api.gateway.calls == []  # a notification is a hint, never data: nothing is read on the request


def test_a_webhook_for_an_unknown_company_is_accepted_and_ignored(api):
    body = json.dumps({"eventNotifications": [{"realmId": "nobody", "dataChangeEvent": {"entities": [
        {"name": "Bill", "id": "1", "operation": "Create"}, {"name": "TimeActivity", "id": "2"}]}}]}).encode()
    response = api.client.post("/v1/webhooks/qbo", content=body, headers=_signed(body))
    assert response.json() == {"notifications": 2, "queued": 0, "unknown_realms": 1, "ignored_entities": 1}


def test_a_signed_body_that_is_not_a_notification_is_invalid_input(api):
    body = b'{"hello": "world"}'
    response = api.client.post("/v1/webhooks/qbo", content=body, headers=_signed(body))
    assert problem(response, 422, "invalid_input")["field"] == "body"


def test_webhook_without_a_verifier_token_is_501(make_api):
    api = make_api(qbo_webhook_verifier_token=None)
    response = api.client.post("/v1/webhooks/qbo", content=WEBHOOK, headers={"intuit-signature": "x"})
    problem(response, 501, "not_implemented")


def test_a_payment_without_an_idempotency_key_is_400_and_pays_nothing(api):
    bid = api.portfolio.business_id
    business = api.container.portfolio.get_business(bid)
    bill = api.container.bills.unpaid_bills(bid, limit=1).data[0]
    api.gateway.bills[(business.qbo_realm_id, bill.qbo_id)] = bill
    response = api.post(f"/v1/businesses/{bid}/bills/{bill.qbo_id}/payments",
                        json={"amount": "1.00", "bank_account_qbo_id": "35"})
    body = problem(response, 400, "idempotency_key_required")
    assert body["field"] == "Idempotency-Key"
    assert not api.container.payments.bill_payments(bid, status="pending").data  # nothing was even pending


def test_openapi_says_payments_require_an_idempotency_key(api):
    operation = api.app.openapi()["paths"]["/v1/businesses/{business_id}/bills/{bill_qbo_id}/payments"]["post"]
    (header,) = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and header["required"] is True
    assert "400" in operation["responses"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PaymentIn")
    assert "PaymentIn" in api.app.openapi()["components"]["schemas"]
