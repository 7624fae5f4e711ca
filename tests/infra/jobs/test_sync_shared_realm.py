"""One QBO company (realm) connected by two firms: each firm's business syncs a mirror of its own, both equal
to the company, and a webhook naming the realm asks for a sync of both."""

from __future__ import annotations

from datetime import timedelta

from infra.interfaces.records import Entity
from infra.jobs import Scheduler, SyncRequestQueue, WebhookHandler
from qbo_sandbox import ChangeEvent, sign_webhook_body
from qbo_sandbox.webhooks import notification_body
from tests.infra.jobs.conftest import Db
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox, mirror_rows
from tests.infra.jobs.mutations import create_bill

VERIFIER = "verifier-token-shared"


def test_two_firms_on_one_realm_each_mirror_it_and_a_webhook_syncs_both(db: Db, make_world) -> None:
    world = make_world(db)
    realm = world.realm_ids[0]
    first = world.business()
    second = world.writer.create_business(world.writer.create_firm("Second Opinion CPAs").id,
                                          "Client 0, served by a second firm", realm).id

    assert world.store.business_ids_for_realm(realm) == [first, second]
    for business_id in (first, second):
        assert world.service.sync_business(business_id).ok
    for business_id in (first, second):
        assert_mirror_matches_sandbox(db.session_factory, business_id, world.realm())
    first_bills = mirror_rows(db.session_factory, first, "Bill")
    assert first_bills and first_bills.keys() == mirror_rows(db.session_factory, second, "Bill").keys()

    bill = create_bill(world.realm(), amount="42.00")
    world.clock.advance(60)
    body = notification_body([ChangeEvent(realm, "Bill", bill["Id"], "Create", world.clock.now())])
    queue = SyncRequestQueue(db.session_factory, clock=world.clock.now)
    outcome = WebhookHandler(queue, world.store.business_ids_for_realm, VERIFIER).handle(
        body, sign_webhook_body(VERIFIER, body))

    assert outcome.enqueued == {first: {Entity.BILL}, second: {Entity.BILL}}
    scheduler = Scheduler(world.service, queue, worker_id="worker-shared", clock=world.clock.now,
                          sleep=lambda _s: None)
    scheduler.next_sync_at = world.clock.now() + timedelta(hours=1)  # only the queue this round
    served = scheduler.run_once().requested
    assert sorted(request.business_id for request, result in served if result.ok) == [first, second]
    for business_id in (first, second):
        assert bill["Id"] in mirror_rows(db.session_factory, business_id, "Bill")
        assert_mirror_matches_sandbox(db.session_factory, business_id, world.realm())


def test_businesses_on_one_realm_syncing_at_once_share_its_in_flight_budget(sqlite_db: Db, make_world) -> None:
    """Four firms' businesses on one realm, synced at the same time by one process: the client's limiter is
    keyed by realm, so together they never have more than 10 requests in flight there (the sandbox refuses
    the 11th with a 429)."""
    world = make_world(sqlite_db)
    realm = world.realm_ids[0]
    businesses = [world.business()] + [
        world.writer.create_business(world.writer.create_firm(f"Advisory Firm {i}").id, "Client 0", realm).id
        for i in range(1, 4)]
    world.state.faults.set_latency(fixed_ms=25)  # answers slow enough for the pipelines to fill their slots
    world.state.counters.reset()

    results = world.new_service(max_parallel_businesses=4).sync_all(full=True, business_ids=businesses)

    assert [r.ok for r in results] == [True] * 4, results
    assert world.state.counters.throttled(realm) == 0
    assert world.state.counters.max_concurrency(realm) == 10  # the realm's budget was full, never over
    for business_id in businesses:
        assert_mirror_matches_sandbox(sqlite_db.session_factory, business_id, world.realm())
