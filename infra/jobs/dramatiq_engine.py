"""The job engine for N worker processes on M machines: Dramatiq on Redis (``RUNWAY_BROKER_URL``).

How a request travels:

1. ``enqueue`` merges the request into the business's *pending request* (``PendingSyncs``: a Redis hash
   per business, in a WATCH/MULTI transaction; entity sets united, a full sync wins, distinct reasons kept,
   bounded, as the embedded queue does). Only the request that finds no message queued for the business
   sends one (``sync_business(business_id)``): a burst of webhooks costs one message and one sync.
2. A worker thread runs the actor: it *takes* the pending request (moves it to the business's *running*
   request and clears the queued flag, so a request arriving during the sync sends a new message) and
   syncs the business under its lock (``BusinessLocks``: the per-business mutex, shared with every other
   engine and CLI sync); once served, the running request is forgotten.
3. A sync that did not succeed (the business was locked by another sync, or the run or one of its
   entities failed) puts its request back, merged with anything that arrived meanwhile, and raises: the
   Retries middleware runs the message again with exponential backoff (``min_backoff`` .. ``max_backoff``).
   After ``max_retries`` retries the message is dead-lettered (Redis keeps it in the queue's ``.XQ`` set
   for ``dead_message_ttl``) and the queued flag is left clear, so the request stays pending and the next
   request for the business, or the next scheduled sync, sends a fresh message.
4. A worker killed mid-job never acknowledged its message: another worker's Redis broker maintenance puts
   it back on the queue once the dead worker's heartbeat is older than ``heartbeat_timeout``; the message
   takes the running request the dead worker left (merged with any pending one) and syncs again. The
   sync's own cursors and idempotent writes make the re-run converge.

The actor is registered on the broker at run time (``DramatiqEngine.__init__``), never at import time.
Tests use Dramatiq's ``StubBroker`` with ``MemoryPendingSyncs``; production uses ``RedisBroker`` with
``RedisPendingSyncs`` over the same Redis.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from infra.clock import utc_now
from infra.db.heartbeats import WorkerHeartbeats
from infra.db.sync_requests import SyncRequest, merge_entities, merge_reason
from infra.interfaces.errors import StorageError
from infra.interfaces.patterns import sync_job
from infra.interfaces.records import Entity
from infra.jobs.scheduler import default_worker_id
from infra.jobs.sync import SyncService, normalize_entities

__all__ = ["ACTOR_NAME", "DramatiqEngine", "MemoryPendingSyncs", "PendingSyncs", "RedisPendingSyncs",
           "SyncNotDone", "redis_broker"]

logger = logging.getLogger("infra.jobs.dramatiq_engine")

ACTOR_NAME = "runway_sync_business"
QUEUE_NAME = "runway_sync"


class SyncNotDone(Exception):
    """A sync job did not succeed: Dramatiq retries it with backoff (then dead-letters it)."""


def redis_broker(url: str, *, namespace: str = "runway", heartbeat_timeout_ms: int = 60_000,
                 dead_message_ttl_ms: int = 7 * 24 * 3600 * 1000, maintenance_chance: int = 1000) -> RedisBroker:
    """A Dramatiq broker on the Redis at ``url``; keys under ``namespace`` (one per deployment, or per
    test). ``heartbeat_timeout_ms``: how long a killed worker's unacknowledged messages wait before another
    worker puts them back; ``maintenance_chance``: per 100,000 fetches, how often a worker does that check."""
    broker = RedisBroker(url=url, namespace=namespace, heartbeat_timeout=heartbeat_timeout_ms,
                         dead_message_ttl=dead_message_ttl_ms, maintenance_chance=maintenance_chance)
    return broker


# -- pending requests, coalesced per business ----------------------------------------------------------

class PendingSyncs(Protocol):
    """The pending request of each business and whether a message for it is queued."""

    def merge(self, request: SyncRequest, *, merged: bool = False) -> tuple[SyncRequest, bool]:
        """Merge ``request`` into the business's pending one; returns it and whether the caller must send
        a message (none was queued; the flag is now set). ``merged``: ``request.reason`` is a merged reason."""
        ...

    def take(self, business_id: int) -> SyncRequest | None:
        """Move the business's pending request to *running* (merged with a running one left by a worker
        that died) and return it (None if there is neither); clears the queued flag."""
        ...

    def finish(self, business_id: int) -> None:
        """The running request was served: forget it."""
        ...

    def give_back(self, business_id: int, *, queued: bool) -> None:
        """The running request was not served: merge it back into the pending one; ``queued``: a message
        for the business is (still) on its way, so the flag is set."""
        ...

    def clear_flag(self, business_id: int) -> None:
        """No message is on its way for the business (sending one failed)."""
        ...

    def pending(self) -> list[SyncRequest]:
        ...


def _merged(current: SyncRequest | None, new: SyncRequest, *, merged: bool, new_id: Callable[[], int]
            ) -> SyncRequest:
    if current is None:
        reason = new.reason if merged else merge_reason("", new.reason)
        return replace(new, id=new.id or new_id(), reason=reason)
    return replace(current, entities=merge_entities(current.entities, new.entities), full=current.full or new.full,
                   reason=merge_reason(current.reason, new.reason, merged=merged),
                   requested_at=min(current.requested_at, new.requested_at),
                   last_requested_at=max(current.last_requested_at, new.last_requested_at),
                   request_count=current.request_count + new.request_count)


class MemoryPendingSyncs:
    """``PendingSyncs`` in this process's memory: for the ``StubBroker`` (tests) only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, SyncRequest] = {}
        self._running: dict[int, SyncRequest] = {}
        self._queued: set[int] = set()
        self._next_id = 0

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def merge(self, request: SyncRequest, *, merged: bool = False) -> tuple[SyncRequest, bool]:
        with self._lock:
            result = _merged(self._pending.get(request.business_id), request, merged=merged, new_id=self._new_id)
            self._pending[request.business_id] = result
            send = request.business_id not in self._queued
            self._queued.add(request.business_id)
            return result, send

    def take(self, business_id: int) -> SyncRequest | None:
        with self._lock:
            self._queued.discard(business_id)
            pending, running = self._pending.pop(business_id, None), self._running.get(business_id)
            taken = pending if running is None else running if pending is None else _merged(
                running, pending, merged=True, new_id=self._new_id)
            if taken is not None:
                self._running[business_id] = taken
            return taken

    def finish(self, business_id: int) -> None:
        with self._lock:
            self._running.pop(business_id, None)

    def clear_flag(self, business_id: int) -> None:
        with self._lock:
            self._queued.discard(business_id)

    def give_back(self, business_id: int, *, queued: bool) -> None:
        with self._lock:
            running = self._running.pop(business_id, None)
            if running is not None:
                self._pending[business_id] = _merged(self._pending.get(business_id), running, merged=True,
                                                     new_id=self._new_id)
            if queued:
                self._queued.add(business_id)

    def pending(self) -> list[SyncRequest]:
        with self._lock:
            return sorted(self._pending.values(), key=lambda r: (r.requested_at, r.id))


