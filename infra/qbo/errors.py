"""Exceptions of the QBO adapter beyond the shared tree in ``infra.interfaces.errors``.

Each one subclasses an exception of the shared tree, so callers that catch the shared classes keep
working; the subclasses only add what the adapter itself needs to tell apart::

    QboError (infra.interfaces.errors)
    ├── MalformedEntityError          QBO answered, but an entity cannot be mapped to a record
    ├── QboThrottledError
    │   └── QboLimiterTimeout         this process's own limiter had no free slot in time (never sent)
    └── QboUnavailableError
        └── QboRequestNotSent         failed before the request left (connect error, token endpoint down):
                                      safe to retry even a non-idempotent write

``MalformedEntityError`` is a plain ``QboError`` rather than a ``QboValidationError`` on purpose: the
request was fine, the data QBO holds (or sent) is not what the mirror expects. A sync job quarantines
such entities; an HTTP layer should treat it as a bad upstream answer (502), not as a client error.
"""

from __future__ import annotations

from infra.interfaces.errors import QboError, QboThrottledError, QboUnavailableError

__all__ = ["MalformedEntityError", "QboLimiterTimeout", "QboRequestNotSent"]


class MalformedEntityError(QboError):
    """A QBO entity payload lacks a field the record needs or holds a value of the wrong type."""

    def __init__(self, entity: str, entity_id: str | None, reason: str, *, realm_id: str | None = None
                 ) -> None:
        super().__init__(f"malformed {entity} {entity_id or '<no Id>'}: {reason}", realm_id=realm_id)
        self.entity = entity
        self.entity_id = entity_id
        self.reason = reason


class QboLimiterTimeout(QboThrottledError):
    """The realm's limiter (our own, in this process) gave no slot before the timeout; nothing was sent.

    ``retry_after_seconds`` is how long the limiter expected the wait to be, when it knew.
    """


class QboRequestNotSent(QboUnavailableError):
    """QBO could not be reached and the data request never left this process."""
