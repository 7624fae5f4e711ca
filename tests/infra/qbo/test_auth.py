"""OAuth: refresh before expiry, once on 401, rotation saved, invalid_grant -> reconnect, one refresh per realm."""

from __future__ import annotations

import base64
import threading
import time
from datetime import timedelta

import httpx
import pytest

from infra.interfaces.errors import QboAuthError, QboReconnectRequired
from infra.qbo import ConnectionStatus, OAuthTokens
from tests.fakes.qbo_tokens import InMemoryTokenStore
from tests.infra.qbo.conftest import NOW, REALM, fresh_tokens, json_response, token_response
from tests.infra.qbo.test_faults import AUTH_LOWER

OK = {"QueryResponse": {}}


def ok(request: httpx.Request) -> httpx.Response:
    return json_response(200, OK)


def accepts_only(token: str):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == f"Bearer {token}":
            return json_response(200, OK)
        return json_response(401, AUTH_LOWER, tid="t401")
    return handler


def form(request: httpx.Request) -> dict[str, str]:
    return dict(httpx.QueryParams(request.content.decode()))


def test_token_valid_beyond_the_margin_is_used_without_refresh(harness_factory):
    h = harness_factory(ok)
    h.client.query(REALM, "SELECT * FROM Bill")
    assert h.qbo.token_requests == [] and h.store.saved == []


def test_token_expiring_within_the_margin_is_refreshed_first_and_the_rotation_saved(harness_factory):
    store = InMemoryTokenStore(fresh_tokens(expires_in=200))  # margin is 300 s
    h = harness_factory(accepts_only("access-2"), store=store)
    h.client.query(REALM, "SELECT * FROM Bill")

    (token_request,) = h.qbo.token_requests
    assert form(token_request) == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}
    assert token_request.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:secret").decode()
    assert token_request.headers["Accept"] == "application/json"
    assert [r.headers["Authorization"] for r in h.qbo.requests] == ["Bearer access-2"]

    (saved,) = h.store.saved
    assert saved == OAuthTokens(realm_id=REALM, refresh_token="refresh-2", access_token="access-2",
                                access_expires_at=NOW + timedelta(seconds=3600),
                                refresh_expires_at=NOW + timedelta(seconds=8726400))


def test_missing_access_token_is_refreshed(harness_factory):
    store = InMemoryTokenStore(OAuthTokens(realm_id=REALM, refresh_token="refresh-1"))
    h = harness_factory(accepts_only("access-2"), store=store)
    h.client.query(REALM, "SELECT * FROM Bill")
    assert len(h.qbo.token_requests) == 1


def test_next_refresh_uses_the_rotated_refresh_token(harness_factory):
    answers = iter([token_response("access-2", "refresh-2", expires_in=100),
                    token_response("access-3", "refresh-3")])
    store = InMemoryTokenStore(fresh_tokens(expires_in=0))
    h = harness_factory(ok, lambda request: next(answers), store=store)
    h.client.query(REALM, "SELECT 1")  # refresh 1: gets a token that is already within the margin
    h.client.query(REALM, "SELECT 2")  # refresh 2 must send the rotated refresh token
    assert [form(r)["refresh_token"] for r in h.qbo.token_requests] == ["refresh-1", "refresh-2"]
    assert store.load(REALM).refresh_token == "refresh-3"


def test_401_refreshes_once_and_repeats_the_request(harness_factory):
    h = harness_factory(accepts_only("access-2"))
    assert h.client.query(REALM, "SELECT * FROM Bill") == {}
    assert [r.headers["Authorization"] for r in h.qbo.requests] == ["Bearer access-1", "Bearer access-2"]
    assert len(h.qbo.token_requests) == 1 and h.store.load(REALM).refresh_token == "refresh-2"


def test_second_401_raises_auth_error_without_further_retries(harness_factory):
    h = harness_factory(accepts_only("nothing"))
    with pytest.raises(QboAuthError) as info:
        h.client.create(REALM, "Bill", {}, request_id="r1")
    assert type(info.value) is QboAuthError
    assert (info.value.status_code, info.value.fault_code, info.value.intuit_tid) == (401, "3200", "t401")
    assert len(h.qbo.requests) == 2 and len(h.qbo.token_requests) == 1 and h.retry_sleeps == []


def test_invalid_grant_marks_reconnect_and_raises(harness_factory):
    store = InMemoryTokenStore(fresh_tokens(expires_in=10))
    h = harness_factory(ok, lambda r: json_response(400, {"error": "invalid_grant"}, tid="tgrant"), store=store)
    with pytest.raises(QboReconnectRequired) as info:
        h.client.query(REALM, "SELECT * FROM Bill")
    assert "reconnect this company" in str(info.value) and REALM in str(info.value)
    assert info.value.intuit_tid == "tgrant" and info.value.realm_id == REALM
    status, reason = store.status(REALM)
    assert status is ConnectionStatus.RECONNECT_REQUIRED and "invalid_grant" in reason
    assert store.load(REALM) is None and h.qbo.requests == []
    assert len(h.qbo.token_requests) == 1  # not retried


