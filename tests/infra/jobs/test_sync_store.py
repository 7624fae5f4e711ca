"""The database side of the sync (``infra.db.sync_store``): idempotent, never-older upserts that skip unchanged
rows; quarantine; the schema's partial index."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select, text

from infra.db.sync_store import QuarantineItem, SyncStore
from infra.db.tables import bills, vendors
from infra.db.writer import MirrorWriter
from infra.interfaces.records import BillRecord, Entity, VendorRecord
from tests.infra.jobs.conftest import Db

AT = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def _business(db: Db) -> int:
    writer = MirrorWriter(db.session_factory)
    return writer.create_business(writer.create_firm("F").id, "B", "realm-store").id


def _bill(business_id: int, token: str, balance: str, **changes) -> BillRecord:
    record = BillRecord(business_id=business_id, qbo_id="7", sync_token=token, vendor_qbo_id="3",
                        txn_date=date(2026, 11, 1), due_date=date(2026, 12, 1), total_amount=Decimal("100.00"),
                        balance=Decimal(balance), doc_number="B-7", qbo_updated_at=f"2026-11-0{token}T10:00:00-08:00")
    return dataclasses.replace(record, **changes)


def _stored_bill(db: Db) -> tuple:
    with db.session_factory() as session:
        return session.execute(select(bills.c.sync_token, bills.c.balance, bills.c.doc_number)).one()


def test_upserts_never_move_a_row_back_to_an_older_sync_token_and_skip_unchanged_rows(db: Db) -> None:
    business = _business(db)
    store = SyncStore(db.session_factory)

    assert store.apply(business, Entity.BILL, [_bill(business, "5", "40.00")], at=AT).upserted == 1
    older = store.apply(business, Entity.BILL, [_bill(business, "3", "100.00", doc_number="OLD")], at=AT)
    assert older.upserted == 0 and _stored_bill(db) == ("5", Decimal("40.00"), "B-7")
    assert store.apply(business, Entity.BILL, [_bill(business, "5", "40.00")], at=AT).upserted == 0  # unchanged
    newer = store.apply(business, Entity.BILL, [_bill(business, "6", "0.00")], at=AT)
    assert newer.upserted == 1 and newer.written_ids == {"7"} and _stored_bill(db) == ("6", Decimal("0.00"), "B-7")


def test_a_computed_balance_change_under_the_same_sync_token_is_written(db: Db) -> None:
    """QBO moves a vendor's Balance without a new SyncToken: an equal token with other values replaces the row."""
    business = _business(db)
    store = SyncStore(db.session_factory)
    vendor = VendorRecord(business_id=business, qbo_id="3", sync_token="2", display_name="Acme", balance=Decimal("10"))

    store.apply(business, Entity.VENDOR, [vendor], at=AT)
    outcome = store.apply(business, Entity.VENDOR, [dataclasses.replace(vendor, balance=Decimal("250.75"))], at=AT)

    assert outcome.upserted == 1
    with db.session_factory() as session:
        assert session.execute(select(vendors.c.balance)).scalar_one() == Decimal("250.75")


def test_a_balance_alone_is_set_only_where_the_mirror_still_holds_its_sync_token(db: Db) -> None:
    """``update_computed_balances``: the balance re-read's write for rows whose balance alone changed; a
    row written meanwhile under another SyncToken came from QBO later and keeps what it holds."""
    business = _business(db)
    store = SyncStore(db.session_factory)
    vendors_ = [VendorRecord(business_id=business, qbo_id=qbo_id, sync_token="2", display_name=f"V{qbo_id}",
                             balance=Decimal("10.00")) for qbo_id in ("3", "4")]
    store.apply(business, Entity.VENDOR, vendors_, at=AT)
    store.apply(business, Entity.VENDOR, [dataclasses.replace(vendors_[1], sync_token="3", balance=Decimal("7.00"))],
                at=AT)

    updated = store.update_computed_balances(business, Entity.VENDOR, [("3", "2", Decimal("250.75")),
                                                                       ("4", "2", Decimal("99.99"))])

    assert updated == 1
    assert {qbo_id: balance for qbo_id, (_token, balance) in store.computed_balances(business, Entity.VENDOR).items()
            } == {"3": Decimal("250.75"), "4": Decimal("7.00")}


def test_unstorable_records_are_quarantined_and_released_by_a_good_version(db: Db) -> None:
    business = _business(db)
    store = SyncStore(db.session_factory)
    bad = [_bill(business, "1", "1.005"), _bill(business, "1", "1.00", qbo_id="8", doc_number="x" * 65),
           _bill(business, "1", "1.00", qbo_id="9", sync_token="abc")]

    outcome = store.apply(business, Entity.BILL, bad, quarantine=[QuarantineItem(None, "no Id", {"a": 1})], at=AT)

    assert (outcome.upserted, outcome.quarantined) == (0, 4)
    errors = {q.qbo_id: q.error for q in store.quarantined(business)}
    assert "two decimal places" in errors["7"] and "longer than 64" in errors["8"] and "SyncToken" in errors["9"]
    assert any(key.startswith("?") for key in errors)
    assert store.quarantined_ids(business, Entity.BILL) == ["7", "8", "9"]
    fixed = store.apply(business, Entity.BILL, [_bill(business, "2", "1.00")], at=AT)
    assert fixed.unquarantined == 1 and "7" not in {q.qbo_id for q in store.quarantined(business)}
    assert store.clear_quarantine_except(business, Entity.BILL, keep={"8"}) == 2
    assert [q.qbo_id for q in store.quarantined(business)] == ["8"]


def test_deletes_remove_rows_and_their_quarantine(db: Db) -> None:
    business = _business(db)
    store = SyncStore(db.session_factory)
    store.apply(business, Entity.BILL, [_bill(business, "1", "1.00")], at=AT)
    store.apply(business, Entity.BILL, [], quarantine=[QuarantineItem("7", "broken", {})], at=AT)

    outcome = store.apply(business, Entity.BILL, [], deleted_ids=["7", "7", "404"], at=AT)

    assert (outcome.deleted, outcome.unquarantined) == (1, 1)
    assert store.mirror_ids(business, Entity.BILL) == set()


def test_one_pending_request_per_business_is_a_partial_unique_index(db: Db) -> None:
    with db.engine.connect() as conn:
        if db.name == "sqlite":
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'uq_sync_requests_pending_business'")
                               ).scalar_one()
            assert sql.startswith("CREATE UNIQUE INDEX") and sql.endswith("WHERE claimed_at IS NULL")
        else:
            sql = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                                    "AND indexname = 'uq_sync_requests_pending_business'")).scalar_one()
            assert sql.startswith("CREATE UNIQUE INDEX") and sql.endswith("WHERE (claimed_at IS NULL)")
