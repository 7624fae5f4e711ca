"""The sync request queue: "please sync business B (entities E) soon", persisted in the mirror database.

Webhooks, the CLI and the HTTP API enqueue; the scheduler's worker drains. Requests coalesce: a business
has at most one pending request, and a new request for it merges into that one (entity sets are united,
a full sync wins, the count of requests goes up), so a burst of webhooks costs one sync. A request
claimed by a worker that died is claimed again after ``claim_timeout``.

This table is the embedded job engine (``infra.jobs.engine.EmbeddedEngine``), good for one machine and
a few worker processes: on PostgreSQL claiming takes ``SELECT ... FOR UPDATE SKIP LOCKED`` so workers never
claim the same request or wait for each other; on SQLite a conditional ``UPDATE`` claims it. Beyond one
machine, ``RUNWAY_BROKER_URL`` switches to Dramatiq on Redis (``infra.jobs.dramatiq_engine``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from infra.clock import utc_now
from infra.db.sync_requests import SyncRequest, SyncRequestStore
from infra.interfaces.records import Entity
from infra.jobs.sync import normalize_entities

__all__ = ["SyncRequest", "SyncRequestQueue"]


class SyncRequestQueue:
    """Enqueue, claim and complete sync requests (see the module docstring). Thread- and process-safe."""

    def __init__(self, session_factory: sessionmaker[Session], *, clock: Callable[[], datetime] = utc_now,
                 claim_timeout: timedelta = timedelta(hours=1)) -> None:
        self._store = SyncRequestStore(session_factory)
        self._clock = clock
        self.claim_timeout = claim_timeout

    def enqueue(self, business_id: int, entities: Iterable[Entity | str] | None = None, reason: str = "manual",
                *, full: bool = False) -> SyncRequest:
        """Request a sync of ``entities`` (None: all) of the business; merged into its pending request if
        there is one. Returns the pending request as it now stands."""
        wanted = None if entities is None else frozenset(normalize_entities(entities))
        if wanted is not None and not wanted:
            raise ValueError("name at least one entity, or None for all")
        return self._store.enqueue(business_id, wanted, reason, full=full, at=self._clock())

    def claim_next(self, worker_id: str) -> SyncRequest | None:
        """The oldest pending request, now claimed by ``worker_id``; None when the queue is empty."""
        return self._store.claim_next(worker_id, self._clock(), stale_after=self.claim_timeout)

    def complete(self, request_id: int) -> None:
        """The claimed request was served (successfully or not: failures live in ``sync_state``)."""
        self._store.complete(request_id)

    def release(self, request_id: int) -> None:
        """Give a claimed request back unserved (it becomes pending again, merged with any newer one)."""
        self._store.release(request_id)

    def pending(self) -> list[SyncRequest]:
        """Requests not claimed yet, oldest first."""
        return self._store.requests(pending_only=True)

    def all(self) -> list[SyncRequest]:
        """Every request, claimed or not, oldest first."""
        return self._store.requests()