def test_invalid_grant_on_401_refresh_also_means_reconnect(harness_factory):
    h = harness_factory(accepts_only("nothing"), lambda r: json_response(400, {"error": "invalid_grant"}))
    with pytest.raises(QboReconnectRequired):
        h.client.read(REALM, "Bill", "1")
    assert h.store.status(REALM)[0] is ConnectionStatus.RECONNECT_REQUIRED


def test_realm_without_tokens_must_reconnect(harness_factory):
    h = harness_factory(ok, store=InMemoryTokenStore())
    with pytest.raises(QboReconnectRequired) as info:
        h.client.query(REALM, "SELECT * FROM Bill")
    assert "reconnect this company" in str(info.value) and REALM in str(info.value)
    assert h.qbo.requests == [] and h.qbo.token_requests == []


def test_invalid_grant_after_another_process_rotated_uses_the_newer_token(harness_factory):
    store = InMemoryTokenStore(fresh_tokens(expires_in=10))

    def token(request: httpx.Request) -> httpx.Response:
        if form(request)["refresh_token"] == "refresh-1":
            # Meanwhile another process refreshed and saved a newer refresh token (access expired already).
            store.save(fresh_tokens(access="other", refresh="refresh-other", expires_in=-1))
            return json_response(400, {"error": "invalid_grant"})
        return token_response("access-9", "refresh-9")

    h = harness_factory(accepts_only("access-9"), token, store=store)
    h.client.query(REALM, "SELECT * FROM Bill")
    assert [form(r)["refresh_token"] for r in h.qbo.token_requests] == ["refresh-1", "refresh-other"]
    assert store.status(REALM)[0] is ConnectionStatus.CONNECTED


def test_invalid_client_is_an_auth_error_not_a_reconnect(harness_factory):
    store = InMemoryTokenStore(fresh_tokens(expires_in=10))
    h = harness_factory(ok, lambda r: json_response(401, {"error": "invalid_client"}), store=store)
    with pytest.raises(QboAuthError) as info:
        h.client.query(REALM, "SELECT * FROM Bill")
    assert type(info.value) is QboAuthError and info.value.fault_code == "invalid_client"
    assert store.status(REALM)[0] is ConnectionStatus.CONNECTED


def test_token_endpoint_outage_is_retried_even_for_a_plain_write(harness_factory):
    answers = iter([httpx.Response(503, content=b""), token_response()])
    store = InMemoryTokenStore(fresh_tokens(expires_in=10))
    h = harness_factory(lambda r: json_response(200, {"Bill": {"Id": "1"}}), lambda r: next(answers), store=store)
    assert h.client.create(REALM, "Bill", {})["Id"] == "1"  # no request_id: safe, the write was never sent
    assert len(h.qbo.token_requests) == 2 and len(h.qbo.requests) == 1


def test_two_threads_needing_a_refresh_cause_one_token_call(harness_factory):
    store = InMemoryTokenStore(fresh_tokens(expires_in=60))

    def slow_token(request: httpx.Request) -> httpx.Response:
        time.sleep(0.1)  # hold the refresh long enough for the other thread to queue behind it
        return token_response()

    h = harness_factory(accepts_only("access-2"), slow_token, store=store)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            h.client.query(REALM, "SELECT * FROM Bill")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert errors == []
    assert len(h.qbo.token_requests) == 1 and len(store.saved) == 1
    assert {r.headers["Authorization"] for r in h.qbo.requests} == {"Bearer access-2"}


def test_concurrent_401s_refresh_once(harness_factory):
    def slow_token(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)
        return token_response()

    h = harness_factory(accepts_only("access-2"), slow_token)
    barrier = threading.Barrier(3)
    threads = [threading.Thread(target=lambda: (barrier.wait(), h.client.query(REALM, "q"))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(h.qbo.token_requests) == 1


def test_exchange_authorization_code_saves_the_tokens(harness_factory):
    h = harness_factory(ok, store=InMemoryTokenStore())
    tokens = h.client.exchange_authorization_code(REALM, "code-xyz", "https://app.test/callback")
    (request,) = h.qbo.token_requests
    assert form(request) == {"grant_type": "authorization_code", "code": "code-xyz",
                             "redirect_uri": "https://app.test/callback"}
    assert request.headers["Authorization"].startswith("Basic ")
    assert tokens.refresh_token == "refresh-2" and h.store.load(REALM) == tokens
    assert h.store.status(REALM) == (ConnectionStatus.CONNECTED, None)


def test_refused_authorization_code_is_an_auth_error_and_changes_nothing(harness_factory):
    store = InMemoryTokenStore(fresh_tokens())
    h = harness_factory(ok, lambda r: json_response(400, {"error": "invalid_grant"}), store=store)
    with pytest.raises(QboAuthError) as info:
        h.client.exchange_authorization_code(REALM, "stale-code", "https://app.test/callback")
    assert not isinstance(info.value, QboReconnectRequired)
    assert store.load(REALM) == fresh_tokens() and store.status(REALM)[0] is ConnectionStatus.CONNECTED
