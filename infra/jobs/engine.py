"""The job-engine port: where sync requests go and how worker processes serve them.

Two implementations, chosen by configuration only (``RUNWAY_BROKER_URL``, in the composition root):

- ``EmbeddedEngine`` (the default, for one machine): the ``sync_requests`` table in the mirror database
  (``infra.jobs.queue``) drained by the ``Scheduler`` loop, which also syncs every business each
  interval. Any number of worker processes may serve it (claims never collide, see ``SyncRequestStore``).
- ``DramatiqEngine`` (``infra.jobs.dramatiq_engine``; ``RUNWAY_BROKER_URL=redis://...``): Dramatiq on
  Redis, for N worker processes on M machines, with retries and dead-lettering.

Both coalesce requests per business (a burst of webhooks costs one sync), keep one sync at a time per
business (``BusinessLocks``), and write each worker's heartbeat.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from infra.db.sync_requests import SyncRequest
from infra.interfaces.records import Entity
from infra.jobs.queue import SyncRequestQueue
from infra.jobs.scheduler import Scheduler
from infra.jobs.sync import SyncService

__all__ = ["EmbeddedEngine", "SyncEngine"]


class SyncEngine(Protocol):
    """Queues sync requests (any process) and serves them (worker processes)."""

    name: str

    def enqueue(self, business_id: int, entities: Iterable[Entity | str] | None = None, reason: str = "manual",
                *, full: bool = False) -> SyncRequest:
        """Request a sync of ``entities`` (None: all) of the business, merged into its pending request if
        there is one; returns the pending request as it now stands."""
        ...

    def pending(self) -> list[SyncRequest]:
        """Requests not being served yet, oldest first."""
        ...

    def serve(self, sync_service: SyncService, *, stop_event: threading.Event, interval_seconds: float | None,
              poll_seconds: float = 5.0, worker_id: str | None = None) -> None:
        """Serve requests in this process until ``stop_event`` is set, and (``interval_seconds`` not None)
        sync every business each interval."""
        ...


class EmbeddedEngine:
    """The embedded default: the ``sync_requests`` table and the ``Scheduler`` loop (see the module
    docstring)."""

    name = "embedded"

    def __init__(self, queue: SyncRequestQueue) -> None:
        self.queue = queue

    def enqueue(self, business_id: int, entities: Iterable[Entity | str] | None = None, reason: str = "manual",
                *, full: bool = False) -> SyncRequest:
        return self.queue.enqueue(business_id, entities, reason, full=full)

    def pending(self) -> list[SyncRequest]:
        return self.queue.pending()

    def serve(self, sync_service: SyncService, *, stop_event: threading.Event, interval_seconds: float | None,
              poll_seconds: float = 5.0, worker_id: str | None = None) -> None:
        scheduler = Scheduler(sync_service, self.queue, interval_seconds=interval_seconds or 900.0,
                              poll_seconds=poll_seconds, stop_event=stop_event, worker_id=worker_id)
        if interval_seconds is None:  # only what is requested: the periodic sync is never due
            scheduler.next_sync_at = datetime.max.replace(tzinfo=UTC)
        scheduler.run()
