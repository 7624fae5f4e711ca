"""The Dramatiq engine's Redis side on a real Redis: pending requests coalesce per business across
processes (two clients here), a taken request stays running until finished or given back, and the broker
carries one message per business however many requests arrive."""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from infra.db.sync_requests import SyncRequest
from infra.interfaces.records import Entity
from infra.jobs.dramatiq_engine import DramatiqEngine, RedisPendingSyncs, redis_broker

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _request(business_id: int, entities: frozenset[Entity] | None, reason: str, *, full: bool = False
             ) -> SyncRequest:
    return SyncRequest(0, business_id, entities, full, reason, AT, AT, 1)


def test_pending_requests_coalesce_across_clients_and_survive_a_dead_worker(redis_server: str,
                                                                            redis_prefix: str) -> None:
    api, worker = (RedisPendingSyncs(redis.Redis.from_url(redis_server), prefix=redis_prefix) for _ in range(2))

    first, send = api.merge(_request(1, frozenset({Entity.BILL}), "webhook"))
    assert send and first.request_count == 1
    merged, send = worker.merge(_request(1, frozenset({Entity.INVOICE}), "manual", full=True))
    assert not send  # a message is already on its way
    assert (merged.entities, merged.full, merged.reason, merged.request_count) == (
        frozenset({Entity.BILL, Entity.INVOICE}), True, "webhook, manual", 2)
    assert [r.business_id for r in api.pending()] == [1]

    taken = worker.take(1)
    assert taken == merged and api.pending() == []
    _, send = api.merge(_request(1, None, "webhook"))  # arrives while the sync runs: a new message
    assert send
    again = worker.take(1)  # the worker died; the message came back: running and pending, merged
    assert again is not None and again.entities is None and again.request_count == 3
    worker.give_back(1, queued=False)
    assert [r.request_count for r in api.pending()] == [3]
    assert worker.take(1) is not None
    worker.finish(1)
    assert worker.take(1) is None and api.pending() == []


def test_the_engine_sends_one_message_per_business(redis_server: str, redis_prefix: str) -> None:
    broker = redis_broker(redis_server, namespace=f"{redis_prefix}-dramatiq")
    client = redis.Redis.from_url(redis_server)
    engine = DramatiqEngine(broker, RedisPendingSyncs(client, prefix=redis_prefix))
    for reason in ("webhook", "webhook", "manual", "api"):
        engine.enqueue(7, ["Bill"], reason)
    engine.enqueue(8, None, "scheduled")
    assert client.llen(f"{redis_prefix}-dramatiq:runway_sync") == 2
    assert {(r.business_id, r.request_count) for r in engine.pending()} == {(7, 4), (8, 1)}
    broker.close()
