"""Pattern 3 from the command line: one sync pass (``runway sync``) and the worker (``runway worker``).

``run_worker`` serves the configured job engine (``RUNWAY_BROKER_URL``: the embedded queue, or Dramatiq on
Redis) in this process, or in ``processes`` child processes that it supervises (a child that dies is
started again). Each worker process also does the housekeeping: it purges Idempotency-Key records older
than ``RUNWAY_IDEMPOTENCY_RETENTION_HOURS``.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from infra.jobs import BusinessSyncResult, Progress, SyncConfig, SyncService
from infra.jobs.heap import freeze_startup_heap
from runway.bootstrap.container import Container, build_container
from runway.bootstrap.errors import ConfigurationError
from runway.settings import Settings

logger = logging.getLogger("runway.worker")

#: How often a worker purges expired Idempotency-Key records.
HOUSEKEEPING_SECONDS = 3600.0
#: The shortest time between two starts of one worker process slot (a child that dies at once).
RESTART_SECONDS = 5.0


def build_sync_service(container: Container, *, max_parallel_businesses: int = 4,
                       clock: Callable[[], datetime] | None = None) -> SyncService:
    """The sync service over the container's mirror and QBO client (Pattern 3; never on a request path).
    ``ConfigurationError`` when QBO is not configured. The first call of a process also freezes the objects
    alive then (``infra.jobs.heap``), out of the garbage collector's full passes."""
    if container.qbo_client is None:
        raise ConfigurationError("syncing needs QBO: set RUNWAY_QBO_API_BASE_URL, RUNWAY_QBO_CLIENT_ID, "
                                 "RUNWAY_QBO_CLIENT_SECRET and RUNWAY_TOKEN_ENCRYPTION_KEY")
    config = SyncConfig(pending_payment_bound=pending_payment_bound(container))
    if clock is None:
        service = SyncService(container.session_factory, container.qbo_client,
                              max_parallel_businesses=max_parallel_businesses, config=config)
    else:
        service = SyncService(container.session_factory, container.qbo_client,
                              max_parallel_businesses=max_parallel_businesses, clock=clock, config=config)
    # What the process keeps for its lifetime now exists: keep it out of the collector's full passes.
    freeze_startup_heap()
    return service


def pending_payment_bound(container: Container) -> timedelta:
    """How long a pending payment not found in QBO stays pending (``RUNWAY_PENDING_PAYMENT_GIVE_UP_HOURS``)."""
    return timedelta(hours=container.settings.pending_payment_give_up_hours)


def sync_now(container: Container, *, business_ids: list[int] | None = None, full: bool = False,
             progress: Progress | None = None) -> list[BusinessSyncResult]:
    """One sync pass over the given businesses (all when None); returns the per-business results."""
    return build_sync_service(container).sync_all(full=full, business_ids=business_ids, progress=progress)


def purge_idempotency_records(container: Container) -> int:
    """Forget Idempotency-Key records older than the retention period; returns how many went."""
    retention = timedelta(hours=container.settings.idempotency_retention_hours)
    return container.idempotency.forget_older_than(retention)


def _housekeeping(container: Container, stop_event: threading.Event, every_seconds: float) -> None:
    while not stop_event.is_set():
        try:
            purged = purge_idempotency_records(container)
            if purged:
                logger.info("purged %d idempotency records older than %s h", purged,
                            container.settings.idempotency_retention_hours)
        except Exception:  # housekeeping must never stop the worker
            logger.exception("purging idempotency records failed")
        stop_event.wait(every_seconds)


def serve(container: Container, *, interval_seconds: float | None, poll_seconds: float = 5.0,
          stop_event: threading.Event, housekeeping_seconds: float = HOUSEKEEPING_SECONDS) -> None:
    """One worker process: serve the container's job engine until ``stop_event`` is set, syncing every
    business each ``interval_seconds`` (None: only what is requested), and purge old idempotency records."""
    engine = container.sync_engine
    if engine is None:
        raise ConfigurationError("the container has no job engine")
    service = build_sync_service(container)
    keeper = threading.Thread(target=_housekeeping, args=(container, stop_event, housekeeping_seconds),
                              name="runway-housekeeping", daemon=True)
    keeper.start()
    try:
        engine.serve(service, stop_event=stop_event, interval_seconds=interval_seconds, poll_seconds=poll_seconds)
    finally:
        stop_event.set()
        keeper.join(5)


def _child(settings: dict[str, Any], interval_seconds: float | None, poll_seconds: float) -> None:
    """A worker child process: its own container (engine, pools, QBO client), stopped by SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops its children on Ctrl+C
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(processName)s %(name)s %(message)s")
    with build_container(Settings(**settings)) as container:
        serve(container, interval_seconds=interval_seconds, poll_seconds=poll_seconds, stop_event=stop)


def run_worker(container: Container, *, interval_seconds: float | None, poll_seconds: float = 5.0,
               stop_event: threading.Event | None = None, processes: int = 1) -> None:
    """The worker: serve sync requests (and sync every business each interval) until ``stop_event`` is
    set, in this process (``processes == 1``) or in ``processes`` supervised child processes (each with its
    own connections; QBO's limits are shared only when Redis holds them: see ADR-005)."""
    stop_event = stop_event or threading.Event()
    if processes < 1:
        raise ValueError("processes must be at least 1")
    if processes == 1:
        serve(container, interval_seconds=interval_seconds, poll_seconds=poll_seconds, stop_event=stop_event)
        return
    build_sync_service(container)  # a configuration error stops here, not in a loop of dying children
    if container.sync_engine is None:
        raise ConfigurationError("the container has no job engine")
    context = multiprocessing.get_context("spawn")  # no inherited connections, threads or locks
    settings = container.settings.model_dump()

    def start(index: int) -> Any:
        child = context.Process(target=_child, args=(settings, interval_seconds, poll_seconds),
                                name=f"runway-worker-{index}", daemon=False)
        child.start()
        return child

    children = [start(index) for index in range(processes)]
    started_at = [time.monotonic()] * processes
    try:
        while not stop_event.wait(1.0):
            for index, child in enumerate(children):
                # A child that keeps dying at once is started again at most every RESTART_SECONDS.
                if not child.is_alive() and time.monotonic() - started_at[index] >= RESTART_SECONDS:
                    logger.warning("worker process %s (pid %s) exited with %s: starting another", child.name,
                                   child.pid, child.exitcode)
                    children[index] = start(index)
                    started_at[index] = time.monotonic()
    finally:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: the child finishes its current step and stops
        for child in children:
            child.join(60)
            if child.is_alive():
                child.kill()
