"""Intuit's OAuth 2.0 / OpenID Connect endpoints, served by the sandbox.

- ``GET /.well-known/openid_sandbox_configuration/`` (also ``/.well-known/openid-configuration``): the
  discovery document intuitlib's ``AuthClient(environment=<this URL>)`` reads; every endpoint in it points
  at this server (built from the request's Host, so it is right for whatever port the server got).
- ``GET /connect/oauth2``: the authorization endpoint without a consent screen. It checks the request as
  Intuit does, then redirects straight to ``redirect_uri`` with ``code``, ``state`` and ``realmId`` (the
  sandbox's first realm, or the one named by an extra ``realmId`` query parameter). An unknown
  ``client_id`` or an unregistered ``redirect_uri`` is answered 400 without redirecting (RFC 6749 4.1.2.1);
  a missing or unknown ``scope`` or a ``response_type`` other than ``code`` is redirected back as
  ``error=invalid_scope`` / ``unsupported_response_type`` with the ``state``.
- ``POST /oauth2/v1/tokens/bearer``: form-encoded; the client authenticates with HTTP Basic or with
  ``client_id``/``client_secret`` in the form (the two methods the discovery document lists).
  ``grant_type=authorization_code`` (the code must come back with its own ``redirect_uri``, from its own
  client; with the ``openid`` scope the answer carries a signed ``id_token``) or ``refresh_token``
  (rotating). Errors are Intuit's bodies: 401 ``{"error": "invalid_client"}``, 400 ``{"error": "invalid_grant"}``,
  ``unsupported_grant_type`` or ``invalid_request``.
- ``POST /oauth2/v1/tokens/revoke``: ``{"token": ...}`` (JSON or form) revokes that connection.
- ``GET /v1/openid_connect/userinfo``: the user's claims, for a token granted ``openid`` (403 otherwise).
- ``GET /op/v1/jwks``: the key set that verifies id_tokens (see ``idtoken.py``).

Injected faults with target ``"oauth"`` apply to the token endpoint: throttle answers 429
``{"error": "throttle_exceeded"}``, errors answer their status with ``{"error": "server_error"}``.
OAuth answers carry no QBO ``time`` member, as Intuit's do not.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .auth import OPENID_SCOPE, AccessDenied, InvalidClient, InvalidGrant, InvalidScope, parse_scopes
from .responses import DropConnection, plain_json
from .state import SandboxState, UnknownRealm

TOKEN_PATH = "/oauth2/v1/tokens/bearer"
DISCOVERY_PATH = "/.well-known/openid_sandbox_configuration/"
ISSUER_PATH = "/op/v1"
JWKS_PATH = "/op/v1/jwks"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class OAuthApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        routes = [
            Route(TOKEN_PATH, self.token, methods=["POST"]),
            Route("/oauth2/v1/tokens/revoke", self.revoke, methods=["POST"]),
            Route("/connect/oauth2", self.authorize, methods=["GET"]),
            Route("/v1/openid_connect/userinfo", self.userinfo, methods=["GET"]),
            Route(JWKS_PATH, self.jwks, methods=["GET"]),
        ]
        for path in (DISCOVERY_PATH, "/.well-known/openid_sandbox_configuration",
                     "/.well-known/openid-configuration", "/.well-known/openid_configuration/",
                     "/.well-known/openid_configuration"):
            routes.append(Route(path, self.discovery, methods=["GET"]))
        return routes

    async def discovery(self, request: Request) -> Response:
        base = _base(request)
        return plain_json({
            "issuer": f"{base}{ISSUER_PATH}",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}{TOKEN_PATH}",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
            "jwks_uri": f"{base}{JWKS_PATH}",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        })

    # ------------------------------------------------------------------------------ token endpoint

    async def token(self, request: Request) -> Response:
        state = self.state
        state.counters.add("token_requests")
        form = _form(await request.body())
        rule = state.faults.take("oauth", None)
        if rule is not None:
            if rule.kind == "drop":
                state.counters.add("dropped_connections")
                raise DropConnection
            if rule.kind == "throttle":
                state.counters.add("injected_throttles")
                return plain_json({"error": "throttle_exceeded"}, 429)
            state.counters.add("injected_errors")
            return plain_json({"error": "server_error"}, rule.status)
        try:
            client_id = state.auth.authenticate_client(request.headers.get("authorization"), form)
        except InvalidClient as refused:
            status = 400 if refused.error == "invalid_request" else 401
            return plain_json({"error": refused.error}, status, _NO_STORE)
        grant_type = form.get("grant_type")
        try:
            if grant_type == "refresh_token":
                tokens = state.auth.refresh(form.get("refresh_token", ""), client_id=client_id)
            elif grant_type == "authorization_code":
                if not form.get("code") or not form.get("redirect_uri"):
                    return plain_json({"error": "invalid_request"}, 400, _NO_STORE)
                tokens = state.auth.exchange_code(form["code"], client_id=client_id,
                                                  redirect_uri=form["redirect_uri"],
                                                  issuer=f"{_base(request)}{ISSUER_PATH}")
            else:
                return plain_json({"error": "unsupported_grant_type"}, 400, _NO_STORE)
        except InvalidGrant:
            return plain_json({"error": "invalid_grant"}, 400, _NO_STORE)
        return plain_json(tokens.as_response(), 200, _NO_STORE)

    async def revoke(self, request: Request) -> Response:
        raw = await request.body()
        if not self.state.auth.client_matches(request.headers.get("authorization")):
            return plain_json({"error": "invalid_client"}, 401)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = _form(raw)
        token = body.get("token") if isinstance(body, dict) else None
        if not token:
            return plain_json({"error": "invalid_request"}, 400)
        self.state.auth.revoke(str(token))
        return Response(b"", 200)  # Intuit answers 200 for unknown tokens too (RFC 7009)

    # ----------------------------------------------------------------------- authorization endpoint

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        auth = self.state.auth
        if not auth.knows_client(params.get("client_id")):
            return plain_json({"error": "invalid_client", "error_description": "unknown client_id"}, 400)
        redirect_uri = params.get("redirect_uri") or ""
        problem = self._redirect_uri_problem(redirect_uri)
        if problem:
            return plain_json({"error": "invalid_request", "error_description": problem}, 400)
        state_param = params.get("state", "")
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state_param})
        try:
            scopes = parse_scopes(params.get("scope"))
        except InvalidScope as bad:
            return _redirect(redirect_uri, {"error": "invalid_scope", "error_description": str(bad),
                                            "state": state_param})
        realm_id = params.get("realmId") or self.state.realm_ids[0]
        try:
            code = self.state.issue_authorization_code(realm_id, redirect_uri=redirect_uri,
                                                       client_id=params["client_id"], scopes=scopes)
        except UnknownRealm:
            return _redirect(redirect_uri, {"error": "access_denied", "error_description": f"unknown realm {realm_id}",
                                            "state": state_param})
        return _redirect(redirect_uri, {"code": code, "state": state_param, "realmId": realm_id})

    def _redirect_uri_problem(self, redirect_uri: str) -> str | None:
        if not redirect_uri:
            return "redirect_uri is required"
        registered = self.state.config.redirect_uris
        if registered is not None:
            return None if redirect_uri in registered else f"redirect_uri {redirect_uri} is not registered for this app"
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            return "redirect_uri must be an absolute http(s) URI without a fragment"
        return None

    # ------------------------------------------------------------------------------------ OpenID

    async def userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        try:
            grant = self.state.auth.authenticate(header[7:].strip() if header[:7].lower() == "bearer " else None)
        except AccessDenied:
            return plain_json({"error": "invalid_token"}, 401)
        if OPENID_SCOPE not in grant.scopes:
            return plain_json({"error": "insufficient_scope", "error_description": "the token was not granted openid"},
                              403)
        claims: dict = {"sub": grant.subject}
        if "email" in grant.scopes:
            claims.update(email="owner@sandbox.example", emailVerified=True)
        if "profile" in grant.scopes:
            claims.update(givenName="Sandbox", familyName="Owner")
        if "phone" in grant.scopes:
            claims.update(phoneNumber="+1 (650) 555-0100", phoneNumberVerified=False)
        if "address" in grant.scopes:
            claims["address"] = {"streetAddress": "2700 Coast Ave", "locality": "Mountain View", "region": "CA",
                                 "postalCode": "94043", "country": "US"}
        return plain_json(claims)

    async def jwks(self, request: Request) -> Response:
        return plain_json(self.state.auth.id_tokens.jwks())


def _redirect(redirect_uri: str, query: dict[str, str]) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)


def _form(raw: bytes) -> dict[str, str]:
    """A form-encoded body as {name: first value} (Starlette's form parser needs python-multipart)."""
    return {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