#: The queued flag expires: should its message ever be lost (a Redis restart without persistence of the
#: queue), a request after this long sends a new one. A duplicate message only finds nothing to do.
FLAG_SECONDS = 3600


class RedisPendingSyncs:
    """``PendingSyncs`` in Redis, shared by every process: a hash per business, a queued flag (expiring
    after ``FLAG_SECONDS``), a running hash, an index."""

    def __init__(self, client: redis.Redis, *, prefix: str = "runway") -> None:
        self._redis = client
        self._prefix = prefix

    def _key(self, kind: str, business_id: int | None = None) -> str:
        return f"{self._prefix}:sync:{kind}" + ("" if business_id is None else f":{business_id}")

    @staticmethod
    def _encode(request: SyncRequest) -> dict[str, str]:
        return {"id": str(request.id), "business_id": str(request.business_id),
                "entities": "*" if request.entities is None else ",".join(sorted(e.value for e in request.entities)),
                "full": "1" if request.full else "0", "reason": request.reason,
                "requested_at": request.requested_at.isoformat(),
                "last_requested_at": request.last_requested_at.isoformat(), "count": str(request.request_count)}

    @staticmethod
    def _decode(values: dict[bytes, bytes]) -> SyncRequest | None:
        if not values:
            return None
        text = {key.decode(): value.decode() for key, value in values.items()}
        entities = None if text["entities"] == "*" else frozenset(
            Entity(name) for name in text["entities"].split(",") if name)
        return SyncRequest(id=int(text["id"]), business_id=int(text["business_id"]), entities=entities,
                           full=text["full"] == "1", reason=text["reason"],
                           requested_at=datetime.fromisoformat(text["requested_at"]),
                           last_requested_at=datetime.fromisoformat(text["last_requested_at"]),
                           request_count=int(text["count"]))

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except redis.RedisError as exc:
            raise StorageError(f"cannot {what}: Redis answered {type(exc).__name__}: {exc}") from exc

    def merge(self, request: SyncRequest, *, merged: bool = False) -> tuple[SyncRequest, bool]:
        pending_key, flag_key = self._key("pending", request.business_id), self._key("queued", request.business_id)

        def transaction(pipe: Any) -> tuple[SyncRequest, bool]:
            current = self._decode(pipe.hgetall(pending_key))
            queued = bool(pipe.exists(flag_key))
            result = _merged(current, request, merged=merged,
                             new_id=lambda: int(self._redis.incr(self._key("next-id"))))
            pipe.multi()
            pipe.delete(pending_key)
            pipe.hset(pending_key, mapping=self._encode(result))
            pipe.zadd(self._key("index"), {str(request.business_id): result.requested_at.timestamp()})
            pipe.set(flag_key, "1", ex=FLAG_SECONDS)
            return result, not queued

        return self._call("queue a sync request", lambda: self._redis.transaction(
            transaction, pending_key, flag_key, value_from_callable=True))

    def take(self, business_id: int) -> SyncRequest | None:
        pending_key, flag_key = self._key("pending", business_id), self._key("queued", business_id)
        running_key = self._key("running", business_id)

        def transaction(pipe: Any) -> SyncRequest | None:
            pending, running = self._decode(pipe.hgetall(pending_key)), self._decode(pipe.hgetall(running_key))
            taken = pending if running is None else running if pending is None else _merged(
                running, pending, merged=True, new_id=lambda: 0)
            pipe.multi()
            pipe.delete(pending_key, flag_key)
            pipe.zrem(self._key("index"), str(business_id))
            if taken is not None:
                pipe.delete(running_key)
                pipe.hset(running_key, mapping=self._encode(taken))
            return taken

        return self._call("take a sync request", lambda: self._redis.transaction(
            transaction, pending_key, flag_key, running_key, value_from_callable=True))

    def finish(self, business_id: int) -> None:
        self._call("finish a sync request", lambda: self._redis.delete(self._key("running", business_id)))

    def clear_flag(self, business_id: int) -> None:
        self._call("clear a sync flag", lambda: self._redis.delete(self._key("queued", business_id)))

    def give_back(self, business_id: int, *, queued: bool) -> None:
        pending_key, flag_key = self._key("pending", business_id), self._key("queued", business_id)
        running_key = self._key("running", business_id)

        def transaction(pipe: Any) -> None:
            pending, running = self._decode(pipe.hgetall(pending_key)), self._decode(pipe.hgetall(running_key))
            pipe.multi()
            pipe.delete(running_key)
            if running is not None:
                back = _merged(pending, running, merged=True, new_id=lambda: running.id)
                pipe.delete(pending_key)
                pipe.hset(pending_key, mapping=self._encode(back))
                pipe.zadd(self._key("index"), {str(business_id): back.requested_at.timestamp()})
            if queued:
                pipe.set(flag_key, "1", ex=FLAG_SECONDS)

        self._call("give a sync request back", lambda: self._redis.transaction(
            transaction, pending_key, flag_key, running_key))

    def pending(self) -> list[SyncRequest]:
        def read() -> list[SyncRequest]:
            ids = self._redis.zrange(self._key("index"), 0, -1)
            found = [self._decode(self._redis.hgetall(self._key("pending", int(i)))) for i in ids]
            return sorted((r for r in found if r is not None), key=lambda r: (r.requested_at, r.id))

        return self._call("list sync requests", read)


