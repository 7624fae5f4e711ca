"""Fidelity, OAuth 2.0 and OpenID Connect: intuitlib's flow runs unchanged against the sandbox, and the
sandbox is as strict as Intuit about codes, clients, redirect URIs and scopes.

Intuit's OAuth 2.0 guide (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0)
and OpenID Connect guide (https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/openid-connect),
with RFC 6749 for what they leave to the standard.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import jwt
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks.objects.bill import Bill

REDIRECT = "http://localhost:9/callback"


def _auth_client(sandbox, **changes) -> AuthClient:
    config = sandbox.state.config
    settings = {"client_id": config.client_id, "client_secret": config.client_secret, "redirect_uri": REDIRECT,
                "environment": sandbox.server.discovery_url, **changes}
    return AuthClient(**settings)


def _consent(url: str) -> dict[str, str]:
    """Follow an authorization URL as the browser would, up to the redirect back to the app."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return {key: values[0] for key, values in parse_qs(urlparse(answer.headers["location"]).query).items()}


def _token(sandbox, *, auth: tuple[str, str] | None = None, **form) -> httpx.Response:
    return httpx.post(sandbox.server.token_url, data=form, auth=auth)


def _config_auth(sandbox) -> tuple[str, str]:
    return sandbox.state.config.client_id, sandbox.state.config.client_secret


def test_intuitlib_connects_with_openid_and_gets_a_verifiable_id_token(sandbox, insecure_transport) -> None:
    """Intuit: the authorization-code flow with openid returns an id_token, RS256-signed with a key published
    at the discovery document's jwks_uri; intuitlib validates it (issuer, audience, expiry, signature) and
    keeps it only when valid."""
    auth_client = _auth_client(sandbox)
    url = auth_client.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL, Scopes.PROFILE])
    redirect = _consent(url)
    auth_client.get_bearer_token(redirect["code"], realm_id=redirect["realmId"])

    assert redirect["state"] == auth_client.state_token and redirect["realmId"] == sandbox.realm_id
    assert auth_client.access_token and auth_client.refresh_token and auth_client.expires_in == 3600
    assert auth_client.id_token is not None  # intuitlib keeps an id_token only after validating it
    signing_key = jwt.PyJWKClient(auth_client.jwks_uri).get_signing_key_from_jwt(auth_client.id_token)
    claims = jwt.decode(auth_client.id_token, signing_key.key, algorithms=["RS256"],
                        audience=sandbox.state.config.client_id, issuer=auth_client.issuer_uri)
    assert claims["realmid"] == sandbox.realm_id and claims["aud"] == [sandbox.state.config.client_id]
    assert claims["exp"] - claims["iat"] == 3600 and claims["sub"]
    user = auth_client.get_user_info().json()
    assert user["sub"] == claims["sub"] and user["email"] and user["givenName"]
    # The token opens the data API: python-quickbooks on the same AuthClient.
    qb = QuickBooks(auth_client=auth_client, company_id=sandbox.realm_id, minorversion=75)
    qb.api_url_v3 = sandbox.server.api_base_url
    assert Bill.get("1", qb=qb).Id == "1"
    auth_client.refresh()
    assert auth_client.revoke() is True
    auth_client.close()


def test_a_tampered_or_foreign_id_token_fails_verification(sandbox, insecure_transport) -> None:
    """The id_token's signature really is checked against the published key: change one claim and it fails."""
    auth_client = _auth_client(sandbox)
    redirect = _consent(auth_client.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID]))
    auth_client.get_bearer_token(redirect["code"], realm_id=redirect["realmId"])
    header, payload, signature = auth_client.id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "realmid": "1"}).encode()).rstrip(b"=").decode()
    key = jwt.PyJWKClient(auth_client.jwks_uri).get_signing_key_from_jwt(auth_client.id_token).key

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{header}.{forged}.{signature}", key, algorithms=["RS256"], audience=sandbox.state.config.client_id)
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(auth_client.id_token, key, algorithms=["RS256"], audience="another-app")
    auth_client.close()


