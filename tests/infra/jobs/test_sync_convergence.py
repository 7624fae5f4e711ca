"""Full sync, then incremental syncs (CDC and the query path), converge on the sandbox's data, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from domains.core.aging import AGING_BUCKETS, bucket_name
from infra.db.tables import bills
from infra.interfaces.records import AgingLedger, Entity
from infra.jobs import SyncConfig, SyncMode, parse_qbo_time
from tests.infra.jobs.aging_check import assert_aging_matches_qbo, verify_aging
from tests.infra.jobs.conftest import World
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox, mirror_differences, mirror_rows
from tests.infra.jobs.mutations import create_bill, mixed_changes

ALL = tuple(Entity)


def _snapshot(world: World, business_id: int) -> dict:
    return {entity.value: mirror_rows(world.db.session_factory, business_id, entity.value) for entity in Entity}


def test_full_sync_then_incremental_after_creates_updates_deletes_and_voids(world: World) -> None:
    business, realm = world.business(), world.realm()

    full = world.service.sync_business(business)

    assert full.ok, full
    assert {r.mode for r in full.entities.values()} == {SyncMode.FULL}
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)
    cursor = world.cursor(business, "Bill")
    assert cursor is not None and cursor.endswith(realm.utc_offset)  # the company's offset, as QBO sends it
    # The cursor is when the run started, minus the overlap: not after any row the run read.
    assert parse_qbo_time(cursor) == world.clock.now().replace(microsecond=0) - world.service.config.cursor_overlap

    world.clock.advance(120)
    done = mixed_changes(realm)
    assert done["deleted"] and done["voided"]
    world.clock.advance(60)

    incremental = world.service.sync_business(business)

    assert incremental.ok, incremental
    assert {incremental.entities[e].mode for e in ALL} == {SyncMode.CDC}
    assert incremental.entities[Entity.BILL].deleted == 1
    assert incremental.entities[Entity.PAYMENT].deleted == 1
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)
    assert world.cursor(business, "Bill") > cursor

    before = _snapshot(world, business)
    world.clock.advance(30)
    quiet = world.service.sync_business(business)

    assert quiet.ok
    assert (quiet.upserted, quiet.deleted, quiet.quarantined) == (0, 0, 0)
    assert _snapshot(world, business) == before


def test_computed_balances_are_refreshed_although_qbo_does_not_report_them(sqlite_world: World) -> None:
    """Paying a bill moves the vendor's Balance and the bank account's CurrentBalance without changing
    their SyncToken or LastUpdatedTime: CDC never reports them, the sync re-reads them."""
    world = sqlite_world
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok
    bank = next(row for row in realm.rows("Account") if row["AccountType"] == "Bank" and row["Active"])
    bill = create_bill(realm, amount="999.99")
    vendor_token = realm.row("Vendor", bill["VendorRef"]["value"])["SyncToken"]
    world.clock.advance(60)

    result = world.service.sync_business(business)

    assert result.ok
    assert realm.row("Vendor", bill["VendorRef"]["value"])["SyncToken"] == vendor_token
    assert realm.row("Account", bank["Id"])["SyncToken"] == bank["SyncToken"]
    assert result.entities[Entity.VENDOR].upserted == 1  # its balance, re-read
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


@pytest.mark.parametrize("whole_lists", [True, False], ids=["whole-lists", "targeted"])
def test_a_document_deleted_before_it_was_ever_mirrored_still_refreshes_its_partys_balance(
        sqlite_world: World, whole_lists: bool) -> None:
    """CDC reports the deletion of a bill the mirror never held with no VendorRef. Whole lists read with
    the CDC call see the vendor's new balance anyway; the targeted re-read (lists too big for one round
    trip: two in-flight slots) does not know whose balance moved, so it re-reads the vendors."""
    world = sqlite_world
    service = world.service if whole_lists else world.new_service(
        config=SyncConfig(page_size=25, ids_per_query=40, page_workers=2))
    business, realm = world.business(), world.realm()
    assert service.sync_business(business).ok
    world.clock.advance(60)
    bill = create_bill(realm, amount="777.77")
    assert service.sync_business(business, full=True, entities=["Vendor"]).ok  # the balance with the bill
    world.clock.advance(60)
    realm.delete("Bill", bill["Id"])
    world.clock.advance(60)

    result = service.sync_business(business)

    assert result.ok
    assert result.entities[Entity.BILL].deleted == 0  # never mirrored
    assert result.entities[Entity.VENDOR].upserted == 1
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)
    world.clock.advance(60)
    again = service.sync_business(business)  # the same deletion, read again in the overlap: nothing to write
    assert again.upserted == 0
    vendors = len(realm.rows("Vendor"))
    # Whole lists read every vendor and write none; the targeted re-read does not read them again.
    assert again.entities[Entity.VENDOR].fetched == (vendors if whole_lists else 0)


def test_an_old_cursor_takes_the_query_path_and_a_reconcile_still_finds_deletes(world: World) -> None:
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok
    world.clock.advance(timedelta(days=40))  # the cursors are now older than CDC can look back
    mixed_changes(realm)
    world.clock.advance(60)

    result = world.service.sync_business(business)

    assert result.ok, result
    assert {result.entities[e].mode for e in ALL} == {SyncMode.QUERY}
    assert result.entities[Entity.BILL].deleted == 1 and result.entities[Entity.PAYMENT].deleted == 1
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)
    new_cursor = parse_qbo_time(world.cursor(business, "Bill"))
    assert world.clock.now() - new_cursor <= world.service.config.cursor_overlap

    world.clock.advance(60)
    assert {r.mode for r in world.service.sync_business(business).entities.values()} == {SyncMode.CDC}


def test_a_cursor_set_40_days_back_uses_the_query_path(sqlite_world: World) -> None:
    world = sqlite_world
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok
    old = (world.clock.now() - timedelta(days=40)).astimezone(parse_qbo_time(world.cursor(business, "Bill")).tzinfo)
    for entity in Entity:
        world.set_cursor(business, entity.value, old.replace(microsecond=0).isoformat())
    doomed = next(row for row in realm.rows("Invoice") if not row.get("LinkedTxn"))
    realm.delete("Invoice", doomed["Id"])

    result = world.service.sync_business(business)

    assert result.entities[Entity.INVOICE].mode is SyncMode.QUERY
    assert result.entities[Entity.INVOICE].deleted == 1
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_a_capped_cdc_answer_falls_back_to_the_query_path_for_that_entity(sqlite_world: World) -> None:
    world = sqlite_world
    service = world.new_service(config=SyncConfig(page_size=500, ids_per_query=200))
    business, realm = world.business(), world.realm()
    assert service.sync_business(business).ok
    world.clock.advance(60)
    for _ in range(1005):  # more changed bills than one CDC answer holds
        create_bill(realm)
    world.state.faults.clear()
    vendor = next(row for row in realm.rows("Vendor") if row["Active"])
    realm.update("Vendor", {"Id": vendor["Id"], "sparse": True, "CompanyName": "Still via CDC"})
    world.clock.advance(60)

    result = service.sync_business(business)

    assert result.ok, result
    assert result.entities[Entity.BILL].mode is SyncMode.QUERY
    assert result.entities[Entity.VENDOR].mode is SyncMode.CDC
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


def test_sync_all_converges_every_business(world: World) -> None:
    results = world.service.sync_all()

    assert [r.business_id for r in results] == sorted(world.business_ids.values())
    assert all(r.ok for r in results)
    for index in range(len(world.realm_ids)):
        assert_mirror_matches_sandbox(world.db.session_factory, world.business(index), world.realm(index))
    offsets = {world.cursor(world.business(i), "Invoice")[-6:] for i in range(len(world.realm_ids))}
    assert offsets == {world.realm(i).utc_offset for i in range(len(world.realm_ids))}


def test_only_the_named_entities_are_synced(sqlite_world: World) -> None:
    world = sqlite_world
    business, realm = world.business(), world.realm()

    result = world.service.sync_business(business, entities=["bill", Entity.VENDOR])

    assert set(result.entities) == {Entity.BILL, Entity.VENDOR}
    assert world.cursor(business, "Invoice") is None
    assert not mirror_differences(world.db.session_factory, business, realm, ("Bill", "Vendor"))
    assert mirror_rows(world.db.session_factory, business, "Invoice") == {}


def test_progress_reports_rows_per_entity(sqlite_world: World) -> None:
    world = sqlite_world
    seen: list[tuple[int, Entity, int, int | None]] = []

    world.service.sync_business(world.business(), progress=lambda *args: seen.append(args))

    last = {}
    for business_id, entity, done, total in seen:
        assert business_id == world.business()
        last[entity] = (done, total)
    assert set(last) == set(Entity)
    assert last[Entity.BILL] == (len(world.realm().rows("Bill")),) * 2


def test_cursors_come_from_the_time_qbo_stamps_on_its_answers_not_from_a_skewed_host_clock(
        sqlite_world: World) -> None:
    """The host's clock runs an hour ahead of QBO's: a cursor taken from it would skip every change made
    within that hour. The cursor is the earliest ``time`` of the run's answers instead."""
    world = sqlite_world
    business, realm = world.business(), world.realm()
    skewed = world.new_service(clock=lambda: world.clock.now() + timedelta(hours=1))

    assert skewed.sync_business(business).ok
    cursor = parse_qbo_time(world.cursor(business, "Bill"))
    assert cursor == world.clock.now().replace(microsecond=0) - skewed.config.cursor_overlap

    world.clock.advance(600)  # later than the overlap, well within the skew
    create_bill(realm)
    world.clock.advance(60)
    incremental = skewed.sync_business(business)

    assert incremental.ok, incremental
    assert incremental.entities[Entity.BILL].mode is SyncMode.CDC
    assert incremental.entities[Entity.BILL].upserted >= 1
    assert_mirror_matches_sandbox(world.db.session_factory, business, realm)