# -- the engine -----------------------------------------------------------------------------------------

@sync_job
class DramatiqEngine:
    """``SyncEngine`` on a Dramatiq broker (see the module docstring).

    Every process builds one with the same broker URL and namespace: the API and webhooks to enqueue,
    workers to ``serve``. ``max_retries``/``min_backoff``/``max_backoff`` (milliseconds) tune the retries of
    a sync that fails; ``time_limit_ms`` bounds one sync; ``retry_locked_ms`` is how soon a sync that found
    its business locked by another one tries again.
    """

    name = "dramatiq"

    def __init__(self, broker: dramatiq.Broker, pending: PendingSyncs, *, clock: Callable[[], datetime] = utc_now,
                 max_retries: int = 8, min_backoff_ms: int = 5_000, max_backoff_ms: int = 300_000,
                 time_limit_ms: int = 3_600_000, retry_locked_ms: int = 5_000) -> None:
        if not any(isinstance(middleware, CurrentMessage) for middleware in broker.middleware):
            broker.add_middleware(CurrentMessage())  # the actor reads its retry count from it
        self.broker = broker
        self.pending_syncs = pending
        self.clock = clock
        self.max_retries = max_retries
        self.retry_locked_ms = retry_locked_ms
        self._service: SyncService | None = None
        self._service_lock = threading.Lock()
        self.actor = dramatiq.actor(self._run, broker=broker, actor_name=ACTOR_NAME, queue_name=QUEUE_NAME,
                                    max_retries=max_retries, min_backoff=min_backoff_ms, max_backoff=max_backoff_ms,
                                    time_limit=time_limit_ms)

    def enqueue(self, business_id: int, entities: Iterable[Entity | str] | None = None, reason: str = "manual",
                *, full: bool = False, ensure_message: bool = False) -> SyncRequest:
        """Merge the request into the business's pending one; send a message if none is on its way, or
        always with ``ensure_message`` (the scheduled requests do: should a message ever be lost, e.g. by
        a Redis restart mid-job, the next scheduled round picks the request up; a surplus message finds
        nothing to do)."""
        wanted = None if entities is None else frozenset(normalize_entities(entities))
        if wanted is not None and not wanted:
            raise ValueError("name at least one entity, or None for all")
        at = self.clock()
        request, send = self.pending_syncs.merge(SyncRequest(0, business_id, wanted, full, reason, at, at, 1))
        if send or ensure_message:
            try:
                self.actor.send(business_id)
            except Exception as exc:  # the request stays pending; the next one must send a message
                self.pending_syncs.clear_flag(business_id)
                raise StorageError(f"cannot queue the sync of business {business_id}: {exc}") from exc
        return request

    def pending(self) -> list[SyncRequest]:
        return self.pending_syncs.pending()

    def bind(self, sync_service: SyncService) -> None:
        """The sync service this process's actor runs (``serve`` binds it; tests may bind it directly)."""
        with self._service_lock:
            self._service = sync_service

    @sync_job
    def _run(self, business_id: int) -> None:
        """The actor: sync the business's pending request (see the module docstring)."""
        service = self._service
        if service is None:
            raise SyncNotDone("this process serves no sync jobs (DramatiqEngine.bind was not called)")
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message is not None else 0
        last_try = retries >= self.max_retries
        request = self.pending_syncs.take(business_id)
        if request is None:
            return  # an earlier message served it
        result = service.sync_business(business_id, full=request.full, entities=request.entities)
        if result.ok:
            self.pending_syncs.finish(business_id)
            return
        self.pending_syncs.give_back(business_id, queued=not last_try)
        if result.skipped:
            raise dramatiq.Retry(f"business {business_id} is being synced by another worker",
                                 delay=self.retry_locked_ms)
        errors = [result.error] if result.error else [
            f"{entity.value}: {r.error}" for entity, r in result.entities.items() if r.error]
        raise SyncNotDone(f"sync of business {business_id} failed: {'; '.join(errors)[:500]}")

    def serve(self, sync_service: SyncService, *, stop_event: threading.Event, interval_seconds: float | None,
              poll_seconds: float = 5.0, worker_id: str | None = None, worker_threads: int | None = None) -> None:
        """Run a Dramatiq worker in this process (``worker_threads``, default the service's
        ``max_parallel_businesses``) until ``stop_event`` is set; with ``interval_seconds``, also request a
        sync of every business each interval (requests coalesce, so several processes doing it is harmless).
        Writes this process's heartbeat every ``poll_seconds``."""
        self.bind(sync_service)
        worker_id = worker_id or default_worker_id()
        heartbeats = WorkerHeartbeats(sync_service.session_factory)
        worker = dramatiq.Worker(self.broker, queues={QUEUE_NAME},
                                 worker_threads=worker_threads or sync_service.max_parallel_businesses)
        worker.start()
        next_schedule = self.clock()
        try:
            while not stop_event.is_set():
                try:
                    heartbeats.beat(worker_id, self.clock(), "serving")
                    if interval_seconds is not None and self.clock() >= next_schedule:
                        for business in sync_service.store.list_businesses():
                            self.enqueue(business.id, None, "scheduled", ensure_message=True)
                        next_schedule = self.clock() + timedelta(seconds=interval_seconds)
                except Exception:  # the loop must survive a database or Redis restart
                    logger.exception("worker %s: heartbeat or scheduling failed", worker_id)
                stop_event.wait(poll_seconds)
        finally:
            worker.stop()
            try:
                heartbeats.beat(worker_id, self.clock(), "stopped")
            except Exception:
                logger.exception("could not write the worker heartbeat")
