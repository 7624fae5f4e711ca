"""OAuth 2.0 and OpenID Connect for the sandbox: apps, connections, codes, refresh, access and id tokens.

Model (what Intuit does, minus the browser consent screen):
- An *app* is a client id with its secret. The sandbox knows ``SandboxConfig.client_id`` and any
  ``extra_clients``. At the token endpoint an app authenticates with HTTP Basic (``client_secret_basic``)
  or with ``client_id``/``client_secret`` in the form (``client_secret_post``), never both at once.
- A *connection* is one app's grant for one realm with a set of scopes. ``connect(realm_id)`` creates one
  directly (the Python stand-in for a user clicking "Connect"); an authorization code exchanged at the token
  endpoint creates one the way Intuit does.
- An authorization code is single use, lives ``code_ttl`` seconds and is bound to the app, the
  ``redirect_uri`` and the scopes it was issued for: the exchange must come from the same app with the
  very same ``redirect_uri``, or it fails with ``invalid_grant`` (and the code is spent either way).
- Each connection has exactly one live refresh token, bound to its app. ``refresh`` rotates it: the answer
  carries a new refresh token and the one used stops working at once. Unknown, used, expired or revoked
  refresh tokens and codes fail with ``InvalidGrant`` (``invalid_grant`` on the wire).
- Access tokens carry their connection's realm and scopes and expire after ``access_ttl`` seconds of the
  injected clock. Revoking a connection invalidates all of its tokens.
- A code exchanged with the ``openid`` scope also yields an ``id_token`` (see ``idtoken.py``). JWT time
  claims are checked by the client with its own clock (intuitlib, PyJWT), so they come from ``wall_clock``
  (the real time by default) even when the sandbox runs on a ``ManualClock``.

Access, refresh and code tokens are opaque random strings. Thread-safe.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .clock import Clock, SystemClock
from .idtoken import IdTokenSigner

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
OPENID_SCOPE = "openid"
#: Every scope Intuit's authorization endpoint accepts (intuitlib's ``Scopes``).
KNOWN_SCOPES = frozenset({
    ACCOUNTING_SCOPE, "com.intuit.quickbooks.payment", OPENID_SCOPE, "profile", "email", "phone", "address",
    "intuit_name", "com.intuit.quickbooks.payroll", "com.intuit.quickbooks.payroll.timetracking",
    "com.intuit.quickbooks.payroll.benefits", "com.intuit.quickbooks.payroll.payslip.read",
})
DEFAULT_SCOPES = frozenset({ACCOUNTING_SCOPE})


class InvalidGrant(Exception):
    """The refresh token or authorization code is unknown, used, expired, revoked or not this app's."""


class InvalidClient(Exception):
    """The token request's client authentication failed. ``error`` is the OAuth error code to answer."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class InvalidScope(ValueError):
    """A scope list that is empty or names a scope Intuit does not know."""


class AccessDenied(Exception):
    """A data request's access token is missing, unknown, expired or revoked. ``str()`` is the detail."""