# -- the aging cross-check (runway verify) after the sync converged ------------------------------------

def test_after_full_and_incremental_syncs_the_mirrors_aging_equals_qbos_reports(world: World) -> None:
    business, realm = world.business(), world.realm()
    assert world.service.sync_business(business).ok

    checked = assert_aging_matches_qbo(world, business)

    assert checked.as_of == world.clock.now().date()
    assert all(c.qbo is not None for c in checked.buckets) and any(c.qbo for c in checked.buckets)
    world.clock.advance(120)
    mixed_changes(realm)
    world.clock.advance(60)
    assert world.service.sync_business(business).ok
    assert_aging_matches_qbo(world, business)


def test_after_the_query_path_and_on_every_business_the_aging_still_equals_qbos(sqlite_world: World) -> None:
    world = sqlite_world
    assert all(r.ok for r in world.service.sync_all())
    world.clock.advance(timedelta(days=40))  # every document is 40 days older, the cursors too old for CDC
    mixed_changes(world.realm())
    world.clock.advance(60)
    assert all(r.ok for r in world.service.sync_all())

    for index in range(len(world.realm_ids)):
        assert_aging_matches_qbo(world, world.business(index))


def test_a_corrupted_mirror_amount_is_named_by_its_bucket(world: World) -> None:
    business = world.business()
    assert world.service.sync_business(business).ok
    today = world.clock.now().date()
    with world.db.session_factory() as session:
        late = session.execute(
            select(bills.c.qbo_id, bills.c.due_date, bills.c.balance)
            .where(bills.c.business_id == business, bills.c.balance > 0,
                   bills.c.due_date < today - timedelta(days=35))
            .order_by(bills.c.due_date.desc(), bills.c.qbo_id).limit(1)).one()
    days_late = (today - late.due_date).days
    bucket = next(bucket_name(lo, hi) for _, lo, hi in AGING_BUCKETS
                  if (lo is None or days_late >= lo) and (hi is None or days_late <= hi))
    with world.db.session_factory.begin() as session:  # what a faulty write or a hand edit would do
        session.execute(update(bills).where(bills.c.business_id == business, bills.c.qbo_id == late.qbo_id)
                        .values(balance=late.balance + Decimal("12.34")))

    result = verify_aging(world, business)

    assert not result.ok and not result.problems
    assert [(c.ledger, c.bucket, c.difference) for c in result.differences] == [
        (AgingLedger.PAYABLES, bucket, Decimal("12.34"))]
    assert result.describe_differences()[0].startswith(f"AP {bucket}: mirror ")
