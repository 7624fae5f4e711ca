"""Intuit's OAuth 2.0 / OpenID endpoints, served by the sandbox.

- ``GET /.well-known/openid_sandbox_configuration/`` (also ``/.well-known/openid-configuration``): the
  discovery document intuitlib's ``AuthClient(environment=<this URL>)`` reads; every endpoint in it points
  at this server (built from the request's Host, so it is right for whatever port the server got).
- ``POST /oauth2/v1/tokens/bearer``: form-encoded, HTTP Basic client id/secret;
  ``grant_type=refresh_token`` (rotating) or ``authorization_code``. Errors are Intuit's bodies:
  401 ``{"error": "invalid_client"}``, 400 ``{"error": "invalid_grant"}`` / ``unsupported_grant_type``.
- ``POST /oauth2/v1/tokens/revoke``: ``{"token": ...}`` (JSON or form) revokes that connection.
- ``GET /connect/oauth2``: the authorization endpoint without a consent screen: it redirects straight to
  ``redirect_uri`` with ``code``, ``state`` and ``realmId`` (the sandbox's first realm, or the one named by an
  extra ``realmId`` query parameter).
- ``GET /v1/openid_connect/userinfo`` and ``GET /op/v1/jwks`` (an empty key set: no id_token is issued).

Injected faults with target ``"oauth"`` apply to the token endpoint: throttle answers 429
``{"error": "throttle_exceeded"}``, errors answer their status with ``{"error": "server_error"}``.
OAuth answers carry no QBO ``time`` member, as Intuit's do not.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .auth import AccessDenied, InvalidGrant
from .responses import DropConnection, plain_json
from .state import SandboxState, UnknownRealm

TOKEN_PATH = "/oauth2/v1/tokens/bearer"
DISCOVERY_PATH = "/.well-known/openid_sandbox_configuration/"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        routes = [
            Route(TOKEN_PATH, self.token, methods=["POST"]),
            Route("/oauth2/v1/tokens/revoke", self.revoke, methods=["POST"]),
            Route("/connect/oauth2", self.authorize, methods=["GET"]),
            Route("/v1/openid_connect/userinfo", self.userinfo, methods=["GET"]),
            Route("/op/v1/jwks", self.jwks, methods=["GET"]),
        ]
        for path in (DISCOVERY_PATH, "/.well-known/openid_sandbox_configuration",
                     "/.well-known/openid-configuration", "/.well-known/openid_configuration/",
                     "/.well-known/openid_configuration"):
            routes.append(Route(path, self.discovery, methods=["GET"]))
        return routes

    async def discovery(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return plain_json({
            "issuer": f"{base}/op/v1",
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}{TOKEN_PATH}",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
            "jwks_uri": f"{base}/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        })

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
        if not state.auth.client_matches(request.headers.get("authorization")):
            return plain_json({"error": "invalid_client"}, 401, _NO_STORE)
        grant_type = form.get("grant_type")
        try:
            if grant_type == "refresh_token":
                tokens = state.auth.refresh(form.get("refresh_token", ""))
            elif grant_type == "authorization_code":
                tokens = state.auth.exchange_code(form.get("code", ""))
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

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        if params.get("client_id") != self.state.auth.client_id:
            return plain_json({"error": "invalid_client"}, 400)
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            return plain_json({"error": "invalid_request", "error_description": "redirect_uri is required"}, 400)
        realm_id = params.get("realmId") or self.state.realm_ids[0]
        try:
            code = self.state.issue_authorization_code(realm_id)
        except UnknownRealm:
            return plain_json({"error": "invalid_request", "error_description": f"unknown realm {realm_id}"}, 400)
        query = {"code": code, "state": params.get("state", ""), "realmId": realm_id}
        separator = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{separator}{urlencode(query)}", status_code=302)

    async def userinfo(self, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        try:
            realm_id = self.state.auth.authenticate(header[7:].strip() if header[:7].lower() == "bearer " else None)
        except AccessDenied:
            return plain_json({"error": "invalid_token"}, 401)
        return plain_json({"sub": f"sandbox-user-{realm_id}", "email": "owner@sandbox.example",
                           "emailVerified": True, "givenName": "Sandbox", "familyName": "Owner"})

    async def jwks(self, request: Request) -> Response:
        return plain_json({"keys": []})


def _form(raw: bytes) -> dict[str, str]:
    """A form-encoded body as {name: first value} (Starlette's form parser needs python-multipart)."""
    return {key: values[0] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
