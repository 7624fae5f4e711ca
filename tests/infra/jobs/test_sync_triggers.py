"""What starts syncs: the scheduler loop, the persisted request queue (coalescing), Intuit webhooks."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from infra.db.engine import create_engine_for, create_session_factory
from infra.db.sync_requests import MAX_REASON_LENGTH, MAX_REASONS
from infra.db.sync_tables import worker_heartbeat
from infra.interfaces.records import Entity
from infra.jobs import (
    Scheduler,
    SyncRequestQueue,
    WebhookHandler,
    WebhookPayloadError,
    WebhookSignatureError,
    live_workers,
    verify_intuit_signature,
)
from qbo_sandbox import ChangeEvent, sign_webhook_body
from qbo_sandbox.webhooks import notification_body
from tests.infra.jobs.conftest import Db, World, _pg_db
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox, mirror_rows
from tests.infra.jobs.mutations import create_bill

VERIFIER = "verifier-token-123"
T0 = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


# -- the queue -------------------------------------------------------------------------------------------

def test_requests_coalesce_into_one_pending_request_per_business(db: Db, make_world) -> None:
    world = make_world(db)
    a, b = world.business(), world.business(1)
    clock = Clock()
    queue = SyncRequestQueue(db.session_factory, clock=clock)

    first = queue.enqueue(a, ["Bill"], "webhook")
    for _ in range(3):
        clock.now += timedelta(seconds=1)
        queue.enqueue(a, [Entity.BILL], "webhook")
    merged = queue.enqueue(a, ["invoice"], "manual")
    queue.enqueue(b, None, "schedule")

    assert merged.id == first.id
    assert merged.entities == {Entity.BILL, Entity.INVOICE}
    assert merged.request_count == 5 and merged.reason == "webhook, manual"
    assert merged.requested_at == T0 and merged.last_requested_at == T0 + timedelta(seconds=3)
    assert [(r.business_id, r.entities) for r in queue.pending()] == [(a, merged.entities), (b, None)]
    assert queue.enqueue(a, None, "manual").entities is None  # "everything" absorbs any set
    assert queue.enqueue(a, ["Bill"], "webhook", full=True).full

    claimed = queue.claim_next("worker-1")
    assert claimed is not None and claimed.business_id == a and claimed.claimed_by == "worker-1"
    assert queue.claim_next("worker-1").business_id == b
    assert queue.claim_next("worker-2") is None
    newer = queue.enqueue(a, ["Vendor"], "webhook")  # arrives while a is being synced: a new pending request
    assert newer.id != claimed.id and [r.id for r in queue.pending()] == [newer.id]

    queue.release(claimed.id)  # not served (e.g. the business was locked): merged back into the pending one
    pending = queue.pending()
    assert len(pending) == 1 and pending[0].entities is None and pending[0].full
    queue.complete(pending[0].id)
    assert [r.business_id for r in queue.all()] == [b]


def test_a_request_claimed_by_a_dead_worker_is_claimed_again_after_the_timeout(sqlite_db: Db, make_world) -> None:
    world = make_world(sqlite_db)
    clock = Clock()
    queue = SyncRequestQueue(sqlite_db.session_factory, clock=clock, claim_timeout=timedelta(minutes=10))
    queue.enqueue(world.business(), ["Bill"], "webhook")
    assert queue.claim_next("dead-worker") is not None

    assert queue.claim_next("worker-2") is None
    clock.now += timedelta(minutes=11)
    again = queue.claim_next("worker-2")
    assert again is not None and again.claimed_by == "worker-2"


@pytest.mark.postgres
def test_concurrent_workers_never_claim_the_same_request(make_world, sync_pg_url: str) -> None:
    url = sync_pg_url
    pg = _pg_db(url)
    world = make_world(pg)
    firm = world.writer.create_firm("Many")
    businesses = [world.writer.create_business(firm.id, f"B{i}", f"realm-many-{i}").id for i in range(30)]
    queue = SyncRequestQueue(pg.session_factory)
    for business in businesses:
        queue.enqueue(business, ["Bill"], "webhook")
    engines = [create_engine_for(url) for _ in range(3)]
    claimed: list[list[int]] = [[] for _ in engines]

    def work(index: int) -> None:
        mine = SyncRequestQueue(create_session_factory(engines[index]))
        while (req := mine.claim_next(f"worker-{index}")) is not None:
            claimed[index].append(req.business_id)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(engines))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    everything = [b for part in claimed for b in part]
    assert sorted(everything) == sorted(businesses)  # each exactly once
    for engine in engines:
        engine.dispose()
    pg.engine.dispose()


# -- webhooks --------------------------------------------------------------------------------------------

def test_the_intuit_signature_is_checked_in_constant_time_against_the_raw_body() -> None:
    body = b'{"eventNotifications":[]}'
    good = sign_webhook_body(VERIFIER, body)

    assert verify_intuit_signature(VERIFIER, body, good)
    assert not verify_intuit_signature(VERIFIER, body + b" ", good)  # any change to the body
    assert not verify_intuit_signature("another-token", body, good)
    assert not verify_intuit_signature(VERIFIER, body, None)
    assert not verify_intuit_signature(VERIFIER, body, "")
    assert not verify_intuit_signature(VERIFIER, body, "not base64!!")
    assert not verify_intuit_signature(VERIFIER, body, base64.b64encode(b"x" * 32).decode())
    assert not verify_intuit_signature("", body, good)


def test_webhooks_enqueue_syncs_of_the_named_entities_per_realm(db: Db, make_world) -> None:
    world = make_world(db)
    queue = SyncRequestQueue(db.session_factory)
    handler = WebhookHandler(queue, world.store.business_ids_for_realm, VERIFIER)
    known, other = world.realm_ids[0], world.realm_ids[1]
    events = [ChangeEvent(known, "Bill", "12", "Update", T0), ChangeEvent(known, "Invoice", "3", "Void", T0),
              ChangeEvent(known, "Item", "7", "Create", T0), ChangeEvent(other, "Vendor", "2", "Update", T0),
              ChangeEvent("9999999999", "Bill", "1", "Create", T0)]
    body = notification_body(events)

    outcome = handler.handle(body, sign_webhook_body(VERIFIER, body))

    assert outcome.enqueued == {world.business(): {Entity.BILL, Entity.INVOICE}, world.business(1): {Entity.VENDOR}}
    assert (outcome.unknown_realms, outcome.ignored_entities, outcome.notifications) == (1, 1, 5)
    assert outcome.unknown_realm_ids == ["9999999999"]
    again = handler.handle(body, sign_webhook_body(VERIFIER, body))  # delivered twice: still one request each
    assert again.request_ids == outcome.request_ids
    pending = {r.business_id: r for r in queue.pending()}
    assert pending[world.business()].entities == {Entity.BILL, Entity.INVOICE}
    assert pending[world.business()].request_count == 2 and pending[world.business()].reason == "webhook"


def test_cloudevents_webhooks_are_understood_too(sqlite_db: Db, make_world) -> None:
    world = make_world(sqlite_db)
    queue = SyncRequestQueue(sqlite_db.session_factory)
    handler = WebhookHandler(queue, world.store.business_ids_for_realm, VERIFIER)
    body = json.dumps([
        {"specversion": "1.0", "id": "e1", "source": "intuit.com", "type": "qbo.billpayment.created.v1",
         "intuitentityid": "44", "intuitaccountid": world.realm_ids[2], "time": "2026-11-20T17:00:00Z", "data": {}},
        {"specversion": "1.0", "id": "e2", "type": "qbo.customer.updated.v1", "intuitentityid": "4",
         "intuitaccountid": world.realm_ids[2]},
        {"specversion": "1.0", "id": "e3", "type": "qbo.estimate.created.v1", "intuitentityid": "1",
         "intuitaccountid": world.realm_ids[2]},
    ]).encode()

    outcome = handler.handle(body, sign_webhook_body(VERIFIER, body))

    assert outcome.enqueued == {world.business(2): {Entity.BILL_PAYMENT, Entity.CUSTOMER}}
    assert outcome.ignored_entities == 1


def test_bad_signatures_and_bodies_are_refused_and_enqueue_nothing(sqlite_db: Db, make_world) -> None:
    world = make_world(sqlite_db)
    queue = SyncRequestQueue(sqlite_db.session_factory)
    handler = WebhookHandler(queue, world.store.business_ids_for_realm, VERIFIER)
    body = notification_body([ChangeEvent(world.realm_ids[0], "Bill", "1", "Create", T0)])

    with pytest.raises(WebhookSignatureError):
        handler.handle(body, None)
    with pytest.raises(WebhookSignatureError):
        handler.handle(body, sign_webhook_body("wrong", body))
    with pytest.raises(WebhookSignatureError):
        handler.handle(body.replace(b"Bill", b"Vendor"), sign_webhook_body(VERIFIER, body))
    for bad in (b"not json", b'{"something": 1}', b'{"eventNotifications": [{"dataChangeEvent": {}}]}'):
        with pytest.raises(WebhookPayloadError):
            handler.handle(bad, sign_webhook_body(VERIFIER, bad))
    assert queue.all() == []


# -- the scheduler -----------------------------------------------------------------------------------------

def test_the_scheduler_syncs_every_interval_drains_the_queue_and_beats(world: World) -> None:
    queue = SyncRequestQueue(world.db.session_factory, clock=world.clock.now)
    sleeps: list[float] = []
    stop = threading.Event()

    def sleep(seconds: float) -> None:  # each pause moves the sandbox's time on by a minute
        sleeps.append(seconds)
        world.clock.advance(60)

    scheduler = Scheduler(world.service, queue, interval_seconds=900, poll_seconds=5, worker_id="worker-a",
                          clock=world.clock.now, sleep=sleep, stop_event=stop)

    assert scheduler.run(max_rounds=1) == 1
    beats = live_workers(world.db.session_factory, timedelta(minutes=5), now=world.clock.now())
    assert [(b.worker_id, b.state) for b in beats] == [("worker-a", "stopped")]
    for index in range(len(world.realm_ids)):  # the first round synced every business
        assert_mirror_matches_sandbox(world.db.session_factory, world.business(index), world.realm(index))

    bill = create_bill(world.realm(), amount="42.00")
    queue.enqueue(world.business(), ["Bill"], "webhook")
    round_two = scheduler.run_once()  # not due yet: only the queue is served
    assert round_two.scheduled == [] and round_two.error is None
    served = [(req.business_id, set(req.entities)) for req, _ in round_two.requested]
    assert served == [(world.business(), {Entity.BILL})]
    assert round_two.requested[0][1].ok and queue.all() == []
    assert bill["Id"] in {r["qbo_id"] for r in _bills(world)}

    world.clock.advance(timedelta(minutes=15))
    round_three = scheduler.run_once()
    assert len(round_three.scheduled) == len(world.realm_ids) and all(r.ok for r in round_three.scheduled)
    with world.db.session_factory() as session:
        last_beat = session.execute(select(worker_heartbeat.c.last_beat)).scalar_one()
    assert last_beat == world.clock.now()
    assert sleeps == []  # run(max_rounds=1) stopped without a pause

    def sleep_then_stop(seconds: float) -> None:  # the loop: round, pause, round, pause (stop is set)
        sleep(seconds)
        if len(sleeps) == 2:
            stop.set()

    looping = Scheduler(world.service, queue, interval_seconds=900, poll_seconds=5, worker_id="worker-a",
                        clock=world.clock.now, sleep=sleep_then_stop, stop_event=stop)
    assert looping.run() == 2 and sleeps == [5, 5]
    assert looping.run() == 0  # stopped: no further round
    later = world.clock.now() + timedelta(hours=1)
    assert live_workers(world.db.session_factory, timedelta(minutes=5), now=later) == []


def test_a_queued_request_for_a_business_being_synced_goes_back_to_the_queue(sqlite_world: World) -> None:
    world = sqlite_world
    queue = SyncRequestQueue(world.db.session_factory, clock=world.clock.now)
    scheduler = Scheduler(world.service, queue, worker_id="worker-b", clock=world.clock.now, sleep=lambda _s: None)
    scheduler.next_sync_at = world.clock.now() + timedelta(hours=1)  # only the queue this round
    queue.enqueue(world.business(), None, "manual")
    held = world.service.locks.try_acquire(world.business())
    assert held is not None
    try:
        round_ = scheduler.run_once()
    finally:
        held.release()

    assert [result.skipped for _, result in round_.requested] == [True]
    assert [r.business_id for r in queue.pending()] == [world.business()]  # kept for the next round
    assert scheduler.run_once().requested[0][1].ok
    assert queue.all() == []


def _bills(world: World) -> list[dict]:
    return list(mirror_rows(world.db.session_factory, world.business(), "Bill").values())


def test_merged_requests_keep_distinct_reasons_bounded(sqlite_db: Db, make_world) -> None:
    """Hundreds of requests with a few repeated reasons, and many different ones, stay one short reason."""
    world = make_world(sqlite_db)
    queue = SyncRequestQueue(sqlite_db.session_factory, clock=world.clock.now)
    for _ in range(300):
        for reason in ("webhook", "manual", "api: advisor 7"):
            queue.enqueue(world.business(), ["Bill"], reason)
    assert queue.pending()[0].reason == "webhook, manual, api: advisor 7"
    for number in range(200):
        queue.enqueue(world.business(), ["Bill"], f"api, advisor {number}\n" + "x" * 500)
    merged = queue.pending()[0]
    assert merged.request_count == 1100
    parts = merged.reason.split(", ")
    assert parts[:3] == ["webhook", "manual", "api: advisor 7"] and parts[-1] == "+198 more"
    assert len(parts) == MAX_REASONS + 1 and len(set(parts)) == len(parts)
    assert len(merged.reason) <= MAX_REASONS * (MAX_REASON_LENGTH + 2) + 12
