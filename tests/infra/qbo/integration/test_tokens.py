"""OAuth over real HTTP: refresh on 401, refresh-token rotation, the refresh margin, reconnect required."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest

from infra.interfaces.errors import QboReconnectRequired
from infra.qbo import ConnectionStatus


def _refresh_directly(qbo, refresh_token: str) -> httpx.Response:
    config = qbo.state.config
    return httpx.post(qbo.server.token_url, auth=(config.client_id, config.client_secret),
                      data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def test_first_call_refreshes_with_the_stored_refresh_token_and_rotates_it(qbo) -> None:
    qbo.client.read(qbo.realm_id, "Bill", "1")

    tokens = qbo.store.load(qbo.realm_id)
    assert qbo.counters.get("token_requests") == 1 and len(qbo.store.saved) == 1
    assert tokens.refresh_token != qbo.refresh_token and tokens.access_token
    assert tokens.access_expires_at == qbo.clock.now() + timedelta(seconds=qbo.state.config.access_token_ttl_seconds)
    assert qbo.transport.data()[0].authorization == f"Bearer {tokens.access_token}"
    refused = _refresh_directly(qbo, qbo.refresh_token)
    assert refused.status_code == 400 and refused.json() == {"error": "invalid_grant"}


def test_expired_access_token_is_refreshed_once_and_the_old_refresh_token_is_refused(qbo) -> None:
    qbo.client.read(qbo.realm_id, "Bill", "1")  # connected and holding an access token
    before = qbo.store.load(qbo.realm_id)
    qbo.state.auth.expire_access_tokens()
    qbo.counters.reset()

    bill = qbo.client.read(qbo.realm_id, "Bill", "2")

    after = qbo.store.load(qbo.realm_id)
    assert bill["Id"] == "2"
    assert qbo.counters.get("token_requests") == 1
    assert qbo.counters.status(401) == 1 and qbo.counters.requests(qbo.realm_id) == 2  # 401, then 200
    assert [e.status for e in qbo.transport.data()[-2:]] == [401, 200]
    assert after.refresh_token != before.refresh_token and after.access_token != before.access_token
    assert qbo.transport.data()[-1].authorization == f"Bearer {after.access_token}"
    assert _refresh_directly(qbo, before.refresh_token).json() == {"error": "invalid_grant"}
    assert _refresh_directly(qbo, after.refresh_token).status_code == 200  # the stored one is the live one


def test_many_threads_with_an_expired_token_cause_one_refresh(qbo) -> None:
    qbo.client.read(qbo.realm_id, "Bill", "1")
    qbo.state.auth.expire_access_tokens()
    qbo.counters.reset()
    errors: list[BaseException] = []

    def read(bill_id: int) -> None:
        try:
            qbo.client.read(qbo.realm_id, "Bill", str(bill_id))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read, args=(i,)) for i in range(1, 13)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert qbo.counters.get("token_requests") == 1
    statuses = [e.status for e in qbo.transport.data()[1:]]
    assert statuses.count(200) == 12 and set(statuses) <= {200, 401}  # each read: maybe a 401, then its answer
    assert qbo.counters.throttled() == 0


def test_a_token_expiring_within_the_margin_is_refreshed_before_the_call(qbo) -> None:
    qbo.client.read(qbo.realm_id, "Bill", "1")
    before = qbo.store.load(qbo.realm_id)
    # 100 s of validity left: still accepted by the sandbox, but inside the client's 300 s margin.
    qbo.clock.set(before.access_expires_at - timedelta(seconds=100))
    qbo.counters.reset()

    qbo.client.read(qbo.realm_id, "Bill", "2")

    after = qbo.store.load(qbo.realm_id)
    assert qbo.counters.get("token_requests") == 1
    assert qbo.counters.status(401) == 0 and qbo.counters.requests(qbo.realm_id) == 1  # no rejected request
    assert after.access_token != before.access_token
    assert qbo.transport.data()[-1].authorization == f"Bearer {after.access_token}"


def test_a_token_outside_the_margin_is_used_as_is(qbo) -> None:
    qbo.client.read(qbo.realm_id, "Bill", "1")
    before = qbo.store.load(qbo.realm_id)
    qbo.clock.set(before.access_expires_at - timedelta(seconds=301))
    qbo.counters.reset()

    qbo.client.read(qbo.realm_id, "Bill", "2")

    assert qbo.counters.get("token_requests") == 0
    assert qbo.store.load(qbo.realm_id) == before


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_refused_refresh_token_requires_a_reconnect(qbo, how) -> None:
    qbo.client.read(qbo.realm_id, "Bill", "1")
    if how == "revoked":
        assert qbo.state.auth.revoke(qbo.store.load(qbo.realm_id).refresh_token)  # the user disconnected the app
    else:
        qbo.state.auth.expire_refresh_tokens(qbo.realm_id)
        qbo.state.auth.expire_access_tokens()
    qbo.counters.reset()

    with pytest.raises(QboReconnectRequired) as caught:
        qbo.client.read(qbo.realm_id, "Bill", "2")

    assert caught.value.fault_code == "invalid_grant" and caught.value.realm_id == qbo.realm_id
    status, reason = qbo.store.status(qbo.realm_id)
    assert status is ConnectionStatus.RECONNECT_REQUIRED and "invalid_grant" in reason
    assert qbo.store.load(qbo.realm_id) is None
    assert qbo.counters.get("token_requests") == 1 and qbo.counters.status(401) == 1
    # Later calls fail at once, without asking anyone.
    with pytest.raises(QboReconnectRequired):
        qbo.client.read(qbo.realm_id, "Bill", "3")
    assert qbo.counters.get("token_requests") == 1 and qbo.counters.requests(qbo.realm_id) == 1


def test_reconnecting_with_an_authorization_code(qbo) -> None:
    qbo.store.mark_reconnect_required(qbo.realm_id, "test")
    code = qbo.state.issue_authorization_code(qbo.realm_id, redirect_uri="https://runway.example/callback")

    tokens = qbo.client.exchange_authorization_code(qbo.realm_id, code, "https://runway.example/callback")
    bill = qbo.client.read(qbo.realm_id, "Bill", "1")

    assert bill["Id"] == "1"
    assert qbo.store.status(qbo.realm_id) == (ConnectionStatus.CONNECTED, None)
    assert qbo.store.load(qbo.realm_id) == tokens
    assert qbo.counters.get("token_requests") == 1  # the fresh access token was used as is
