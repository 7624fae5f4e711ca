"""The background worker loop: sync every business each interval, drain the sync request queue, beat.

    stop = threading.Event()
    scheduler = Scheduler(sync_service, SyncRequestQueue(sessions), interval_seconds=900, stop_event=stop)
    scheduler.run()              # until stop.set() (e.g. from a signal handler)

Every loop writes the worker's heartbeat (``worker_heartbeat``: worker id, last beat, state), which
readiness checks read with ``live_workers``. Time is injectable: ``clock`` (the instant) and ``sleep``
(how the loop waits between rounds; by default a wait on ``stop_event``, so stopping is immediate).
Several workers may run at once (the per-business lock keeps their syncs apart, the queue hands each
request to one of them); each then also runs the periodic sync, which the lock turns into at most one
sync per business at a time, not one per interval.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from infra.clock import utc_now
from infra.db.heartbeats import WorkerBeat, WorkerHeartbeats
from infra.db.sync_requests import SyncRequest
from infra.interfaces.patterns import sync_job
from infra.jobs.queue import SyncRequestQueue
from infra.jobs.results import BusinessSyncResult
from infra.jobs.sync import SyncJob, SyncService

__all__ = ["Scheduler", "SchedulerRound", "default_worker_id", "live_workers"]

logger = logging.getLogger("infra.jobs.scheduler")


def default_worker_id() -> str:
    """``host:pid:random``: unique per worker process."""
    return f"{platform.node() or 'localhost'}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class SchedulerRound:
    """What one loop of the scheduler did."""

    started_at: datetime
    scheduled: list[BusinessSyncResult] = field(default_factory=list)  # the periodic sync, if it was due
    requested: list[tuple[SyncRequest, BusinessSyncResult]] = field(default_factory=list)  # queue drained
    error: str | None = None  # the round failed (e.g. the database was unreachable); the loop goes on


@sync_job
class Scheduler:
    """Runs ``sync_service.sync_all()`` every ``interval_seconds`` and serves queued requests in between
    (checked every ``poll_seconds``)."""

    def __init__(self, sync_service: SyncService, queue: SyncRequestQueue | None = None, *,
                 interval_seconds: float = 900, poll_seconds: float = 5.0, worker_id: str | None = None,
                 clock: Callable[[], datetime] = utc_now, sleep: Callable[[float], object] | None = None,
                 stop_event: threading.Event | None = None, heartbeats: WorkerHeartbeats | None = None,
                 max_requests_per_round: int = 100) -> None:
        if interval_seconds <= 0 or poll_seconds < 0:
            raise ValueError("interval_seconds must be positive and poll_seconds not negative")
        self.sync_service = sync_service
        self.queue = queue
        self.interval = timedelta(seconds=interval_seconds)
        self.poll_seconds = poll_seconds
        self.worker_id = worker_id or default_worker_id()
        self.clock = clock
        self.stop_event = stop_event or threading.Event()
        self._sleep = sleep or self.stop_event.wait
        self.heartbeats = heartbeats or WorkerHeartbeats(sync_service.session_factory)
        self.max_requests_per_round = max_requests_per_round
        self.next_sync_at: datetime | None = None  # None: the first round syncs every business

    def run(self, max_rounds: int | None = None) -> int:
        """Loop until ``stop_event`` is set (or ``max_rounds`` rounds ran); returns the rounds run."""
        rounds = 0
        while not self.stop_event.is_set():
            self.run_once()
            rounds += 1
            if max_rounds is not None and rounds >= max_rounds:
                break
            if self.stop_event.is_set():
                break
            self._sleep(self.poll_seconds)
        self._beat("stopped")
        return rounds

    @sync_job
    def run_once(self) -> SchedulerRound:
        """One round: heartbeat, the periodic sync if it is due, the queue, heartbeat."""
        now = self.clock()
        round_ = SchedulerRound(started_at=now)
        try:
            self._beat("syncing")
            if self.next_sync_at is None or now >= self.next_sync_at:
                self.next_sync_at = now + self.interval
                round_.scheduled = self.sync_service.sync_all()
            round_.requested = self.drain()
        except Exception as exc:  # the loop must survive a bad round (database restart, ...)
            logger.exception("scheduler round failed")
            round_.error = f"{type(exc).__name__}: {exc}"
        finally:
            try:
                self._beat("idle")
            except Exception:
                logger.exception("could not write the worker heartbeat")
        return round_

    def drain(self) -> list[tuple[SyncRequest, BusinessSyncResult]]:
        """Serve queued requests, up to ``max_parallel_businesses`` at once, until the queue is empty (or
        ``max_requests_per_round`` were served). A request whose business was locked goes back to the queue."""
        served: list[tuple[SyncRequest, BusinessSyncResult]] = []
        if self.queue is None:
            return served
        batch_size = self.sync_service.max_parallel_businesses
        while len(served) < self.max_requests_per_round and not self.stop_event.is_set():
            claimed: list[SyncRequest] = []
            while len(claimed) < batch_size:
                request = self.queue.claim_next(self.worker_id)
                if request is None:
                    break
                claimed.append(request)
            if not claimed:
                break
            results = self.sync_service.sync_many(
                [SyncJob(r.business_id, r.entities, r.full) for r in claimed])
            for request, result in zip(claimed, results, strict=True):
                if result.skipped:
                    self.queue.release(request.id)
                else:
                    self.queue.complete(request.id)
                served.append((request, result))
            if all(result.skipped for result in results):
                break  # everything asked for is being synced elsewhere: try again next round
        return served

    def _beat(self, state: str) -> None:
        self.heartbeats.beat(self.worker_id, self.clock(), state)


def live_workers(session_factory: sessionmaker[Session], max_age: timedelta, *,
                 now: datetime | None = None) -> list[WorkerBeat]:
    """Workers that beat within ``max_age`` (a readiness check: at least one should be alive)."""
    now = now or utc_now()
    return WorkerHeartbeats(session_factory).alive(now - max_age)
