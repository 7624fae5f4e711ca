"""The incremental sync's critical path: how many round trips to QBO follow one another.

QBO moves vendor, customer and account balances without a new SyncToken, so CDC never reports them and the
sync must read them too. Reading the parties a change touched once CDC has named them is a second, serial
round trip; reading the whole vendor and customer lists together with the CDC call is not. Counted from
the client's side (an httpx transport noting when each request left and its answer was in) with a
latency the sandbox adds to every answer, never timed.
"""

from __future__ import annotations

import gc
import threading
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infra.db.entities import to_record
from infra.interfaces.records import Entity
from infra.jobs import SyncConfig, SyncMode, balances
from infra.jobs import sync as sync_module
from infra.qbo import loads_json
from tests.infra.jobs.conftest import SYNC_CONFIG, Db, World
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox
from tests.infra.jobs.mutations import account_id, create_bill, mixed_changes, pay_bill

#: The latency the sandbox adds to every answer while round trips are counted: far longer than the
#: client's work between two requests of one round trip.
LATENCY_MS = 200.0
#: Too few in-flight slots to read the whole lists beside CDC: the run falls back to the targeted re-read.
TARGETED = SyncConfig(page_size=SYNC_CONFIG.page_size, ids_per_query=SYNC_CONFIG.ids_per_query, page_workers=2)


