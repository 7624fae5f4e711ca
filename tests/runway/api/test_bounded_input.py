"""Bounded work before authentication (body limits, JSON depth, one realm lookup) and strict input."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qbo_sandbox.webhooks import sign_webhook_body
from runway.api import create_app
from runway.api.limits import ApiLimits
from runway.jsonbounds import json_depth_exceeds, parse_json
from tests.runway.api.conftest import VERIFIER_TOKEN, auth
from tests.runway.api.served import served_api
from tests.runway.api.test_errors_and_ops import problem

MB = 1024 * 1024


def _asgi_post(app, path: str, chunks: Iterator[bytes], headers: dict[str, str]) -> tuple[int, bytes, int]:
    """POST to ``app`` straight through ASGI with a body produced lazily by ``chunks`` (never held whole);
    answers (status, body, bytes the app pulled from the body)."""
    pulled = 0
    sent: list[dict] = []

    async def receive() -> dict:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, pulled


def _megabytes(n: int) -> Iterator[bytes]:
    chunk = b"[" * MB
    for _ in range(n):
        yield chunk


def test_an_unauthenticated_300_mb_body_is_refused_without_being_read(api):
    path = f"/v1/businesses/{api.portfolio.business_id}/bills/1/payments"
    status, body, pulled = _asgi_post(api.app, path, _megabytes(300), {"content-type": "application/json"})
    assert status == 401 and json.loads(body)["code"] == "unauthorized"
    assert pulled == 0  # the token is checked before a byte of the body is read


def test_an_authenticated_oversized_chunked_body_is_413_after_the_limit(api):
    path = f"/v1/businesses/{api.portfolio.business_id}/bills/1/payments"
    headers = {"content-type": "application/json", "authorization": f"Bearer {api.portfolio.token}",
               "idempotency-key": "k-big"}
    status, body, pulled = _asgi_post(api.app, path, _megabytes(300), headers)
    assert status == 413 and json.loads(body)["code"] == "body_too_large"
    assert pulled <= 2 * MB  # stopped at the first chunk past the 16 KiB limit


def test_a_declared_oversized_body_is_413_before_the_app_runs(api):
    response = api.client.post("/v1/webhooks/qbo", content=b"x" * (MB + 1),
                               headers={"intuit-signature": "irrelevant"})
    body = problem(response, 413, "body_too_large")
    assert body["limit_bytes"] == MB


def test_the_webhook_limit_is_configurable(make_api):
    api = make_api()
    app = create_app(api.container, limits=ApiLimits(webhook_max_body_bytes=2048))
    status, body, _ = _asgi_post(app, "/v1/webhooks/qbo", iter([b"{" * 1500, b"}" * 1500]), {})
    assert status == 413 and json.loads(body)["limit_bytes"] == 2048


def test_a_deeply_nested_signed_webhook_is_422_not_500(api):
    raw = b'{"eventNotifications":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = api.client.post("/v1/webhooks/qbo", content=raw,
                               headers={"intuit-signature": sign_webhook_body(VERIFIER_TOKEN, raw)})
    body = problem(response, 422, "invalid_input")
    assert "deeper" in body["detail"]


def test_a_deeply_nested_action_body_is_422(api):
    bid = api.portfolio.business_id
    response = api.post(f"/v1/businesses/{bid}/sync", content=b"[" * 5000 + b"]" * 5000,
                        headers={**api.headers, "content-type": "application/json"})
    problem(response, 422, "invalid_input")


def test_webhook_realms_are_looked_up_in_one_query_and_reach_every_firm_on_a_realm(api):
    from sqlalchemy import event

    second_firm = api.container.writer.create_firm("Second Opinion CPAs")  # realm-other's second firm
    api.container.writer.create_business(second_firm.id, "Gamma Studio", "realm-other")
    realms = [f"unknown-{i}" for i in range(7_000)] + ["realm-other"]
    raw = json.dumps({"eventNotifications": [
        {"realmId": r, "dataChangeEvent": {"entities": [{"name": "Bill"}]}} for r in realms]},
                     separators=(",", ":")).encode()
    selects: list[str] = []

    def count(conn, cursor, statement, *args):
        if "qbo_realm_id" in statement and statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(api.container.engine, "before_cursor_execute", count)
    try:
        response = api.client.post("/v1/webhooks/qbo", content=raw,
                                   headers={"intuit-signature": sign_webhook_body(VERIFIER_TOKEN, raw)})
    finally:
        event.remove(api.container.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    assert response.json()["unknown_realms"] == 7_000 and response.json()["queued"] == 2  # both firms' businesses
    assert len(selects) <= 2  # batches of 5,000 realms, never one query per realm


def test_json_depth_is_measured_without_parsing():
    assert not json_depth_exceeds(b'{"a": [1, {"b": "[[[[[[[["}]}', 3)
    assert json_depth_exceeds(b"[[[[1]]]]", 3)
    assert not json_depth_exceeds(b"[[[1]]]", 3)
    assert not json_depth_exceeds(b'"\\"[[[["', 1)


def test_duplicate_keys_are_refused():
    with pytest.raises(Exception, match="duplicate key 'amount'"):
        parse_json(b'{"amount": "1.00", "amount": "900.00"}')


# -- strict input ---------------------------------------------------------------------------------------------

def _pay(api, body, key="k-strict"):
    bid = api.portfolio.business_id
    return api.post(f"/v1/businesses/{bid}/bills/1/payments", json=body,
                    headers={**api.headers, "Idempotency-Key": key})


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": "\uff11.00", "bank_account_qbo_id": "35"}, "amount"),
    ({"amount": "\u0661\u0662", "bank_account_qbo_id": "35"}, "amount"),
    ({"amount": "1.001", "bank_account_qbo_id": "35"}, "amount"),
    ({"amount": 1, "bank_account_qbo_id": "35"}, "amount"),
    ({"amount": "1.00", "bank_account_qbo_id": "35\u0000"}, "bank_account_qbo_id"),
    ({"amount": "1.00", "bank_account_qbo_id": "3\u00075"}, "bank_account_qbo_id"),
    ({"amount": "1.00", "bank_account_qbo_id": "35", "txn_date": "0001-01-01"}, "txn_date"),
    ({"amount": "1.00", "bank_account_qbo_id": "35", "txn_date": "9999-12-31"}, "txn_date"),
    ({"amount": "1.00", "bank_account_qbo_id": "35", "txn_date": "2026-11-27T00:00:00"}, "txn_date"),
    ({"amount": "1.00", "bank_account_qbo_id": "35", "txn_date": 20261127}, "txn_date"),
])
def test_lax_payment_input_is_422(api, body, field):
    body_ = problem(_pay(api, body), 422, "invalid_input")
    assert body_["field"] == field


def test_duplicate_json_keys_in_a_payment_are_422(api):
    bid = api.portfolio.business_id
    response = api.post(f"/v1/businesses/{bid}/bills/1/payments",
                        content=b'{"amount": "1.00", "bank_account_qbo_id": "35", "amount": "9000.00"}',
                        headers={**api.headers, "Idempotency-Key": "k-dup", "content-type": "application/json"})
    body = problem(response, 422, "invalid_input")
    assert "duplicate" in body["detail"]


@pytest.mark.parametrize("sync", [{"full": 0}, {"full": "yes"}, {"full": 1}, {"reason": "nul\u0000here"},
                                  {"reason": "line\nbreak"}])
def test_lax_sync_input_is_422(api, sync):
    problem(api.post(f"/v1/businesses/{api.portfolio.business_id}/sync", json=sync), 422, "invalid_input")


@pytest.mark.parametrize("business_id", ["01", "+1", "1.0", "%2B1", "1e0", "\uff11"])
def test_path_ids_must_be_canonical(api, business_id):
    problem(api.get(f"/v1/businesses/{business_id}/digest"), 422, "invalid_input")


@pytest.mark.parametrize("query", [{"start": "0001-01-01"}, {"start": "2026-11-01T00:00:00"},
                                   {"end": "9999-12-31"}, {"start": "20261101"}])
def test_query_dates_are_dates_within_the_window(api, query):
    problem(api.get(f"/v1/businesses/{api.portfolio.business_id}/payments", params=query), 422, "invalid_input")


def test_a_trailing_slash_is_404_never_a_redirect_to_the_callers_host(api):
    response = api.client.get("/v1/console/", headers={**api.headers, "Host": "evil.example"},
                              follow_redirects=False)
    problem(response, 404, "not_found")
    assert "location" not in response.headers


# -- the same through a real server process, with its memory measured -----------------------------------------

def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to read the server's peak memory")
def test_a_300_mb_unauthenticated_body_keeps_the_server_under_200_mb(portfolio, tmp_path):
    # One process, so that its peak memory is the server's.
    with served_api(portfolio.path, tmp_path, workers=1) as served:
        answers = []
        for path in (f"/v1/businesses/{portfolio.business_id}/bills/1/payments", "/v1/webhooks/qbo"):
            try:
                answers.append(httpx.post(served.base_url + path, content=_megabytes(300), timeout=60).status_code)
            except httpx.HTTPError:
                answers.append("closed")  # the server answered and closed while the client was still sending
        assert set(answers) <= {401, 413, "closed"}, answers
        assert httpx.get(f"{served.base_url}/health", timeout=5).status_code == 200
        assert _peak_rss_mb(served.process.pid) < 200


@pytest.mark.parametrize(("url", "body", "field"), [
    ("sync", {"reason": "nul\u0000here"}, "reason"),
    ("pay", {"amount": "1.00", "bank_account_qbo_id": "35\u0000"}, "bank_account_qbo_id"),
    ("remind", {"send_to": "a\u0000@b.example"}, "send_to"),
])
def test_a_nul_character_is_422_on_every_database(any_api, url, body, field):
    bid = any_api.portfolio.business_id
    path = {"sync": f"/v1/businesses/{bid}/sync", "pay": f"/v1/businesses/{bid}/bills/1/payments",
            "remind": f"/v1/businesses/{bid}/invoices/1/reminders"}[url]
    response = any_api.post(path, json=body, headers={**any_api.headers, "Idempotency-Key": f"k-nul-{url}"})
    assert problem(response, 422, "invalid_input")["field"] == field


@pytest.mark.parametrize("url", ["/v1/businesses/01/digest", "/v1/businesses/{id}/invoices/overdue?limit=0",
                                 "/v1/businesses/{id}/payments?start=0001-01-01"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer rk_not-a-token"}, "revoked"])
def test_a_caller_whose_token_is_refused_learns_nothing_of_its_input(api, url, headers):
    """Read routes check the token inside the answer's transaction, after FastAPI validated the input: a
    refused token is still 401, never a 422 that says which input was wrong."""
    if headers == "revoked":
        headers = auth(api.portfolio.revoked_token)
    url = url.format(id=api.portfolio.business_id)
    problem(api.get(url, headers=headers), 401, "unauthorized")
    problem(api.get(url), 422, "invalid_input")  # the same input from a caller whose token is good
