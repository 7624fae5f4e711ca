"""OAuth 2.0 for the sandbox: connections, authorization codes, refresh and access tokens.

Model (what Intuit does, minus the browser consent step):
- A *connection* is the app's grant for one realm. ``connect(realm_id)`` creates one directly (the
  Python stand-in for a user clicking "Connect"); ``issue_authorization_code(realm_id)`` plus the
  ``authorization_code`` grant creates one through the token endpoint.
- Each connection has exactly one live refresh token. ``refresh`` rotates it: the answer carries a new
  refresh token and the one used stops working at once. Unknown, used, expired or revoked refresh tokens
  and authorization codes fail with ``InvalidGrant`` (``invalid_grant`` on the wire).
- Access tokens are scoped to their connection's realm and expire after ``access_ttl`` seconds of the
  injected clock. Revoking a connection invalidates all of its tokens.

All tokens are opaque random strings. Thread-safe.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .clock import Clock


class InvalidGrant(Exception):
    """The refresh token or authorization code is unknown, used, expired or revoked."""


class AccessDenied(Exception):
    """A data request's access token is missing, unknown, expired or revoked. ``str()`` is the detail."""


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint answers (``as_response()`` is the JSON body Intuit sends)."""

    realm_id: str
    access_token: str
    refresh_token: str
    expires_in: int
    x_refresh_token_expires_in: int

    def as_response(self) -> dict:
        return {"token_type": "bearer", "access_token": self.access_token, "refresh_token": self.refresh_token,
                "expires_in": self.expires_in, "x_refresh_token_expires_in": self.x_refresh_token_expires_in}


@dataclass
class _Connection:
    realm_id: str
    refresh_token: str
    refresh_expires_at: datetime
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set)


@dataclass
class _AccessToken:
    connection: _Connection
    expires_at: datetime


class OAuthService:
    """Issues and checks tokens for one app (``client_id``/``client_secret``)."""

    def __init__(self, *, client_id: str, client_secret: str, clock: Clock, access_ttl: int = 3600,
                 refresh_ttl: int = 100 * 24 * 3600, code_ttl: int = 600) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self.code_ttl = code_ttl
        self._lock = threading.Lock()
        self._by_refresh: dict[str, _Connection] = {}
        self._access: dict[str, _AccessToken] = {}
        self._codes: dict[str, tuple[str, datetime]] = {}

    # ---------------------------------------------------------------------------------- client auth

    def client_matches(self, authorization_header: str | None) -> bool:
        """Check an ``Authorization: Basic base64(id:secret)`` header, in constant time."""
        if not authorization_header or not authorization_header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(authorization_header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        client_id, _, secret = decoded.partition(":")
        return hmac.compare_digest(client_id, self.client_id) & hmac.compare_digest(secret, self.client_secret)

    # -------------------------------------------------------------------------------------- grants

    def connect(self, realm_id: str) -> TokenSet:
        """Create a new connection to ``realm_id`` and return its first tokens."""
        with self._lock:
            now = self.clock.now()
            connection = _Connection(realm_id, self._token("RT"), now + timedelta(seconds=self.refresh_ttl))
            self._by_refresh[connection.refresh_token] = connection
            return self._issue(connection, now)

    def issue_authorization_code(self, realm_id: str) -> str:
        """A single-use code the ``authorization_code`` grant exchanges for a new connection's tokens."""
        with self._lock:
            code = self._token("AB")
            self._codes[code] = (realm_id, self.clock.now() + timedelta(seconds=self.code_ttl))
            return code

    def exchange_code(self, code: str) -> TokenSet:
        with self._lock:
            realm_id, expires_at = self._codes.pop(code, (None, None))
        if realm_id is None or expires_at is None or self.clock.now() >= expires_at:
            raise InvalidGrant("authorization code is unknown, used or expired")
        return self.connect(realm_id)

    def refresh(self, refresh_token: str) -> TokenSet:
        """Rotate: a new refresh token replaces ``refresh_token``, which stops working."""
        with self._lock:
            now = self.clock.now()
            connection = self._by_refresh.get(refresh_token)
            if connection is None or connection.revoked or now >= connection.refresh_expires_at:
                raise InvalidGrant("refresh token is unknown, rotated, expired or revoked")
            del self._by_refresh[refresh_token]
            connection.refresh_token = self._token("RT")
            connection.refresh_expires_at = now + timedelta(seconds=self.refresh_ttl)
            self._by_refresh[connection.refresh_token] = connection
            return self._issue(connection, now)

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

    def authenticate(self, access_token: str | None) -> str:
        """The realm ``access_token`` grants access to; ``AccessDenied`` (with Intuit-like detail) if none."""
        if not access_token:
            raise AccessDenied("Authorization header missing or not a Bearer token")
        with self._lock:
            record = self._access.get(access_token)
            if record is None or record.connection.revoked:
                raise AccessDenied("Token invalid")
            if self.clock.now() >= record.expires_at:
                raise AccessDenied("Token expired")
            return record.connection.realm_id

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

    def _issue(self, connection: _Connection, now: datetime) -> TokenSet:
        access = self._token("eyJ")
        self._access[access] = _AccessToken(connection, now + timedelta(seconds=self.access_ttl))
        connection.access_tokens.add(access)
        refresh_left = int((connection.refresh_expires_at - now).total_seconds())
        return TokenSet(connection.realm_id, access, connection.refresh_token, self.access_ttl, refresh_left)

    def _revoke(self, connection: _Connection) -> None:
        connection.revoked = True
        for access in connection.access_tokens:
            self._access.pop(access, None)
        connection.access_tokens.clear()

    @staticmethod
    def _token(prefix: str) -> str:
        return prefix + secrets.token_urlsafe(32)
