"""The exceptions infra raises, translated from driver errors (SQLAlchemy, httpx).

Adapters catch driver exceptions and raise one of these with ``raise ... from exc``; only the HTTP API
layer maps them to status codes. The tree::

    InfraError
    ├── StorageError                 the mirror database failed (connection, constraint, timeout)
    │   └── RecordNotFound           a lookup by id found no row for that business
    └── QboError                     anything that went wrong talking to QuickBooks Online
        ├── QboValidationError       ValidationFault: the request was wrong (fault codes 2xxx, 6xxx, ...)
        │   └── QboStaleObjectError  fault 5010: the SyncToken sent was not the current one
        ├── QboAuthError             AuthenticationFault / AuthorizationFault after one token refresh
        │   └── QboReconnectRequired the refresh token is expired or revoked (``invalid_grant``)
        ├── QboThrottledError        HTTP 429 / fault 3001 after the retries ran out
        └── QboUnavailableError      5xx, timeouts, dropped connections after the retries ran out

Every ``QboError`` carries the ``intuit_tid`` of the answer that caused it (``None`` when there was no
answer), the QBO fault code and the HTTP status where known.
"""

from __future__ import annotations


class InfraError(Exception):
    """Base of every exception infra raises to its callers."""


class StorageError(InfraError):
    """The mirror database could not do what was asked."""


class RecordNotFound(StorageError):
    """No row with that id exists for that business."""


class QboError(InfraError):
    """A QuickBooks Online request failed."""

    def __init__(
        self,
        message: str,
        *,
        intuit_tid: str | None = None,
        fault_code: str | None = None,
        status_code: int | None = None,
        realm_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.intuit_tid = intuit_tid
        self.fault_code = fault_code
        self.status_code = status_code
        self.realm_id = realm_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.fault_code:
            parts.append(f"fault {self.fault_code}")
        if self.status_code:
            parts.append(f"HTTP {self.status_code}")
        if self.intuit_tid:
            parts.append(f"intuit_tid {self.intuit_tid}")
        return " | ".join(parts)


class QboValidationError(QboError):
    """QBO refused the request as invalid (ValidationFault)."""


class QboStaleObjectError(QboValidationError):
    """Fault 5010: the object changed since it was read; re-read it and retry, never overwrite."""


class QboAuthError(QboError):
    """QBO refused the credentials even after one token refresh."""


class QboReconnectRequired(QboAuthError):
    """The refresh token is expired or revoked: the company must be reconnected by a person."""


class QboThrottledError(QboError):
    """QBO kept answering 429 (fault 3001) after the retries ran out."""

    def __init__(self, message: str, *, retry_after_seconds: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_seconds = retry_after_seconds


class QboUnavailableError(QboError):
    """QBO could not be reached or kept failing (5xx, timeout, dropped connection)."""
