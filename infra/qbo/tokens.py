"""OAuth 2.0 token storage as the QBO client needs it.

The client keeps no token of its own: it loads the company's tokens from a ``TokenStore`` before a
request and saves them after every refresh, because Intuit rotates the refresh token on each use and only
the newest one works. The durable implementation (``infra.db.token_store``) encrypts tokens at rest.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ConnectionStatus(enum.StrEnum):
    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    RECONNECT_REQUIRED = "reconnect_required"


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    """The tokens of one QBO company (realm). Instants are timezone-aware UTC."""

    realm_id: str
    refresh_token: str
    access_token: str | None = None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None


class TokenStore(Protocol):
    """Where the tokens of every connected company are kept; safe to call from several threads."""

    def load(self, realm_id: str) -> OAuthTokens | None:
        """The company's current tokens; None if it was never connected or must reconnect."""
        ...

    def save(self, tokens: OAuthTokens) -> None:
        """Replace the company's tokens and mark it connected."""
        ...

    def mark_reconnect_required(self, realm_id: str, reason: str) -> None:
        """Forget the tokens and record that a person must reconnect the company, and why."""
        ...

    def status(self, realm_id: str) -> tuple[ConnectionStatus, str | None]:
        """The company's connection status and, when it must reconnect, the reason."""
        ...
