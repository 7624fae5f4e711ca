"""OAuth 2.0 tokens of QBO companies: fresh access tokens, refresh-token rotation, reconnect state.

The ``TokenManager`` keeps no token of its own: it loads from the ``TokenStore`` and saves the rotated
tokens right after every refresh (Intuit rotates the refresh token and only the newest one works).

- ``access_token(realm)`` returns a token valid for at least ``refresh_margin_seconds``, refreshing first
  when needed; ``refresh_after_401(realm, rejected)`` refreshes unless another thread already did.
- Refreshes of one realm are serialised by a per-realm lock; after taking it the tokens are reloaded and
  re-checked, so N threads that find an expired token cause one call to the token endpoint.
- ``invalid_grant`` (expired or revoked refresh token) marks the realm reconnect-required in the store
  and raises ``QboReconnectRequired``; so does a realm with no tokens. Before giving up, the store is
  reloaded once: if another process rotated the refresh token meanwhile, the newer one is used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from infra.interfaces.errors import QboAuthError, QboError, QboReconnectRequired, QboUnavailableError
from infra.qbo import _json
from infra.qbo.config import QboClientConfig
from infra.qbo.errors import QboRequestNotSent
from infra.qbo.faults import error_from_transport
from infra.qbo.tokens import OAuthTokens, TokenStore

__all__ = ["TokenManager"]

logger = logging.getLogger("infra.qbo")

Now = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _reconnect_message(realm_id: str, why: str) -> str:
    return f"reconnect this company: QBO realm {realm_id} {why}; a person must connect it to QuickBooks again"


class TokenManager:
    """Access tokens for every realm, refreshed through the token endpoint with ``http``."""

    def __init__(self, config: QboClientConfig, store: TokenStore, http: httpx.Client, *,
                 now: Now = _utcnow) -> None:
        self._config = config
        self._store = store
        self._http = http
        self._now = now
        self._margin = timedelta(seconds=config.refresh_margin_seconds)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, realm_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(realm_id, threading.Lock())

    def _load(self, realm_id: str) -> OAuthTokens:
        tokens = self._store.load(realm_id)
        if tokens is None:
            status, reason = self._store.status(realm_id)
            why = f"has no stored tokens (status {status.value}{': ' + reason if reason else ''})"
            raise QboReconnectRequired(_reconnect_message(realm_id, why), realm_id=realm_id)
        return tokens

    def _usable(self, tokens: OAuthTokens) -> bool:
        return bool(tokens.access_token) and tokens.access_expires_at is not None and (
            tokens.access_expires_at - self._margin > self._now())

    def access_token(self, realm_id: str) -> str:
        """A token valid for at least the refresh margin; refreshes (once across threads) when needed."""
        tokens = self._load(realm_id)
        if self._usable(tokens):
            return tokens.access_token  # type: ignore[return-value]
        with self._lock(realm_id):
            tokens = self._load(realm_id)
            if self._usable(tokens):
                return tokens.access_token  # type: ignore[return-value]
            return self._refresh(tokens).access_token  # type: ignore[return-value]

    def refresh_after_401(self, realm_id: str, rejected_token: str) -> str:
        """A new access token after QBO refused ``rejected_token``, unless another thread already got one."""
        with self._lock(realm_id):
            tokens = self._load(realm_id)
            if tokens.access_token and tokens.access_token != rejected_token and self._usable(tokens):
                return tokens.access_token
            return self._refresh(tokens).access_token  # type: ignore[return-value]

    def exchange_authorization_code(self, realm_id: str, code: str, redirect_uri: str) -> OAuthTokens:
        """Connect a company: trade the code from Intuit's redirect (which also names ``realmId``) for tokens
        and save them. A refused code raises ``QboAuthError`` and leaves the store as it was."""
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        with self._lock(realm_id):
            response = self._post_token(realm_id, data)
            if response.status_code != 200:
                raise self._token_error(realm_id, response, "authorization code exchange")
            tokens = self._tokens_from(realm_id, response, previous_refresh=None)
            self._store.save(tokens)
        logger.info("QBO realm %s connected", realm_id, extra={"realm_id": realm_id})
        return tokens

    # -- internals ------------------------------------------------------------------------------

    def _refresh(self, tokens: OAuthTokens, *, reloaded: bool = False) -> OAuthTokens:
        """Refresh with ``tokens.refresh_token``; caller holds the realm lock."""
        realm_id = tokens.realm_id
        data = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
        try:
            response = self._post_token(realm_id, data)
        except QboUnavailableError as exc:
            raise QboRequestNotSent(f"token refresh failed, request not sent: {exc.message}",
                                    realm_id=realm_id) from exc
        if response.status_code == 200:
            new = self._tokens_from(realm_id, response, previous_refresh=tokens.refresh_token)
            self._store.save(new)  # save the rotated refresh token before anything else can fail
            logger.info("QBO realm %s access token refreshed", realm_id,
                        extra={"realm_id": realm_id, "intuit_tid": response.headers.get("intuit_tid")})
            return new
        if self._error_code(response) == "invalid_grant":
            if not reloaded:
                # Another process may have rotated the refresh token after we loaded it.
                current = self._store.load(realm_id)
                if current is not None and current.refresh_token != tokens.refresh_token:
                    if self._usable(current):
                        return current
                    return self._refresh(current, reloaded=True)
            reason = f"refresh token refused (invalid_grant) at {self._now().isoformat()}"
            self._store.mark_reconnect_required(realm_id, reason)
            logger.warning("QBO realm %s must reconnect: %s", realm_id, reason, extra={"realm_id": realm_id})
            raise QboReconnectRequired(
                _reconnect_message(realm_id, "refused its refresh token (expired or revoked)"),
                intuit_tid=response.headers.get("intuit_tid"), fault_code="invalid_grant",
                status_code=response.status_code, realm_id=realm_id)
        error = self._token_error(realm_id, response, "token refresh")
        if isinstance(error, QboUnavailableError):
            raise QboRequestNotSent(f"token refresh failed, request not sent: {error.message}",
                                    intuit_tid=error.intuit_tid, status_code=error.status_code,
                                    realm_id=realm_id)
        raise error

    def _post_token(self, realm_id: str, data: dict[str, str]) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = self._http.post(
                self._config.token_url, data=data, auth=(self._config.client_id, self._config.client_secret),
                headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            logger.warning("QBO token %s for realm %s failed: %s", data["grant_type"], realm_id,
                           type(exc).__name__, extra={"realm_id": realm_id})
            raise error_from_transport(exc, realm_id, "POST", "token endpoint") from exc
        logger.info("QBO POST token endpoint (%s) realm %s -> %s intuit_tid=%s %.0f ms", data["grant_type"],
                    realm_id, response.status_code, response.headers.get("intuit_tid"),
                    (time.perf_counter() - started) * 1000,
                    extra={"realm_id": realm_id, "status": response.status_code,
                           "intuit_tid": response.headers.get("intuit_tid")})
        return response

    @staticmethod
    def _error_code(response: httpx.Response) -> str | None:
        try:
            body = _json.loads(response.content)
        except ValueError:
            return None
        return body.get("error") if isinstance(body, dict) else None

    def _token_error(self, realm_id: str, response: httpx.Response, what: str) -> QboError:
        status = response.status_code
        code = self._error_code(response)
        common = {"intuit_tid": response.headers.get("intuit_tid"), "fault_code": code,
                  "status_code": status, "realm_id": realm_id}
        message = f"QBO {what} for realm {realm_id} failed: HTTP {status}" + (f" {code}" if code else "")
        if status >= 500 or status == 429:
            return QboUnavailableError(message, **common)
        return QboAuthError(message, **common)  # invalid_client, invalid_request, a refused code...

    def _tokens_from(self, realm_id: str, response: httpx.Response, previous_refresh: str | None
                     ) -> OAuthTokens:
        try:
            body = _json.loads(response.content)
            access = body["access_token"]
            refresh = body.get("refresh_token") or previous_refresh
            expires_in = float(body.get("expires_in", 3600))
            refresh_in = body.get("x_refresh_token_expires_in")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise QboAuthError(f"QBO token endpoint answered an unreadable body for realm {realm_id}",
                               intuit_tid=response.headers.get("intuit_tid"), status_code=response.status_code,
                               realm_id=realm_id) from exc
        if not access or not refresh:
            raise QboAuthError(f"QBO token endpoint answered without tokens for realm {realm_id}",
                               status_code=response.status_code, realm_id=realm_id)
        now = self._now()
        return OAuthTokens(
            realm_id=realm_id, refresh_token=str(refresh), access_token=str(access),
            access_expires_at=now + timedelta(seconds=expires_in),
            refresh_expires_at=now + timedelta(seconds=float(refresh_in)) if refresh_in is not None else None)
