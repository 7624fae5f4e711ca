"""Errors of the access domain, and the infra error the HTTP API must map but may not import.

The API maps every one of these to a status code; the domain never does.
"""

from __future__ import annotations

from domains.core.errors import DomainError
from infra.interfaces.errors import StorageError

__all__ = ["IdempotencyKeyReused", "NotConfigured", "StorageError", "Unauthenticated", "WebhookRejected"]


class Unauthenticated(DomainError):
    """No credentials, or credentials that do not identify an active advisor. The message never says
    which (unknown and revoked tokens read the same)."""


class IdempotencyKeyReused(DomainError):
    """An idempotency key already answered a different request (another path or another body)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different request; "
                         "use a new key for a new request")
        self.key = key


class WebhookRejected(DomainError):
    """A webhook delivery whose signature does not match its body."""


class NotConfigured(DomainError):
    """A feature this deployment has not wired (``feature`` names it: ``"qbo"``, ``"webhooks"``, ``"sync"``)."""

    def __init__(self, feature: str, message: str) -> None:
        super().__init__(message)
        self.feature = feature
