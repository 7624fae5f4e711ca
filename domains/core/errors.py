"""Errors the domain raises. The API layer maps them to HTTP answers; the domain never does."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose, the runway services' included (the API maps each
    subclass to a status code in ``runway.api.problems``)."""


class InvalidInput(DomainError):
    """An argument broke the operation's contract; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist for this business."""

    def __init__(self, kind: str, key: object, business_id: int | None = None) -> None:
        suffix = f" for business {business_id}" if business_id is not None else ""
        super().__init__(f"{kind} {key!s} not found{suffix}")
        self.kind = kind
        self.key = key
        self.business_id = business_id


class LiveDataUnavailable(DomainError):
    """A live (Pattern 2) operation could not reach QuickBooks and had nothing safe to fall back on."""

    def __init__(self, message: str, *, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ActionRefused(DomainError):
    """QuickBooks refused a write (for example a payment larger than the bill's balance)."""
