"""An in-memory ``TokenStore`` (``infra.qbo.tokens``) for tests: thread-safe, records every save."""

from __future__ import annotations

import threading

from infra.qbo.tokens import ConnectionStatus, OAuthTokens


class InMemoryTokenStore:
    """Holds the tokens of each realm in a dict; ``saved`` lists every ``save`` in order."""

    def __init__(self, *tokens: OAuthTokens) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, OAuthTokens] = {t.realm_id: t for t in tokens}
        self._reconnect: dict[str, str] = {}
        self.saved: list[OAuthTokens] = []

    def load(self, realm_id: str) -> OAuthTokens | None:
        with self._lock:
            return self._tokens.get(realm_id)

    def save(self, tokens: OAuthTokens) -> None:
        with self._lock:
            self._tokens[tokens.realm_id] = tokens
            self._reconnect.pop(tokens.realm_id, None)
            self.saved.append(tokens)

    def mark_reconnect_required(self, realm_id: str, reason: str) -> None:
        with self._lock:
            self._tokens.pop(realm_id, None)
            self._reconnect[realm_id] = reason

    def status(self, realm_id: str) -> tuple[ConnectionStatus, str | None]:
        with self._lock:
            if realm_id in self._reconnect:
                return ConnectionStatus.RECONNECT_REQUIRED, self._reconnect[realm_id]
            if realm_id in self._tokens:
                return ConnectionStatus.CONNECTED, None
            return ConnectionStatus.NOT_CONNECTED, None