def test_without_openid_there_is_no_id_token_and_no_userinfo(sandbox, insecure_transport) -> None:
    """Intuit: the id_token and the UserInfo endpoint belong to the openid scope."""
    auth_client = _auth_client(sandbox)
    redirect = _consent(auth_client.get_authorization_url([Scopes.ACCOUNTING]))
    auth_client.get_bearer_token(redirect["code"], realm_id=redirect["realmId"])

    assert auth_client.id_token is None
    with pytest.raises(AuthClientError) as refused:
        auth_client.get_user_info()
    assert refused.value.status_code == 403
    auth_client.close()


def test_the_code_is_bound_to_its_redirect_uri(sandbox) -> None:
    """RFC 6749 4.1.3 (Intuit follows it): the token request must repeat the redirect_uri the code was issued
    for; a code is single use, so a failed exchange spends it too."""
    code = sandbox.state.issue_authorization_code(sandbox.realm_id, redirect_uri=REDIRECT)
    wrong = _token(sandbox, auth=_config_auth(sandbox), grant_type="authorization_code", code=code,
                   redirect_uri="http://localhost:9/other")
    retried = _token(sandbox, auth=_config_auth(sandbox), grant_type="authorization_code", code=code,
                     redirect_uri=REDIRECT)
    missing = _token(sandbox, auth=_config_auth(sandbox), grant_type="authorization_code",
                     code=sandbox.state.issue_authorization_code(sandbox.realm_id, redirect_uri=REDIRECT))

    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant"}
    assert retried.status_code == 400 and retried.json() == {"error": "invalid_grant"}
    assert missing.status_code == 400 and missing.json() == {"error": "invalid_request"}


def test_the_code_and_the_refresh_token_are_bound_to_their_client(make_sandbox) -> None:
    """RFC 6749 4.1.3 / 6: a code or refresh token issued to one app cannot be used by another app."""
    sandbox = make_sandbox(extra_clients={"other-app": "other-secret"})
    code = sandbox.state.issue_authorization_code(sandbox.realm_id, redirect_uri=REDIRECT)
    stolen = _token(sandbox, auth=("other-app", "other-secret"), grant_type="authorization_code", code=code,
                    redirect_uri=REDIRECT)
    refresh = _token(sandbox, auth=("other-app", "other-secret"), grant_type="refresh_token",
                     refresh_token=sandbox.refresh_token)
    own_code = sandbox.state.issue_authorization_code(sandbox.realm_id, redirect_uri=REDIRECT, client_id="other-app")
    own = _token(sandbox, auth=("other-app", "other-secret"), grant_type="authorization_code", code=own_code,
                 redirect_uri=REDIRECT)

    assert stolen.json() == {"error": "invalid_grant"} and refresh.json() == {"error": "invalid_grant"}
    assert own.status_code == 200 and own.json()["access_token"]


