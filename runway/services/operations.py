"""Operating the service: sync requests, QBO webhooks and readiness.

The sync request queue, the webhook inbox and the readiness probe are ports (``infra.interfaces.access``)
that the composition root hands in (the first two over ``infra.jobs``).

- ``request_sync`` queues a background sync of one business (Pattern 3 runs it later; nothing is synced on
  the request path).
- ``receive_webhook`` hands a QBO webhook delivery to the webhook inbox (``infra.jobs``' handler), which
  checks its ``intuit-signature`` (base64 of HMAC-SHA256 of the raw body under the app's verifier token,
  compared in constant time) before reading it, and queues syncs of the entities it names for every
  business on each realm it names (several firms may connect one QBO company).
- ``readiness`` says whether the mirror database answers, how long ago each sync worker beat, and how
  fresh each client's mirror is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domains.core.clock import Clock
from domains.core.errors import DomainError, InvalidInput
from domains.core.freshness import STALE_AFTER
from infra.interfaces.access import (
    ReadinessProbe,
    SyncRequestRecord,
    SyncRequests,
    WebhookInbox,
    WebhookPayloadInvalid,
    WebhookReceipt,
    WebhookSignatureInvalid,
    WorkerHeartbeatRecord,
)
from infra.interfaces.errors import StorageError
from infra.interfaces.patterns import local_read, local_write
from infra.interfaces.records import Entity

MAX_REASON_LENGTH = 200
# A worker that has not beaten for this long is reported as not alive.
WORKER_ALIVE_WITHIN = timedelta(minutes=5)


class WebhookRejected(DomainError):
    """A webhook delivery whose signature does not match its body."""


class NotConfigured(DomainError):
    """A feature this deployment has not wired (``feature`` names it: ``"qbo"``, ``"webhooks"``, ``"sync"``)."""

    def __init__(self, feature: str, message: str) -> None:
        super().__init__(message)
        self.feature = feature


@dataclass(frozen=True, slots=True)
class ClientSync:
    """How fresh one client's mirror is: the oldest last successful sync of its entities."""

    business_id: int
    last_synced_at: datetime | None
    age: timedelta | None
    stale: bool


@dataclass(frozen=True, slots=True)
class WorkerStatus:
    worker_id: str
    last_beat: datetime
    age: timedelta
    state: str
    alive: bool


@dataclass(frozen=True, slots=True)
class Readiness:
    """``ready`` is whether the database answers; staleness and workers are reported, not judged."""

    ready: bool
    checked_at: datetime
    database_error: str | None
    workers: list[WorkerStatus] | None  # None: this deployment keeps no heartbeats (or they could not be read)
    clients: list[ClientSync]

    @property
    def stale_clients(self) -> int:
        return sum(1 for c in self.clients if c.stale)

    @property
    def newest_heartbeat_age(self) -> timedelta | None:
        return min((w.age for w in self.workers), default=None) if self.workers else None


class OperationsService:
    """Contract: ``request_sync`` raises ``InvalidInput`` for an entity that is not mirrored or a reason
    over 200 characters, ``NotConfigured("sync")`` when no queue is wired; ``receive_webhook`` raises
    ``WebhookRejected`` for a missing or wrong signature, ``InvalidInput("body")`` for a signed body that is
    not a notification and ``NotConfigured("webhooks")`` when no inbox is wired (no verifier token set);
    ``readiness`` never raises."""

    def __init__(self, probe: ReadinessProbe, clock: Clock, *, sync_requests: SyncRequests | None = None,
                 webhook_inbox: WebhookInbox | None = None, stale_after: timedelta = STALE_AFTER) -> None:
        self._probe = probe
        self._clock = clock
        self._sync_requests = sync_requests
        self._inbox = webhook_inbox
        self._stale_after = stale_after

    # -- sync requests ---------------------------------------------------------------------------------

    @local_write
    def request_sync(self, business_id: int, entities: Sequence[str] | None = None, reason: str = "api",
                     full: bool = False) -> SyncRequestRecord:
        """Queue a sync of ``entities`` (all mirrored entities when None) of one business."""
        names = None
        if entities is not None:
            known = {e.value for e in Entity}
            unknown = sorted(set(entities) - known)
            if unknown or not entities:
                raise InvalidInput("entities", f"entities must be a non-empty list of {', '.join(sorted(known))}"
                                   + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
            names = sorted(set(entities))
        if not reason or len(reason) > MAX_REASON_LENGTH:
            raise InvalidInput("reason", f"reason must be 1 to {MAX_REASON_LENGTH} characters")
        if self._sync_requests is None:
            raise NotConfigured("sync", "background sync is not configured in this deployment")
        return self._sync_requests.enqueue(business_id, names, reason, full=full)

    # -- webhooks --------------------------------------------------------------------------------------

    @local_write
    def receive_webhook(self, body: bytes, signature: str | None) -> WebhookReceipt:
        """Verify and read a QBO webhook delivery and queue the syncs it names: one per business on each
        named realm (every firm's business on a shared company)."""
        if self._inbox is None:
            raise NotConfigured("webhooks", "QBO webhooks are not configured: set RUNWAY_QBO_WEBHOOK_VERIFIER_TOKEN")
        try:
            return self._inbox.accept(body, signature)
        except WebhookSignatureInvalid as exc:
            raise WebhookRejected("the intuit-signature header is missing or does not match the body") from exc
        except WebhookPayloadInvalid as exc:
            raise InvalidInput("body", f"not a QBO webhook notification: {exc}") from exc

    # -- readiness -------------------------------------------------------------------------------------

    @local_read
    def is_ready(self) -> bool:
        """Whether the mirror database answers (one trivial query); never raises."""
        try:
            self._probe.ping()
        except StorageError:
            return False
        return True

    @local_read
    def readiness(self, business_ids: Collection[int] | None = None) -> Readiness:
        """The database, the workers, and how fresh each client's mirror is: every client, or only those of
        ``business_ids`` (the caller's firm's, for the API)."""
        now = self._clock.now()
        try:
            self._probe.ping()
            overview = self._probe.sync_overview()
        except StorageError as exc:
            return Readiness(False, now, str(exc), None, [])
        everything = len(Entity)
        clients = []
        wanted = None if business_ids is None else set(business_ids)
        for row in overview:
            if wanted is not None and row.business_id not in wanted:
                continue
            if row.oldest_success_at is None:
                clients.append(ClientSync(row.business_id, None, None, True))
                continue
            age = max(now - row.oldest_success_at, timedelta(0))
            stale = age > self._stale_after or row.synced_entities < everything
            clients.append(ClientSync(row.business_id, row.oldest_success_at, age, stale))
        return Readiness(True, now, None, self._workers(now), clients)

    def _workers(self, now: datetime) -> list[WorkerStatus] | None:
        try:
            beats: list[WorkerHeartbeatRecord] | None = self._probe.worker_heartbeats()
        except StorageError:
            return None
        if beats is None:
            return None
        statuses = []
        for beat in beats:
            age = max(now - beat.last_beat, timedelta(0))
            statuses.append(WorkerStatus(beat.worker_id, beat.last_beat, age, beat.state, age <= WORKER_ALIVE_WITHIN))
        return statuses
