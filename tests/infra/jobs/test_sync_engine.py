"""The Dramatiq job engine on Dramatiq's StubBroker (in process): requests coalesce per business, syncs
converge, a sync that keeps failing is retried with backoff and then dead-lettered, a business locked by
another sync is retried. The same engine on real Redis: tests/infra/jobs/test_sync_engine_redis.py."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from infra.interfaces.errors import StorageError
from infra.interfaces.records import Entity
from infra.jobs.dramatiq_engine import QUEUE_NAME, DramatiqEngine, MemoryPendingSyncs, redis_broker
from infra.jobs.engine import EmbeddedEngine
from infra.jobs.queue import SyncRequestQueue
from tests.infra.jobs.conftest import World
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox

FAST_RETRIES = {"max_retries": 2, "min_backoff_ms": 5, "max_backoff_ms": 20, "retry_locked_ms": 5}


@pytest.fixture
def broker() -> Iterator[StubBroker]:
    stub = StubBroker()
    stub.emit_after("process_boot")
    yield stub
    stub.flush_all()
    stub.close()


def _drain(broker: StubBroker, threads: int = 2) -> None:
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=threads)
    worker.start()
    try:
        broker.join(QUEUE_NAME, fail_fast=False, timeout=60_000)
    finally:
        worker.stop()


def test_requests_coalesce_into_one_message_per_business_and_the_syncs_converge(broker, sqlite_world: World
                                                                                ) -> None:
    world = sqlite_world
    engine = DramatiqEngine(broker, MemoryPendingSyncs(), clock=world.clock.now, **FAST_RETRIES)
    engine.bind(world.service)
    first, second = world.business(0), world.business(1)
    for reason in ("webhook", "webhook", "manual"):
        engine.enqueue(first, ["Bill"], reason)
    engine.enqueue(first, None, "api")
    merged = engine.enqueue(second, ["Vendor"], "webhook")

    assert len(broker.queues[QUEUE_NAME].queue) == 2  # one message per business
    assert [(r.business_id, r.request_count, r.entities) for r in engine.pending()] == [
        (first, 4, None), (second, 1, frozenset({Entity.VENDOR}))]
    assert engine.pending()[0].reason == "webhook, manual, api" and merged.reason == "webhook"

    _drain(broker)

    assert engine.pending() == [] and broker.dead_letters == []
    assert_mirror_matches_sandbox(world.db.session_factory, first, world.realm(0))
    assert world.cursor(second, "Vendor") is not None and world.cursor(second, "Bill") is None


def test_a_sync_that_keeps_failing_is_retried_with_backoff_then_dead_lettered_and_stays_pending(
        broker, sqlite_world: World) -> None:
    world = sqlite_world
    engine = DramatiqEngine(broker, MemoryPendingSyncs(), clock=world.clock.now, **FAST_RETRIES)
    engine.bind(world.service)
    missing = 999_999  # no such business: every attempt fails
    engine.enqueue(missing, None, "manual")

    _drain(broker)

    assert len(broker.dead_letters) == 1
    assert broker.dead_letters[0].options["retries"] == FAST_RETRIES["max_retries"] + 1
    assert [r.business_id for r in engine.pending()] == [missing]  # not lost: the next request retries it
    engine.enqueue(missing, None, "webhook")
    assert len(broker.queues[QUEUE_NAME].queue) == 1  # a fresh message, the dead one stays dead
    assert engine.pending()[0].reason == "manual, webhook"


def test_a_business_locked_by_another_sync_is_retried_until_the_lock_is_free(broker, sqlite_world: World) -> None:
    world = sqlite_world
    engine = DramatiqEngine(broker, MemoryPendingSyncs(), clock=world.clock.now,
                            **{**FAST_RETRIES, "max_retries": 50, "retry_locked_ms": 100})
    engine.bind(world.service)
    business = world.business()
    held = world.service.locks.try_acquire(business)
    assert held is not None
    engine.enqueue(business, None, "manual")
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    try:
        import time

        deadline = time.monotonic() + 1
        while time.monotonic() < deadline and world.cursor(business, "Bill") is None:
            time.sleep(0.05)
        assert world.cursor(business, "Bill") is None  # still locked: nothing synced
        held.release()
        broker.join(QUEUE_NAME, fail_fast=False, timeout=60_000)
    finally:
        worker.stop()
    assert broker.dead_letters == []
    assert_mirror_matches_sandbox(world.db.session_factory, business, world.realm())


def test_the_embedded_engine_is_the_same_port_over_the_sync_requests_table(sqlite_world: World) -> None:
    world = sqlite_world
    engine = EmbeddedEngine(SyncRequestQueue(world.db.session_factory, clock=world.clock.now))
    engine.enqueue(world.business(), ["Bill"], "webhook")
    engine.enqueue(world.business(), ["Invoice"], "manual")
    (request,) = engine.pending()
    assert request.entities == frozenset({Entity.BILL, Entity.INVOICE}) and request.request_count == 2


def test_a_job_whose_worker_died_after_taking_it_is_served_when_its_message_comes_back(broker, sqlite_world: World
                                                                                       ) -> None:
    world = sqlite_world
    pending = MemoryPendingSyncs()
    engine = DramatiqEngine(broker, pending, clock=world.clock.now, **FAST_RETRIES)
    engine.bind(world.service)
    business = world.business()
    engine.enqueue(business, ["Bill"], "webhook")
    assert pending.take(business) is not None  # a worker took the request, then was killed (no ack)
    assert engine.pending() == []

    _drain(broker)  # the unacknowledged message is delivered again

    assert world.cursor(business, "Bill") is not None
    assert pending.take(business) is None  # served and forgotten


def test_a_message_that_cannot_be_sent_leaves_the_request_pending_for_the_next_one(broker, sqlite_world: World
                                                                                    ) -> None:
    pending = MemoryPendingSyncs()
    unreachable = redis_broker("redis://127.0.0.1:1/0", namespace="runway-unreachable")  # nothing listens there
    down = DramatiqEngine(unreachable, pending, clock=sqlite_world.clock.now, **FAST_RETRIES)
    business = sqlite_world.business()
    with pytest.raises(StorageError):
        down.enqueue(business, ["Bill"], "webhook")
    up = DramatiqEngine(broker, pending, clock=sqlite_world.clock.now, **FAST_RETRIES)  # the broker is back
    up.enqueue(business, ["Invoice"], "manual")  # the flag was cleared: this one sends the message
    assert len(broker.queues[QUEUE_NAME].queue) == 1
    (request,) = up.pending()
    assert request.entities == frozenset({Entity.BILL, Entity.INVOICE}) and request.request_count == 2


def test_scheduled_requests_always_send_a_message_so_nothing_stays_stranded(broker, sqlite_world: World) -> None:
    engine = DramatiqEngine(broker, MemoryPendingSyncs(), clock=sqlite_world.clock.now, **FAST_RETRIES)
    business = sqlite_world.business()
    engine.enqueue(business, None, "webhook")
    engine.enqueue(business, None, "webhook")  # coalesced: no second message
    assert len(broker.queues[QUEUE_NAME].queue) == 1
    engine.enqueue(business, None, "scheduled", ensure_message=True)  # as if the first one had been lost
    assert len(broker.queues[QUEUE_NAME].queue) == 2
    engine.bind(sqlite_world.service)
    _drain(broker, threads=1)
    assert engine.pending() == [] and broker.dead_letters == []  # the surplus message found nothing to do
