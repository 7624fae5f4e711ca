"""Pattern 3 from the command line: one sync pass (``runway sync``) and the worker (``runway worker``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from infra.jobs import BusinessSyncResult, Progress, Scheduler, SyncRequestQueue, SyncService
from runway.bootstrap.container import Container
from runway.bootstrap.errors import ConfigurationError


def build_sync_service(container: Container, *, max_parallel_businesses: int = 4,
                       clock: Callable[[], datetime] | None = None) -> SyncService:
    """The sync service over the container's mirror and QBO client (Pattern 3; never on a request path).
    ``ConfigurationError`` when QBO is not configured."""
    if container.qbo_client is None:
        raise ConfigurationError("syncing needs QBO: set RUNWAY_QBO_API_BASE_URL, RUNWAY_QBO_CLIENT_ID, "
                                 "RUNWAY_QBO_CLIENT_SECRET and RUNWAY_TOKEN_ENCRYPTION_KEY")
    if clock is None:
        return SyncService(container.session_factory, container.qbo_client,
                           max_parallel_businesses=max_parallel_businesses)
    return SyncService(container.session_factory, container.qbo_client,
                       max_parallel_businesses=max_parallel_businesses, clock=clock)


def sync_now(container: Container, *, business_ids: list[int] | None = None, full: bool = False,
             progress: Progress | None = None) -> list[BusinessSyncResult]:
    """One sync pass over the given businesses (all when None); returns the per-business results."""
    return build_sync_service(container).sync_all(full=full, business_ids=business_ids, progress=progress)


def run_worker(container: Container, *, interval_seconds: float, poll_seconds: float = 5.0,
               stop_event: threading.Event | None = None, max_rounds: int | None = None) -> int:
    """The worker process: a sync of every business each interval, queued requests in between, heartbeats.
    Returns the number of rounds it went through."""
    scheduler = Scheduler(build_sync_service(container), SyncRequestQueue(container.session_factory),
                          interval_seconds=interval_seconds, poll_seconds=poll_seconds, stop_event=stop_event)
    return scheduler.run(max_rounds=max_rounds)
