"""Writing into the mirror: tenants, bulk upserts of QBO records, deletions and sync bookkeeping.

Used by seeding and by the sync jobs. Every method is one transaction; failures raise ``StorageError``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.orm import Session

from infra.db import mapping, upsert
from infra.db._base import SessionScoped, chunks, dialect_insert
from infra.db.entities import ENTITIES
from infra.db.tables import (
    businesses,
    firms,
    sync_state,
)
from infra.interfaces.errors import StorageError
from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillRecord,
    BusinessRecord,
    CustomerPaymentRecord,
    CustomerRecord,
    Entity,
    FirmRecord,
    InvoiceRecord,
    SyncStateRecord,
    VendorRecord,
)

SEED_BATCH = 5_000


class MirrorWriter(SessionScoped):
    """Creates tenants and writes QBO records into the mirror.

    ``upsert_*`` take records of any businesses (each carries its ``business_id``), are keyed by
    ``(business_id, qbo_id)`` and never move a row back to an older SyncToken (compared as integers);
    they return how many rows were inserted or updated. ``bulk_insert`` is the fast path for loading an
    empty mirror (seeding): plain batched INSERTs, no conflict handling.
    """

    # -- tenants -------------------------------------------------------------------------------------

    def create_firm(self, name: str) -> FirmRecord:
        with self.transaction("create a firm", write=True) as session:
            firm_id = session.execute(insert(firms).values(name=name).returning(firms.c.id)).scalar_one()
        return FirmRecord(id=firm_id, name=name)

    def create_business(self, firm_id: int, name: str, qbo_realm_id: str) -> BusinessRecord:
        with self.transaction("create a business", write=True) as session:
            business_id = session.execute(
                insert(businesses).values(firm_id=firm_id, name=name, qbo_realm_id=qbo_realm_id)
                .returning(businesses.c.id)).scalar_one()
        return BusinessRecord(id=business_id, firm_id=firm_id, name=name, qbo_realm_id=qbo_realm_id)

    # -- upserts -------------------------------------------------------------------------------------

    def upsert_vendors(self, records: Iterable[VendorRecord]) -> int:
        return self._upsert(upsert.upsert_vendors, records, "upsert vendors")

    def upsert_customers(self, records: Iterable[CustomerRecord]) -> int:
        return self._upsert(upsert.upsert_customers, records, "upsert customers")

    def upsert_accounts(self, records: Iterable[AccountRecord]) -> int:
        return self._upsert(upsert.upsert_accounts, records, "upsert accounts")

    def upsert_bills(self, records: Iterable[BillRecord]) -> int:
        return self._upsert(upsert.upsert_bills, records, "upsert bills")

    def upsert_invoices(self, records: Iterable[InvoiceRecord]) -> int:
        return self._upsert(upsert.upsert_invoices, records, "upsert invoices")

    def upsert_bill_payments(self, records: Iterable[BillPaymentRecord]) -> int:
        """Bill payments as read from QBO (with a QBO Id), lines included; a pending payment of ours is
        stored with ``PaymentMirror.add_pending_bill_payment`` instead."""
        return self._upsert(upsert.upsert_bill_payments, records, "upsert bill payments")

    def upsert_customer_payments(self, records: Iterable[CustomerPaymentRecord]) -> int:
        return self._upsert(upsert.upsert_customer_payments, records, "upsert customer payments")

    def _upsert(self, fn, records: Iterable[Any], what: str) -> int:
        records = list(records)
        if not records:
            return 0
        with self.transaction(what, write=True) as session:
            return len(fn(session, records))

    # -- deletions -----------------------------------------------------------------------------------

    def delete_by_qbo_ids(self, business_id: int, entity: Entity, qbo_ids: Iterable[str]) -> int:
        """Remove the business's rows of ``entity`` with those QBO Ids (QBO deleted them); payment lines go
        with their payment. Returns how many rows were deleted."""
        table = ENTITIES[Entity(entity)].table
        ids = list(dict.fromkeys(qbo_ids))
        deleted = 0
        with self.transaction(f"delete {Entity(entity).value} rows", write=True) as session:
            for batch in chunks(ids):
                result = session.execute(
                    delete(table).where(table.c.business_id == business_id, table.c.qbo_id.in_(batch)))
                deleted += result.rowcount or 0
        return deleted

    # -- sync bookkeeping ----------------------------------------------------------------------------

    def record_sync_success(self, business_id: int, entity: Entity, cursor: str | None, at: datetime) -> None:
        """The entity was synced up to ``cursor`` at ``at``: failures are cleared."""
        self.record_sync_successes(business_id, {Entity(entity): cursor}, at)

    def record_sync_successes(self, business_id: int, cursors: Mapping[Entity, str | None], at: datetime) -> None:
        """Each entity of ``cursors`` was synced up to its cursor at ``at`` (one transaction)."""
        if not cursors:
            return
        rows = [{"business_id": business_id, "entity": Entity(entity).value, "cursor": cursor, "last_success_at": at,
                 "last_attempt_at": at, "last_error": None, "consecutive_failures": 0}
                for entity, cursor in cursors.items()]
        with self.transaction("record sync successes", write=True) as session:  # one executemany
            ins = dialect_insert(session, sync_state)
            session.execute(ins.on_conflict_do_update(
                index_elements=[sync_state.c.business_id, sync_state.c.entity],
                set_={name: ins.excluded[name] for name in ("cursor", "last_success_at", "last_attempt_at",
                                                            "last_error", "consecutive_failures")}), rows)

    def record_sync_failure(self, business_id: int, entity: Entity, error: str, at: datetime) -> None:
        """A sync attempt failed at ``at``: the cursor and the last success stay, the failure is counted."""
        with self.transaction("record a sync failure", write=True) as session:
            ins = dialect_insert(session, sync_state).values(
                business_id=business_id, entity=Entity(entity).value, cursor=None, last_success_at=None,
                last_attempt_at=at, last_error=error, consecutive_failures=1)
            session.execute(ins.on_conflict_do_update(
                index_elements=[sync_state.c.business_id, sync_state.c.entity],
                set_={"last_attempt_at": ins.excluded.last_attempt_at, "last_error": ins.excluded.last_error,
                      "consecutive_failures": sync_state.c.consecutive_failures + 1}))

    # -- fast loading (seeding) ----------------------------------------------------------------------

    def bulk_insert(self, records: Sequence[Any], *, batch_size: int = SEED_BATCH) -> int:
        """Insert records of any mirrored type (and ``SyncStateRecord``s) into an empty mirror, in batches,
        in one transaction; payments get their lines. Returns the number of records inserted.

        The fast path for seeding: values go through the columns' own type conversions (exact cents, UTC)
        straight into the driver's ``executemany``, skipping per-row statement processing. No upsert
        semantics: a record whose key already exists makes the whole call fail with ``StorageError``.
        Payments must carry their QBO Id (their lines are linked through it).
        """
        by_type: dict[type, list[Any]] = {}
        for record in records:
            by_type.setdefault(type(record), []).append(record)
        known = {entity_spec.record_type for entity_spec in ENTITIES.values()} | {SyncStateRecord}
        unknown = set(by_type) - known
        if unknown:
            raise StorageError(f"bulk_insert cannot store {sorted(t.__name__ for t in unknown)}")
        with self.transaction("bulk insert mirror rows", write=True) as session:
            for entity_spec in ENTITIES.values():
                rows = by_type.get(entity_spec.record_type, [])
                if entity_spec.lines is None:
                    _fast_insert(session, entity_spec.table, [entity_spec.to_row(r) for r in rows], batch_size)
                    continue
                if not rows:
                    continue
                if any(p.qbo_id is None for p in rows):
                    raise StorageError("bulk_insert needs the QBO Id of every payment")
                table, lines = entity_spec.table, entity_spec.lines
                _fast_insert(session, table, [entity_spec.to_row(p) for p in rows], batch_size)
                ids: dict[tuple[int, str], int] = {}
                for business_id in sorted({p.business_id for p in rows}):
                    ids.update(((business_id, qbo_id), row_id) for row_id, qbo_id in session.execute(
                        select(table.c.id, table.c.qbo_id).where(table.c.business_id == business_id,
                                                                 table.c.qbo_id.is_not(None))))
                _fast_insert(session, lines.table, [
                    {lines.parent_column: ids[(p.business_id, p.qbo_id)], "business_id": p.business_id,
                     lines.txn_column: line.txn_qbo_id, "amount": line.amount}
                    for p in rows for line in p.lines], batch_size)
            _fast_insert(session, sync_state, [mapping.sync_state_row(r) for r in by_type.get(SyncStateRecord, ())],
                         batch_size)
        return len(records)

    def count_rows(self, business_id: int, entity: Entity) -> int:
        """How many rows of ``entity`` the business has in the mirror (for checks and seeding reports)."""
        table = ENTITIES[Entity(entity)].table
        with self.transaction("count mirror rows") as session:
            return session.execute(select(func.count()).select_from(table)
                                   .where(table.c.business_id == business_id)).scalar_one()


def _fast_insert(session: Session, table: Table, rows: list[dict[str, Any]], batch_size: int) -> None:
    """``executemany`` of plain INSERTs with the values already converted by the columns' bind processors."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(rows[0])
    compiled = insert(table).compile(dialect=dialect, column_keys=columns)
    processors = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in columns]
    sql = str(compiled)
    if compiled.positional:
        order = list(compiled.positiontup or ())
        if sorted(order) != sorted(columns):
            raise StorageError(f"unexpected INSERT parameters for {table.name}: {order}")
        names = order
    else:
        names = columns
    by_name = dict(processors)
    plain = [n for n in names if by_name[n] is None]
    converted = {n: by_name[n] for n in names if by_name[n] is not None}

    def convert_batch(batch: Sequence[dict[str, Any]]) -> list[Any]:
        # Column-wise conversion (one list comprehension per converted column) is much faster than
        # converting row by row; then the rows are zipped back together.
        values = {n: [row[n] for row in batch] for n in plain}
        values.update((n, [p(row[n]) for row in batch]) for n, p in converted.items())
        if compiled.positional:
            return list(zip(*(values[n] for n in names), strict=True))
        return [dict(zip(names, vals, strict=True)) for vals in zip(*(values[n] for n in names), strict=True)]

    try:
        for batch in chunks(rows, batch_size):
            connection.exec_driver_sql(sql, convert_batch(batch))
    except ValueError as exc:  # a bind processor refused a value (e.g. sub-cent money)
        raise StorageError(f"cannot store a {table.name} row: {exc}") from exc