class RecordingTransport(httpx.BaseTransport):
    """Sends through a real ``httpx.HTTPTransport`` and notes, per data-API request, when it was sent and
    when its whole answer was in (``time.monotonic``)."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.calls: list[tuple[str, float, float]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        response = self._inner.handle_request(request)
        response.read()
        answered = time.monotonic()
        if "/v3/company/" in request.url.path:
            with self._lock:
                self.calls.append((str(request.url), sent, answered))
        return response

    def close(self) -> None:
        self._inner.close()


def serial_round_trips(calls: list[tuple[str, float, float]]) -> int:
    """The longest chain of requests each sent after the previous one's answer was in (the greedy choice
    by earliest answer finds the most requests that do not overlap)."""
    chain, free_at = 0, float("-inf")
    for _url, sent, answered in sorted(calls, key=lambda call: call[2]):
        if sent >= free_at:
            chain += 1
            free_at = answered
    return chain


def test_serial_round_trips_counts_a_chain_not_requests() -> None:
    calls = [("a", 0.0, 1.0), ("b", 0.1, 1.1), ("c", 0.2, 0.9), ("d", 1.2, 2.0), ("e", 1.05, 1.5)]
    assert serial_round_trips(calls) == 2
    assert serial_round_trips([*calls, ("f", 2.0, 2.5)]) == 3
    assert serial_round_trips([]) == 0


@pytest.fixture
def recorded(make_world, sqlite_db: Db) -> tuple[World, RecordingTransport]:
    transport = RecordingTransport()
    return make_world(sqlite_db, transport), transport


def _incremental(world: World, transport: RecordingTransport, service=None) -> tuple[object, int]:
    world.clock.advance(60)
    world.state.faults.set_latency(fixed_ms=LATENCY_MS)
    transport.calls.clear()
    result = (service or world.service).sync_business(world.business())
    world.state.faults.set_latency(0)
    return result, serial_round_trips(transport.calls)


def test_an_incremental_sync_reads_the_balances_in_the_round_trip_of_its_cdc_call(
        recorded: tuple[World, RecordingTransport]) -> None:
    world, transport = recorded
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok
    world.clock.advance(120)
    done = mixed_changes(realm)
    assert done["deleted"] and done["voided"]

    result, round_trips = _incremental(world, transport)

    assert result.ok, result
    assert {result.entities[entity].mode for entity in Entity} == {SyncMode.CDC}
    assert round_trips == 1, sorted(transport.calls, key=lambda call: call[1])
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_a_bill_payment_moves_the_vendor_and_bank_balances_in_the_mirror_without_a_second_read(
        recorded: tuple[World, RecordingTransport]) -> None:
    world, transport = recorded
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok
    bill = create_bill(realm, amount="432.10")
    assert world.service.sync_business(business).ok
    vendor_id = bill["VendorRef"]["value"]
    vendor_before = realm.row("Vendor", vendor_id)
    bank = account_id(realm, "Bank")
    bank_before = realm.row("Account", bank)
    world.clock.advance(60)
    pay_bill(realm, bill, Decimal("432.10"))
    vendor_after, bank_after = realm.row("Vendor", vendor_id), realm.row("Account", bank)
    # QBO moved both balances without a new SyncToken: CDC will not report them.
    assert vendor_after["Balance"] == vendor_before["Balance"] - Decimal("432.10")
    assert vendor_after["SyncToken"] == vendor_before["SyncToken"]
    assert bank_after["CurrentBalance"] != bank_before["CurrentBalance"]
    assert bank_after["SyncToken"] == bank_before["SyncToken"]

    result, round_trips = _incremental(world, transport)

    assert result.ok, result
    assert round_trips == 1
    assert result.entities[Entity.VENDOR].upserted == 1  # only the vendor whose balance moved is written
    assert world.store.computed_balances(business, Entity.VENDOR)[vendor_id][1] == vendor_after["Balance"]
    assert world.store.computed_balances(business, Entity.ACCOUNT)[bank][1] == bank_after["CurrentBalance"]
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_lists_too_big_for_one_round_trip_are_re_read_after_cdc_names_the_parties(
        recorded: tuple[World, RecordingTransport]) -> None:
    """With too few in-flight slots for the whole lists beside the CDC call, the touched parties are read
    once CDC has named them: a second round trip, still exact (and the count above is not vacuous)."""
    world, transport = recorded
    business, realm = world.business(), world.realm()
    targeted = world.new_service(config=TARGETED)
    assert targeted.sync_business(business).ok
    world.clock.advance(120)
    mixed_changes(realm)

    result, round_trips = _incremental(world, transport, targeted)

    assert result.ok, result
    assert round_trips == 2
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_the_whole_lists_are_compared_without_building_their_rows(
        recorded: tuple[World, RecordingTransport], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every vendor and customer is read for its balance, but only for its Id, SyncToken and balance: a
    row is decoded in full (and mapped) only when QBO changed more than its balance (its SyncToken moved);
    a vendor whose balance alone moved gets its new balance, and nothing else is written."""
    world, transport = recorded
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok
    bill = create_bill(realm, amount="75.25")
    assert world.service.sync_business(business).ok
    world.clock.advance(60)
    pay_bill(realm, bill, Decimal("75.25"))
    vendor_id = bill["VendorRef"]["value"]
    renamed = next(row for row in realm.rows("Vendor") if row["Id"] != vendor_id)
    realm.patch("Vendor", renamed["Id"], {"CompanyName": "Renamed Co"})  # a new SyncToken
    decoded: list[object] = []

    def counted(content):
        decoded.append(content)
        return loads_json(content)

    mapped: list[Entity] = []

    def mapping(entity, business_id, payload):
        mapped.append(Entity(entity))
        return to_record(entity, business_id, payload)

    monkeypatch.setattr(balances, "loads_json", counted)
    monkeypatch.setattr(sync_module, "to_record", mapping)
    result, round_trips = _incremental(world, transport)

    assert result.ok, result
    assert round_trips == 1
    listed = len(realm.rows("Vendor")) + len(realm.rows("Customer"))
    written = result.entities[Entity.VENDOR].upserted + result.entities[Entity.CUSTOMER].upserted
    assert result.entities[Entity.VENDOR].fetched + result.entities[Entity.CUSTOMER].fetched >= listed > 10
    assert written == 2  # the paid bill's vendor and the renamed one, nothing else
    # Only it may be decoded in full: its SyncToken moved. Not even it when its page is compared after CDC's
    # answer was written, as that wrote this very version (which comes first depends on the answers' timing).
    assert {loads_json(content)["Id"] for content in decoded} <= {renamed["Id"]}
    # CDC reported and wrote it; the whole read, compared with the mirror as it was before, is not written again
    assert mapped.count(Entity.VENDOR) == 1
    assert world.store.computed_balances(business, Entity.VENDOR)[vendor_id][1] == realm.row("Vendor", vendor_id)[
        "Balance"]
    # The accounts are read whole the same way: the payment moved two balances, no account is mapped.
    assert result.entities[Entity.ACCOUNT].upserted == 2 and Entity.ACCOUNT not in mapped
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_a_finished_run_leaves_nothing_for_the_garbage_collector(sqlite_world: World) -> None:
    """A run's balance refresh and reconciler point back at it; a run left as a reference cycle waits for
    the collector's next full pass (about 0.1 s after a big sync, on whatever the process does next)."""
    gc.collect()
    gc.disable()
    try:
        assert sqlite_world.service.sync_business(sqlite_world.business()).ok
        left = [obj for obj in gc.get_objects() if type(obj).__name__ == "_BusinessRun" and vars(obj)]
    finally:
        gc.enable()
    assert left == []


