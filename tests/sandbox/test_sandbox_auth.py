"""OAuth: the token endpoint (rotation, invalid_grant, authorization codes), discovery, revocation, and
how the data API answers missing, expired and foreign tokens."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx
import pytest


def _token_request(sandbox, **form) -> httpx.Response:
    config = sandbox.state.config
    return httpx.post(sandbox.server.token_url, data=form, auth=(config.client_id, config.client_secret))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_refresh_rotates_and_the_used_token_stops_working(sandbox) -> None:
    first = _token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.refresh_token)
    reused = _token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.refresh_token)
    body = first.json()
    second = _token_request(sandbox, grant_type="refresh_token", refresh_token=body["refresh_token"])

    assert first.status_code == 200 and first.headers["intuit_tid"]
    assert set(body) == {"token_type", "access_token", "refresh_token", "expires_in", "x_refresh_token_expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 100 * 24 * 3600
    assert body["refresh_token"] != sandbox.refresh_token
    assert reused.status_code == 400 and reused.json() == {"error": "invalid_grant"}
    assert second.status_code == 200 and second.json()["refresh_token"] != body["refresh_token"]
    assert sandbox.client.get("bill/1", headers=_bearer(body["access_token"])).status_code == 200


def test_token_endpoint_refuses_bad_clients_grants_and_expired_refresh_tokens(sandbox) -> None:
    wrong_secret = httpx.post(sandbox.server.token_url, auth=(sandbox.state.config.client_id, "nope"),
                              data={"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token})
    unknown = _token_request(sandbox, grant_type="refresh_token", refresh_token="RT-made-up")
    unsupported = _token_request(sandbox, grant_type="password", username="x")
    sandbox.clock.advance(101 * 24 * 3600)
    expired = _token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.refresh_token)

    assert wrong_secret.status_code == 401 and wrong_secret.json() == {"error": "invalid_client"}
    assert unknown.status_code == 400 and unknown.json() == {"error": "invalid_grant"}
    assert unsupported.status_code == 400 and unsupported.json() == {"error": "unsupported_grant_type"}
    assert expired.status_code == 400 and expired.json() == {"error": "invalid_grant"}


def test_authorization_code_grant_is_single_use_and_expires(sandbox) -> None:
    code = sandbox.state.issue_authorization_code(sandbox.realm_id, redirect_uri="http://x/cb")
    late_code = sandbox.state.issue_authorization_code(sandbox.realm_id, redirect_uri="http://x/cb")

    exchanged = _token_request(sandbox, grant_type="authorization_code", code=code, redirect_uri="http://x/cb")
    again = _token_request(sandbox, grant_type="authorization_code", code=code, redirect_uri="http://x/cb")
    sandbox.clock.advance(601)
    late = _token_request(sandbox, grant_type="authorization_code", code=late_code, redirect_uri="http://x/cb")

    assert exchanged.status_code == 200
    assert sandbox.client.get("bill/1", headers=_bearer(exchanged.json()["access_token"])).status_code == 200
    assert again.json() == {"error": "invalid_grant"} and late.json() == {"error": "invalid_grant"}


def test_authorization_endpoint_redirects_with_a_code_for_the_chosen_realm(sandbox) -> None:
    other_realm = sandbox.state.realm_ids[1]

    redirect = httpx.get(f"{sandbox.server.base_url}/connect/oauth2", params={
        "client_id": sandbox.state.config.client_id, "redirect_uri": "http://localhost:9/callback",
        "response_type": "code", "scope": "com.intuit.quickbooks.accounting", "state": "xyz", "realmId": other_realm})
    params = {key: values[0] for key, values in parse_qs(urlparse(redirect.headers["location"]).query).items()}
    tokens = _token_request(sandbox, grant_type="authorization_code", code=params["code"],
                            redirect_uri="http://localhost:9/callback").json()

    assert redirect.status_code == 302 and params["state"] == "xyz" and params["realmId"] == other_realm
    other = httpx.get(f"{sandbox.server.api_base_url}/company/{other_realm}/companyinfo/{other_realm}",
                      headers=_bearer(tokens["access_token"]))
    assert other.status_code == 200 and other.json()["CompanyInfo"]["Id"] == "1"


def _assert_authentication_fault(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 401
    body = response.json()
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert body["fault"]["error"][0]["code"] == "3200"
    assert body["fault"]["error"][0]["detail"] == detail
    assert set(body["fault"]["error"][0]) == {"message", "detail", "code"}
    assert response.headers["intuit_tid"]


@pytest.mark.parametrize(("headers", "detail"), [
    ({}, "Authorization header missing or not a Bearer token"),
    ({"Authorization": "Basic abc"}, "Authorization header missing or not a Bearer token"),
    ({"Authorization": "Bearer not-a-token"}, "Token invalid"),
])
def test_data_requests_without_a_valid_token_answer_401(sandbox, headers, detail) -> None:
    url = f"{sandbox.server.api_base_url}/company/{sandbox.realm_id}/query"
    response = httpx.get(url, params={"query": "SELECT * FROM Bill"}, headers=headers)

    _assert_authentication_fault(response, detail)


def test_access_tokens_expire_with_the_clock_and_a_refresh_recovers(sandbox) -> None:
    assert sandbox.client.get("bill/1").status_code == 200
    sandbox.clock.advance(3601)

    expired = sandbox.client.get("bill/1")
    refreshed = _token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.refresh_token).json()

    _assert_authentication_fault(expired, "Token expired")
    assert sandbox.client.get("bill/1", headers=_bearer(refreshed["access_token"])).status_code == 200


def test_a_token_only_opens_its_own_realm(sandbox) -> None:
    other_realm = sandbox.state.realm_ids[1]

    response = httpx.get(f"{sandbox.server.api_base_url}/company/{other_realm}/bill/1",
                         headers=_bearer(sandbox.access_token))
    unknown = httpx.get(f"{sandbox.server.api_base_url}/company/123/bill/1", headers=_bearer(sandbox.access_token))

    assert response.status_code == 403 and response.json()["Fault"]["type"] == "AuthorizationFault"
    assert unknown.status_code == 403


def test_minorversion_below_75_is_refused(sandbox) -> None:
    old = sandbox.client.get("bill/1", params={"minorversion": "74"})
    absent = httpx.get(f"{sandbox.server.api_base_url}/company/{sandbox.realm_id}/bill/1",
                       headers=_bearer(sandbox.access_token))

    assert old.status_code == 400
    assert old.json()["Fault"]["type"] == "ValidationFault" and old.json()["Fault"]["Error"][0]["element"] == (
        "minorversion")
    assert sandbox.client.get("bill/1", params={"minorversion": "75"}).status_code == 200
    assert absent.status_code == 200


def test_revoking_a_refresh_token_disconnects(sandbox) -> None:
    config = sandbox.state.config
    revoked = httpx.post(f"{sandbox.server.base_url}/oauth2/v1/tokens/revoke", json={"token": sandbox.refresh_token},
                         auth=(config.client_id, config.client_secret))

    assert revoked.status_code == 200
    _assert_authentication_fault(sandbox.client.get("bill/1"), "Token invalid")
    refused = _token_request(sandbox, grant_type="refresh_token", refresh_token=sandbox.refresh_token)
    assert refused.json() == {"error": "invalid_grant"}


def test_discovery_document_points_at_this_server(sandbox) -> None:
    base = sandbox.server.base_url
    for path in ("/.well-known/openid_sandbox_configuration/", "/.well-known/openid-configuration"):
        document = httpx.get(base + path).json()
        assert document["token_endpoint"] == sandbox.server.token_url
        for key in ("issuer", "authorization_endpoint", "revocation_endpoint", "userinfo_endpoint", "jwks_uri"):
            assert document[key].startswith(base + "/"), key


def test_every_answer_has_its_own_intuit_tid_and_json_answers_a_time(sandbox) -> None:
    answers = [sandbox.client.get("bill/1"), sandbox.client.get("bill/99999"), sandbox.query("SELECT * FROM"),
               httpx.get(sandbox.server.discovery_url)]

    tids = [answer.headers["intuit_tid"] for answer in answers]
    assert len(set(tids)) == len(tids)
    assert all("time" in answer.json() for answer in answers[:3])
    assert answers[0].json()["time"] == "2026-11-20T09:00:00.000-08:00"
