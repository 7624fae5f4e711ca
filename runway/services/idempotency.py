"""Idempotent requests: a key is bound to the first request that used it, and its answer is the answer
to every repeat of that request.

The caller (the HTTP API, ``runway.api.idempotency``) fingerprints each request that carries a key (method,
path, normalised body). ``begin`` binds the key to that fingerprint before anything is done (or finds it
bound already); ``finish`` stores a successful answer. Keys are scoped by firm. The record store is a port
(``infra.interfaces.access.IdempotencyStore``) that the composition root hands in.

- Same key, same request, answer stored: ``begin`` answers it (a replay; nothing is done again).
- Same key, same request, no answer stored (still running, or it failed - e.g. QBO was unavailable):
  ``begin`` answers None and the request runs again; failures are never stored, so a retry can succeed.
- Same key, different request (another path or another body), whatever happened to the first:
  ``IdempotencyKeyReused``. Binding the key before running matters for payments: after a payment failed
  half-way, a retry with the same key repeats exactly the first request in QBO, so the key must not be
  accepted with another amount.

This layer makes repeats cheap and their answers identical; it is not what prevents a double payment.
``PaymentService.record_bill_payment`` gets the same key and derives QBO's ``requestid`` from it, so two
requests racing through ``begin`` at once, or a retry after an answer was lost, still pay once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domains.core.clock import Clock
from domains.core.errors import DomainError, InvalidInput
from infra.interfaces.access import IDEMPOTENCY_PENDING, IdempotencyRecord, IdempotencyStore
from infra.interfaces.patterns import local_read, local_write

MAX_KEY_LENGTH = 200


class IdempotencyKeyReused(DomainError):
    """An idempotency key already answered a different request (another path or another body)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different request; "
                         "use a new key for a new request")
        self.key = key


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An answer kept for an idempotency key: the status and the exact JSON text that was sent."""

    status_code: int
    body: str
    created_at: datetime


@local_read
def is_valid_key(key: str) -> bool:
    """Whether ``key`` can be an idempotency key: 1 to 200 printable ASCII characters."""
    return bool(key) and len(key) <= MAX_KEY_LENGTH and all(" " <= ch <= "~" for ch in key)


@local_read
def check_key(key: str) -> str:
    """An idempotency key as given, or ``InvalidInput("idempotency_key")``."""
    if not is_valid_key(key):
        raise InvalidInput("idempotency_key",
                           f"an idempotency key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")
    return key


class IdempotencyService:
    """Contract: keys must be 1 to 200 printable ASCII characters (``InvalidInput("idempotency_key")``);
    ``begin`` answers the stored answer of the same request, None when the request should run, and raises
    ``IdempotencyKeyReused`` when the key is bound to a different request; ``finish`` stores an answer and
    answers the one that is kept (the first, when two requests race)."""

    def __init__(self, store: IdempotencyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    @local_write
    def begin(self, firm_id: int, key: str, request_fingerprint: str) -> StoredAnswer | None:
        check_key(key)
        stored = self._store.get(firm_id, key)
        if stored is None:
            stored = self._store.put_if_absent(IdempotencyRecord(firm_id, key, request_fingerprint,
                                                                 IDEMPOTENCY_PENDING, "", self._clock.now()))
        if stored.fingerprint != request_fingerprint:
            raise IdempotencyKeyReused(key)
        if stored.status_code == IDEMPOTENCY_PENDING:
            return None
        return StoredAnswer(stored.status_code, stored.body, stored.created_at)

    @local_write
    def finish(self, firm_id: int, key: str, request_fingerprint: str, status_code: int, body: str
               ) -> StoredAnswer:
        if status_code == IDEMPOTENCY_PENDING:
            raise ValueError("an answer needs a real status code")
        kept = self._store.complete(firm_id, check_key(key), status_code, body)
        if kept.fingerprint != request_fingerprint:
            raise IdempotencyKeyReused(key)
        return StoredAnswer(kept.status_code, kept.body, kept.created_at)

    @local_write
    def forget_older_than(self, age: timedelta) -> int:
        """Housekeeping: drop keys older than ``age``. (A key reused after that is new again here; the
        payment's QBO ``requestid`` still refuses to pay twice for the same key and business.)"""
        return self._store.delete_older_than(self._clock.now() - age)