def parse_scopes(text: str | None) -> frozenset[str]:
    """A space-separated scope parameter as a set; ``InvalidScope`` when empty or unknown."""
    scopes = frozenset((text or "").split())
    if not scopes:
        raise InvalidScope("scope is required")
    unknown = sorted(scopes - KNOWN_SCOPES)
    if unknown:
        raise InvalidScope(f"unknown scope: {' '.join(unknown)}")
    return scopes


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint answers (``as_response()`` is the JSON body Intuit sends)."""

    realm_id: str
    access_token: str
    refresh_token: str
    expires_in: int
    x_refresh_token_expires_in: int
    id_token: str | None = None

    def as_response(self) -> dict:
        body = {"token_type": "bearer", "access_token": self.access_token, "refresh_token": self.refresh_token,
                "expires_in": self.expires_in, "x_refresh_token_expires_in": self.x_refresh_token_expires_in}
        if self.id_token is not None:
            body["id_token"] = self.id_token
        return body


@dataclass(frozen=True)
class AccessGrant:
    """What a live access token allows: one realm, for one app, with these scopes."""

    realm_id: str
    client_id: str
    scopes: frozenset[str]
    subject: str


@dataclass
class _Connection:
    realm_id: str
    client_id: str
    scopes: frozenset[str]
    refresh_token: str
    refresh_expires_at: datetime
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set)


@dataclass
class _AccessToken:
    connection: _Connection
    expires_at: datetime


@dataclass(frozen=True)
class _Code:
    realm_id: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: datetime


def user_subject(realm_id: str) -> str:
    """The ``sub`` of the sandbox user who connects ``realm_id`` (stable, shaped like Intuit's UUIDs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"qbo-sandbox:user:{realm_id}"))


class OAuthService:
    """Issues and checks tokens for the sandbox's apps (``client_id``/``client_secret`` plus ``extra_clients``)."""

    def __init__(self, *, client_id: str, client_secret: str, clock: Clock, access_ttl: int = 3600,
                 refresh_ttl: int = 100 * 24 * 3600, code_ttl: int = 600,
                 extra_clients: Mapping[str, str] | None = None, wall_clock: Clock | None = None) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.clients: dict[str, str] = {**dict(extra_clients or {}), client_id: client_secret}
        self.clock = clock
        self.wall_clock: Clock = wall_clock or SystemClock()
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.code_ttl = code_ttl
        self.id_tokens = IdTokenSigner()
        self._lock = threading.Lock()
        self._by_refresh: dict[str, _Connection] = {}
        self._access: dict[str, _AccessToken] = {}
        self._codes: dict[str, _Code] = {}

    # ---------------------------------------------------------------------------------- client auth

    def authenticate_client(self, authorization_header: str | None, form: Mapping[str, str]) -> str:
        """The client id of a token request, authenticated by exactly one of the two methods Intuit's
        discovery document lists: ``client_secret_basic`` (HTTP Basic) or ``client_secret_post`` (form).

        Raises ``InvalidClient`` (``invalid_client``; ``invalid_request`` when both methods are used).
        Secrets are compared in constant time.
        """
        basic = authorization_header is not None and authorization_header[:6].lower() == "basic "
        posted = "client_secret" in form
        if basic and posted:
            raise InvalidClient("invalid_request", "use one client authentication method, not two")
        if basic:
            try:
                decoded = base64.b64decode(authorization_header[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise InvalidClient("invalid_client", "malformed Basic credentials") from None
            client_id, _, secret = decoded.partition(":")
        elif posted:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        else:
            raise InvalidClient("invalid_client", "client authentication is required")
        if not self._secret_matches(client_id, secret):
            raise InvalidClient("invalid_client", "unknown client or wrong secret")
        return client_id

    def client_matches(self, authorization_header: str | None) -> bool:
        """Check an ``Authorization: Basic base64(id:secret)`` header alone (the revocation endpoint)."""
        try:
            self.authenticate_client(authorization_header, {})
        except InvalidClient:
            return False
        return True

    def knows_client(self, client_id: str | None) -> bool:
        return client_id in self.clients

    def _secret_matches(self, client_id: str, secret: str) -> bool:
        expected = self.clients.get(client_id)
        # Compare against something even for an unknown id, so timing does not reveal which ids exist.
        return hmac.compare_digest(secret, expected if expected is not None else secrets.token_hex(16)) and (
            expected is not None)

    # -------------------------------------------------------------------------------------- grants

    def connect(self, realm_id: str, *, client_id: str | None = None,
                scopes: Iterable[str] = DEFAULT_SCOPES) -> TokenSet:
        """Create a new connection of ``client_id`` (default: the main app) to ``realm_id``; its first tokens."""
        with self._lock:
            return self._connect(realm_id, client_id or self.client_id, frozenset(scopes), self.clock.now())

    def _connect(self, realm_id: str, client_id: str, scopes: frozenset[str], now: datetime,
                 issuer: str | None = None) -> TokenSet:
        connection = _Connection(realm_id, client_id, scopes, self._token("RT"),
                                 now + timedelta(seconds=self.refresh_ttl))
        self._by_refresh[connection.refresh_token] = connection
        return self._issue(connection, now, issuer)

    def issue_authorization_code(self, realm_id: str, *, redirect_uri: str, client_id: str | None = None,
                                 scopes: Iterable[str] = DEFAULT_SCOPES) -> str:
        """A single-use code bound to the app, ``redirect_uri`` and ``scopes`` (what consent produces)."""
        with self._lock:
            code = self._token("AB")
            self._codes[code] = _Code(realm_id, client_id or self.client_id, redirect_uri, frozenset(scopes),
                                      self.clock.now() + timedelta(seconds=self.code_ttl))
            return code

    def exchange_code(self, code: str, *, client_id: str, redirect_uri: str | None,
                      issuer: str | None = None) -> TokenSet:
        """Exchange a code for a new connection's tokens (plus an id_token for ``openid`` when ``issuer`` is
        given). ``InvalidGrant`` unless the code is live and this app sends the code's own redirect_uri."""
        with self._lock:
            grant = self._codes.pop(code, None)  # spent by any attempt, as RFC 6749 asks
            now = self.clock.now()
            if grant is None or now >= grant.expires_at:
                raise InvalidGrant("authorization code is unknown, used or expired")
            if grant.client_id != client_id:
                raise InvalidGrant("authorization code was issued to another client")
            if grant.redirect_uri != redirect_uri:
                raise InvalidGrant("redirect_uri does not match the one the code was issued for")
            return self._connect(grant.realm_id, grant.client_id, grant.scopes, now, issuer)

    def refresh(self, refresh_token: str, *, client_id: str | None = None) -> TokenSet:
        """Rotate: a new refresh token replaces ``refresh_token``, which stops working. Only the app the
        token was issued to may use it (``client_id``; None means the main app)."""
        with self._lock:
            now = self.clock.now()
            connection = self._by_refresh.get(refresh_token)
            if connection is None or connection.revoked or now >= connection.refresh_expires_at:
                raise InvalidGrant("refresh token is unknown, rotated, expired or revoked")
            if connection.client_id != (client_id or self.client_id):
                raise InvalidGrant("refresh token was issued to another client")
            del self._by_refresh[refresh_token]
            connection.refresh_token = self._token("RT")
            connection.refresh_expires_at = now + timedelta(seconds=self.refresh_ttl)
            self._by_refresh[connection.refresh_token] = connection
            return self._issue(connection, now, None)

    def revoke(self, token: str) -> bool:
        """Revoke the connection ``token`` (a refresh or access token) belongs to; False if unknown."""
        with self._lock:
            connection = self._by_refresh.get(token)
            if connection is None and token in self._access:
                connection = self._access[token].connection
            if connection is None:
                return False
            self._revoke(connection)
            return True

    def disconnect(self, realm_id: str) -> int:
        """Revoke every connection to ``realm_id`` (the user disconnected the app); returns how many."""
        with self._lock:
            connections = [c for c in self._by_refresh.values() if c.realm_id == realm_id and not c.revoked]
            for connection in connections:
                self._revoke(connection)
            return len(connections)

    # ------------------------------------------------------------------------------ access checks

    def authenticate(self, access_token: str | None) -> AccessGrant:
        """What ``access_token`` grants; ``AccessDenied`` (with Intuit-like detail) if nothing."""
        if not access_token:
            raise AccessDenied("Authorization header missing or not a Bearer token")
        with self._lock:
            record = self._access.get(access_token)
            if record is None or record.connection.revoked:
                raise AccessDenied("Token invalid")
            if self.clock.now() >= record.expires_at:
                raise AccessDenied("Token expired")
            connection = record.connection
            return AccessGrant(connection.realm_id, connection.client_id, connection.scopes,
                               user_subject(connection.realm_id))

    def expire_access_tokens(self) -> int:
        """Fault injection: every access token issued so far expires now. Returns how many were live."""
        with self._lock:
            now = self.clock.now()
            live = [record for record in self._access.values() if record.expires_at > now]
            for record in live:
                record.expires_at = now
            return len(live)

    def expire_refresh_tokens(self, realm_id: str | None = None) -> int:
        """Make current refresh tokens (of one realm, or all) expired, as after 100 days unused."""
        with self._lock:
            now = self.clock.now()
            count = 0
            for connection in self._by_refresh.values():
                if realm_id is None or connection.realm_id == realm_id:
                    connection.refresh_expires_at = now
                    count += 1
            return count

    # ------------------------------------------------------------------------------------ internals

    def _issue(self, connection: _Connection, now: datetime, issuer: str | None) -> TokenSet:
        access = self._token("eyJ")
        self._access[access] = _AccessToken(connection, now + timedelta(seconds=self.access_ttl))
        connection.access_tokens.add(access)
        refresh_left = int((connection.refresh_expires_at - now).total_seconds())
        id_token = None
        if issuer is not None and OPENID_SCOPE in connection.scopes:
            id_token = self.id_tokens.sign(issuer=issuer, client_id=connection.client_id,
                                           subject=user_subject(connection.realm_id), realm_id=connection.realm_id,
                                           issued_at=int(self.wall_clock.now().timestamp()),
                                           lifetime_seconds=self.access_ttl)
        return TokenSet(connection.realm_id, access, connection.refresh_token, self.access_ttl, refresh_left,
                        id_token)

    def _revoke(self, connection: _Connection) -> None:
        connection.revoked = True
        for access in connection.access_tokens:
            self._access.pop(access, None)
        connection.access_tokens.clear()

    @staticmethod
    def _token(prefix: str) -> str:
        return prefix + secrets.token_urlsafe(32)