def test_an_incremental_checkpoints_sqlites_log_while_qbo_answers(
        sqlite_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite copies its write-ahead log into the database at the commit that takes the log past 1,000
    pages; the run does it while it waits for the CDC answer instead of in the commits that write it."""
    world = sqlite_world
    business = world.business()
    assert world.service.sync_business(business).ok
    mixed_changes(world.realm())
    world.clock.advance(60)
    calls: list[bool] = []
    checkpoint = world.service.store.checkpoint
    monkeypatch.setattr(world.service.store, "checkpoint", lambda: calls.append(True) or checkpoint())

    assert world.service.sync_business(business).ok

    assert calls == [True]


def _cdc_entities(calls: list[tuple[str, float, float]]) -> list[list[str]]:
    return [parse_qs(urlsplit(url).query)["entities"][0].split(",") for url, _sent, _answered in calls
            if urlsplit(url).path.endswith("/cdc")]


def test_an_incremental_splits_its_cdc_call_over_disjoint_entities_in_one_round_trip(
        recorded: tuple[World, RecordingTransport]) -> None:
    """Two CDC calls, each for part of the entities, sent together: each answer is smaller and comes sooner,
    and the first is written while the other travels; together they ask for every entity exactly once."""
    world, transport = recorded
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok
    world.clock.advance(120)
    mixed_changes(realm)

    result, round_trips = _incremental(world, transport)

    assert result.ok, result
    assert round_trips == 1
    asked = _cdc_entities(transport.calls)
    assert len(asked) == 2
    assert sorted(name for names in asked for name in names) == sorted(entity.value for entity in Entity)
    assert {result.entities[entity].mode for entity in Entity} == {SyncMode.CDC}
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_one_cdc_call_when_the_in_flight_budget_has_no_room_for_two(
        recorded: tuple[World, RecordingTransport]) -> None:
    """The whole lists' pages come first: a CDC call more only where the realm's in-flight budget has a slot
    left beside them (and ``cdc_calls`` asks for it)."""
    world, transport = recorded
    business, realm = world.business(), world.realm()
    lists = sum(len(realm.rows(name)) // SYNC_CONFIG.page_size + 1 for name in ("Account", "Vendor", "Customer"))
    tight = world.new_service(config=SyncConfig(page_size=SYNC_CONFIG.page_size,
                                                ids_per_query=SYNC_CONFIG.ids_per_query, page_workers=lists + 1))
    assert tight.sync_business(business).ok
    world.clock.advance(120)
    mixed_changes(realm)

    result, round_trips = _incremental(world, transport, tight)

    assert result.ok, result
    assert round_trips == 1
    assert len(_cdc_entities(transport.calls)) == 1
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_cdc_groups_deal_the_transactions_first_and_keep_sync_order() -> None:
    from infra.jobs.sync import _cdc_groups

    everything = list(Entity)
    assert _cdc_groups(everything, 1) == [sorted(everything, key=list(sync_module.ENTITY_ORDER).index)]
    two = _cdc_groups(everything, 2)
    assert two == [[Entity.ACCOUNT, Entity.CUSTOMER, Entity.BILL, Entity.BILL_PAYMENT],
                   [Entity.VENDOR, Entity.INVOICE, Entity.PAYMENT]]
    assert _cdc_groups([Entity.BILL], 4) == [[Entity.BILL]]


def test_the_list_pages_are_compared_by_the_runs_own_thread(
        recorded: tuple[World, RecordingTransport], monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline threads only fetch the whole lists' pages; comparing them with the mirror (CPU under the
    interpreter's lock) is left to the thread that writes CDC's answer, between its writes, so it never
    waits for a comparison to let go of the interpreter after each database call."""
    world, transport = recorded
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok
    world.clock.advance(120)
    mixed_changes(realm)
    threads: set[str] = set()

    class Recording:
        def __init__(self, decoder) -> None:
            self.decoder = decoder

        def decode(self, raw):
            threads.add(threading.current_thread().name)
            return self.decoder.decode(raw)

    for entity, decoder in list(balances._BALANCE_ROWS.items()):
        monkeypatch.setitem(balances._BALANCE_ROWS, entity, Recording(decoder))
    result, round_trips = _incremental(world, transport)

    assert result.ok, result
    assert round_trips == 1
    assert threads == {threading.current_thread().name}
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_a_run_reuses_the_pipeline_threads_of_the_one_before(sqlite_world: World) -> None:
    """``Thread.start`` returns only once the new thread runs: a run that started its own threads sent its
    first requests one scheduling delay apart. The service keeps the threads between runs instead."""
    world = sqlite_world
    business = world.business()

    def pipeline_threads() -> set[threading.Thread]:
        return {thread for thread in threading.enumerate() if thread.name.startswith("sync-pipeline")}

    assert world.service.sync_business(business).ok
    first = pipeline_threads()
    mixed_changes(world.realm())
    world.clock.advance(60)
    assert world.service.sync_business(business).ok

    assert first and pipeline_threads() == first
    world.service.pipeline_threads.close()
    for thread in first:
        thread.join(5)
    assert not any(thread.is_alive() for thread in first)

