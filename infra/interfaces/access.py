"""Ports and records for API access: advisors, API tokens, idempotency records, sync requests, readiness.

Same conventions as ``infra.interfaces.ports``: each port is a ``typing.Protocol`` whose docstring states
its contract and whether it is **local** (the mirror database, never the network) or **live**. All of these
are local. Records are frozen dataclasses with no driver types; instants are timezone-aware ``datetime``.
Implementations live in ``infra.db.repositories`` (``advisors``, ``idempotency``, ``health``) and, for
``SyncRequests`` and ``WebhookInbox``, in the composition root's adapters (``runway.bootstrap.adapters``)
over ``infra.jobs``' sync request queue and webhook handler. The runway services that use them
(``runway.services``: authentication, advisors, idempotency, operations) get them from the composition
root. Failures surface as ``infra.interfaces.errors`` exceptions (and the two webhook errors below).

Secrets never cross these ports in the clear: an API token is handed to the store as its SHA-256 digest
(``token_hash``), and looked up by that digest, so no stored value can be replayed as a token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from infra.interfaces.errors import InfraError
from infra.interfaces.patterns import local_port
from infra.interfaces.records import FirmRecord

# -- records --------------------------------------------------------------------------------------------

#: ``IdempotencyRecord.status_code`` of a key whose request has no stored answer (yet).
IDEMPOTENCY_PENDING = 0


@dataclass(frozen=True, slots=True)
class AdvisorRecord:
    """A person at an advisory firm who uses the API; sees only the firm's client businesses."""

    id: int
    firm_id: int
    email: str
    name: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """An API token as stored: its digest, never the token itself. ``prefix`` is the token's first
    characters, shown to people so they can tell their tokens apart."""

    id: int
    advisor_id: int
    token_hash: str
    prefix: str
    label: str | None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None  # None: never expires

    @property
    def active(self) -> bool:
        """Not revoked (expiry is judged against a clock: ``usable_at``)."""
        return self.revoked_at is None

    def usable_at(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.active and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """What one token lookup answers: the token, the advisor it belongs to and the advisor's firm."""

    token: ApiTokenRecord
    advisor: AdvisorRecord
    firm: FirmRecord


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """An idempotency key, scoped by firm, bound to the first request that used it, and that request's
    answer once it has one.

    ``fingerprint`` identifies the request (method, path and normalised body). ``status_code`` 0 means no
    answer is stored yet (the request is running, or failed without a result worth repeating); otherwise
    ``body`` is the JSON text of the answer exactly as it was sent.
    """

    firm_id: int
    key: str
    fingerprint: str
    status_code: int
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SyncRequestRecord:
    """A queued request to sync a business (Pattern 3 runs it later, never on the request path).
    ``entities`` None means every mirrored entity; ``request_count`` counts requests merged into it."""

    id: int
    business_id: int
    entities: frozenset[str] | None
    full: bool
    reason: str
    requested_at: datetime
    request_count: int


@dataclass(frozen=True, slots=True)
class WorkerHeartbeatRecord:
    """The last time a background sync worker went round its loop."""

    worker_id: str
    last_beat: datetime
    state: str


@dataclass(frozen=True, slots=True)
class BusinessSyncOverview:
    """How far one business's mirror is synced: the oldest last success among its entities, and how many
    entities have succeeded at least once."""

    business_id: int
    oldest_success_at: datetime | None
    synced_entities: int


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """What a webhook delivery led to: the changes it named, the businesses a sync was queued for, the
    realms no business is connected to and the entity names not mirrored (both ignored)."""

    notifications: int
    queued: int
    unknown_realms: int = 0
    ignored_entities: int = 0


class WebhookSignatureInvalid(InfraError):
    """A webhook delivery whose ``intuit-signature`` is missing or does not match its body."""


class WebhookPayloadInvalid(InfraError):
    """A signed webhook delivery whose body is not a notification."""


# -- ports ----------------------------------------------------------------------------------------------


@local_port
@runtime_checkable
class AdvisorDirectory(Protocol):
    """Local: advisors and the firms they belong to."""

    def find_firm_by_name(self, name: str) -> FirmRecord | None:
        ...

    def create_firm(self, name: str) -> FirmRecord:
        ...

    def get_advisor(self, advisor_id: int) -> AdvisorRecord:
        """``RecordNotFound`` if there is none."""
        ...

    def find_advisor_by_email(self, email: str) -> AdvisorRecord | None:
        """By e-mail address, compared as stored (callers normalise to lower case)."""
        ...

    def create_advisor(self, firm_id: int, email: str, name: str | None, created_at: datetime) -> AdvisorRecord:
        """``StorageError`` if the e-mail address is taken or the firm does not exist."""
        ...

    def list_advisors(self, firm_id: int) -> list[AdvisorRecord]:
        ...


@local_port
@runtime_checkable
class ApiTokenStore(Protocol):
    """Local: API tokens, stored as digests and found by digest (one indexed lookup per request)."""

    def add_token(self, advisor_id: int, token_hash: str, prefix: str, label: str | None,
                  created_at: datetime, expires_at: datetime | None = None) -> ApiTokenRecord:
        ...

    def find_by_hash(self, token_hash: str) -> TokenOwner | None:
        """The token with that digest (revoked ones included) with its advisor and firm, or None."""
        ...

    def mark_used(self, token_id: int, at: datetime) -> None:
        ...

    def revoke(self, token_id: int, at: datetime) -> None:
        ...

    def list_tokens(self, advisor_id: int) -> list[ApiTokenRecord]:
        ...


@local_port
@runtime_checkable
class IdempotencyStore(Protocol):
    """Local: first answers to requests that carried an idempotency key, per firm and key."""

    def get(self, firm_id: int, key: str) -> IdempotencyRecord | None:
        ...

    def put_if_absent(self, record: IdempotencyRecord) -> IdempotencyRecord:
        """Store ``record`` unless the firm already has one with that key; answer the stored one (the
        first writer wins when two requests race)."""
        ...

    def complete(self, firm_id: int, key: str, status_code: int, body: str) -> IdempotencyRecord:
        """Store the answer of a pending record (one whose ``status_code`` is 0); an answer already stored
        is kept (the first wins). Answers the stored record; ``RecordNotFound`` if there is none."""
        ...

    def delete_older_than(self, before: datetime) -> int:
        """Forget records created before ``before``; answers how many went."""
        ...


@local_port
@runtime_checkable
class SyncRequests(Protocol):
    """Local: the queue of sync requests that background workers serve (the request is only queued)."""

    def enqueue(self, business_id: int, entities: Iterable[str] | None, reason: str, *, full: bool
                ) -> SyncRequestRecord:
        """Queue a request (stamped now), merged into the business's pending one if there is one."""
        ...


@local_port
@runtime_checkable
class ReadinessProbe(Protocol):
    """Local: cheap checks that the mirror database answers, and how current the mirror and workers are."""

    def ping(self) -> None:
        """Returns when the database answers a trivial query; ``StorageError`` when it does not."""
        ...

    def sync_overview(self) -> list[BusinessSyncOverview]:
        """One row per business, by id."""
        ...

    def worker_heartbeats(self) -> list[WorkerHeartbeatRecord] | None:
        """Every worker's last beat, or None when this deployment keeps no heartbeats."""
        ...


@local_port
@runtime_checkable
class WebhookInbox(Protocol):
    """Local: verifies a QBO webhook delivery (``intuit-signature``: base64 HMAC-SHA256 of the raw body under
    the verifier token, compared in constant time) and queues the syncs it names. Raises
    ``WebhookSignatureInvalid`` before reading an unverified body, ``WebhookPayloadInvalid`` for a body that
    is not a notification."""

    def accept(self, body: bytes, signature: str | None) -> WebhookReceipt:
        ...


__all__ = [
    "IDEMPOTENCY_PENDING",
    "AdvisorDirectory",
    "AdvisorRecord",
    "ApiTokenRecord",
    "ApiTokenStore",
    "BusinessSyncOverview",
    "IdempotencyRecord",
    "IdempotencyStore",
    "ReadinessProbe",
    "SyncRequestRecord",
    "SyncRequests",
    "TokenOwner",
    "WebhookInbox",
    "WebhookPayloadInvalid",
    "WebhookReceipt",
    "WebhookSignatureInvalid",
    "WorkerHeartbeatRecord",
]