@pytest.mark.parametrize("style", ["client_secret_basic", "client_secret_post"])
def test_both_token_endpoint_auth_methods_in_discovery_work(sandbox, style) -> None:
    """Intuit's discovery document lists token_endpoint_auth_methods_supported: client_secret_post and
    client_secret_basic; both authenticate the app."""
    discovery = httpx.get(sandbox.server.discovery_url).json()
    client_id, secret = _config_auth(sandbox)
    form = {"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token}
    if style == "client_secret_basic":
        answer = _token(sandbox, auth=(client_id, secret), **form)
    else:
        answer = _token(sandbox, **form, client_id=client_id, client_secret=secret)

    assert style in discovery["token_endpoint_auth_methods_supported"]
    assert answer.status_code == 200 and answer.json()["refresh_token"] != sandbox.refresh_token


def test_client_authentication_failures(sandbox) -> None:
    """A wrong secret in either method is invalid_client (401); using both methods at once is invalid_request
    (RFC 6749 2.3: one method per request); no client authentication at all is invalid_client."""
    client_id, secret = _config_auth(sandbox)
    form = {"grant_type": "refresh_token", "refresh_token": sandbox.refresh_token}
    wrong_post = _token(sandbox, **form, client_id=client_id, client_secret="nope")
    both = _token(sandbox, auth=(client_id, secret), **form, client_id=client_id, client_secret=secret)
    anonymous = _token(sandbox, **form)

    assert wrong_post.status_code == 401 and wrong_post.json() == {"error": "invalid_client"}
    assert both.status_code == 400 and both.json() == {"error": "invalid_request"}
    assert anonymous.status_code == 401 and anonymous.json() == {"error": "invalid_client"}
    # None of them spent the refresh token.
    assert _token(sandbox, auth=(client_id, secret), **form).status_code == 200


def _authorize(sandbox, **params) -> httpx.Response:
    query = {"client_id": sandbox.state.config.client_id, "redirect_uri": REDIRECT, "response_type": "code",
             "state": "s1", **params}
    return httpx.get(f"{sandbox.server.base_url}/connect/oauth2?{urlencode(query)}", follow_redirects=False)


@pytest.mark.parametrize(("scope", "description"), [
    (None, "scope is required"),
    ("", "scope is required"),
    ("com.intuit.quickbooks.accounting launch.rockets", "unknown scope: launch.rockets"),
])
def test_the_scope_is_required_and_checked(sandbox, scope, description) -> None:
    """Intuit's authorization endpoint needs a scope from its list; otherwise it redirects back with
    error=invalid_scope (RFC 6749 4.1.2.1) and the state, and issues no code."""
    answer = _authorize(sandbox, **({} if scope is None else {"scope": scope}))
    redirect = {key: values[0] for key, values in parse_qs(urlparse(answer.headers["location"]).query).items()}

    assert answer.status_code == 302 and answer.headers["location"].startswith(REDIRECT)
    assert redirect == {"error": "invalid_scope", "error_description": description, "state": "s1"}


def test_intuitlib_with_no_scope_gets_invalid_scope(sandbox) -> None:
    url = _auth_client(sandbox).get_authorization_url([])

    assert _consent(url)["error"] == "invalid_scope"


def test_a_token_without_the_accounting_scope_cannot_read_the_books(sandbox) -> None:
    """Intuit: the QuickBooks Online Accounting API needs com.intuit.quickbooks.accounting; an openid-only
    token is refused with 403 AuthorizationFault."""
    tokens = sandbox.state.issue_tokens(sandbox.realm_id, scopes=["openid", "email"])
    answer = sandbox.client.get("bill/1", headers={"Authorization": f"Bearer {tokens.access_token}"})

    assert answer.status_code == 403
    fault = answer.json()["Fault"]
    assert fault["type"] == "AuthorizationFault" and fault["Error"][0]["code"] == "3100"
    assert "com.intuit.quickbooks.accounting" in fault["Error"][0]["Detail"]


def test_unknown_clients_and_unregistered_redirect_uris_are_not_redirected_to(make_sandbox) -> None:
    """RFC 6749 4.1.2.1: with an unknown client or a redirect_uri not registered for the app, the server must
    not redirect; it answers the browser itself."""
    sandbox = make_sandbox(redirect_uris=[REDIRECT])
    unknown_client = _authorize(sandbox, scope="com.intuit.quickbooks.accounting", client_id="who")
    unregistered = _authorize(sandbox, scope="com.intuit.quickbooks.accounting", redirect_uri="http://evil.test/cb")
    registered = _authorize(sandbox, scope="com.intuit.quickbooks.accounting")
    bad_response_type = _authorize(sandbox, scope="com.intuit.quickbooks.accounting", response_type="token")

    assert unknown_client.status_code == 400 and unknown_client.json()["error"] == "invalid_client"
    assert unregistered.status_code == 400 and "not registered" in unregistered.json()["error_description"]
    assert registered.status_code == 302 and "code=" in registered.headers["location"]
    assert "error=unsupported_response_type" in bad_response_type.headers["location"]


def test_jwks_publishes_one_rsa_signing_key(sandbox) -> None:
    document = httpx.get(sandbox.server.discovery_url).json()
    keys = httpx.get(document["jwks_uri"]).json()["keys"]

    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig" and keys[0]["kid"]
    assert "d" not in keys[0]  # the public half only
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
