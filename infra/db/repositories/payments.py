"""PaymentMirror over ``bill_payments`` (+ lines) and ``customer_payments``, with the write-through of
payments this product makes in QBO."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal_column, select, update
from sqlalchemy.orm import Session

from infra.db._base import SessionScoped, check_sync_token
from infra.db.mapping import bill_payment_record, bill_payment_row
from infra.db.repositories._queries import bill_payment_lines_for
from infra.db.tables import bill_payment_lines, bill_payments, customer_payments
from infra.db.upsert import insert_lines, upsert_bills
from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.records import (
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    CashFlowTotals,
)


class SqlPaymentMirror(SessionScoped):
    """Implements ``PaymentMirror``."""

    def list_bill_payments(self, business_id: int, *, status: BillPaymentStatus | None = None,
                           start: date | None = None, end: date | None = None,
                           limit: int | None = None) -> list[BillPaymentRecord]:
        stmt = select(bill_payments).where(bill_payments.c.business_id == business_id)
        if status is not None:
            stmt = stmt.where(bill_payments.c.status == BillPaymentStatus(status).value)
        if start is not None:
            stmt = stmt.where(bill_payments.c.txn_date >= start)
        if end is not None:
            stmt = stmt.where(bill_payments.c.txn_date <= end)
        stmt = stmt.order_by(bill_payments.c.txn_date.desc(), bill_payments.c.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.transaction("list bill payments") as session:
            return _with_lines(session, session.execute(stmt).mappings().all())

    def cash_flow(self, business_id: int, start: date, end: date) -> CashFlowTotals:
        """Both sums in one statement, each index-only (covering indexes on business, [status,] date, amount)."""
        with self.transaction("sum cash flow") as session:
            got, spent = session.execute(_cash_flow_statement(), {
                "business_id": business_id, "start": start, "end": end}).one()
        return CashFlowTotals(received=got, paid=spent, days=(end - start).days + 1)

    def find_bill_payment_by_request_id(self, business_id: int, request_id: str) -> BillPaymentRecord | None:
        with self.transaction("find a bill payment by request id") as session:
            return _by_request_id(session, business_id, request_id)

    def add_pending_bill_payment(self, payment: BillPaymentRecord) -> BillPaymentRecord:
        """Inserts the payment with its lines; a second payment with the same ``request_id`` for the business
        is refused with ``StorageError`` (unique constraint)."""
        if not payment.request_id:
            raise StorageError("a pending bill payment needs the request id it will be sent to QBO with")
        with self.transaction("store a pending bill payment", write=True) as session:
            payment_id = session.execute(insert(bill_payments).values(**bill_payment_row(payment))
                                         .returning(bill_payments.c.id)).scalar_one()
            insert_lines(session, bill_payment_lines, "bill_payment_id", "bill_qbo_id",
                         ((payment_id, payment.business_id, line) for line in payment.lines))
        return dataclasses.replace(payment, id=payment_id)

    def discard_pending_bill_payment(self, business_id: int, request_id: str) -> None:
        """Deletes the payment (and its lines) if it is still pending; a completed or voided payment, or
        none at all, is left as it is."""
        with self.transaction("discard a pending bill payment", write=True) as session:
            session.execute(delete(bill_payments).where(
                bill_payments.c.business_id == business_id, bill_payments.c.request_id == request_id,
                bill_payments.c.status == BillPaymentStatus.PENDING.value))

    def complete_bill_payment(self, business_id: int, request_id: str, created: BillPaymentRecord,
                              paid_bills: Sequence[BillRecord]) -> BillPaymentRecord:
        """In one transaction: the pending row becomes ``completed`` with QBO's Id, SyncToken and lines, and
        the paid bills are upserted as QBO now holds them (an older SyncToken never overwrites a newer one).

        If a sync already mirrored the same QBO payment as a separate row, that row is folded into this one.
        """
        if created.sync_token is not None:
            check_sync_token(created.sync_token, f"bill payment {created.qbo_id}")
        for bill in paid_bills:
            if bill.business_id != business_id:
                raise StorageError(f"bill {bill.qbo_id} belongs to business {bill.business_id}, not {business_id}")
        with self.transaction("complete a bill payment", write=True) as session:
            pending = session.execute(select(bill_payments.c.id).where(
                bill_payments.c.business_id == business_id, bill_payments.c.request_id == request_id)).first()
            if pending is None:
                raise RecordNotFound(f"business {business_id} has no bill payment with request id {request_id}")
            payment_id = pending.id
            if created.qbo_id is not None:
                session.execute(delete(bill_payments).where(
                    bill_payments.c.business_id == business_id, bill_payments.c.qbo_id == created.qbo_id,
                    bill_payments.c.id != payment_id))
            values = bill_payment_row(dataclasses.replace(created, business_id=business_id, request_id=request_id,
                                                          status=BillPaymentStatus.COMPLETED))
            session.execute(update(bill_payments).where(bill_payments.c.id == payment_id).values(**values))
            if created.lines:
                session.execute(delete(bill_payment_lines).where(bill_payment_lines.c.bill_payment_id == payment_id))
                insert_lines(session, bill_payment_lines, "bill_payment_id", "bill_qbo_id",
                             ((payment_id, business_id, line) for line in created.lines))
            upsert_bills(session, [dataclasses.replace(bill, id=None) for bill in paid_bills])
            stored = _by_request_id(session, business_id, request_id)
        assert stored is not None
        return stored


@functools.cache
def _cash_flow_statement() -> Any:
    """Built once, with bound parameters (building it costs more than running it)."""
    business_id, start, end = bindparam("business_id"), bindparam("start"), bindparam("end")
    received = (select(func.coalesce(func.sum(customer_payments.c.total_amount), literal_column("0")))
                .where(customer_payments.c.business_id == business_id,
                       customer_payments.c.txn_date >= start, customer_payments.c.txn_date <= end)
                .scalar_subquery())
    paid = (select(func.coalesce(func.sum(bill_payments.c.total_amount), literal_column("0")))
            .where(bill_payments.c.business_id == business_id,
                   bill_payments.c.status == literal_column(f"'{BillPaymentStatus.COMPLETED.value}'"),
                   bill_payments.c.txn_date >= start, bill_payments.c.txn_date <= end)
            .scalar_subquery())
    return select(received, paid)


def _by_request_id(session: Session, business_id: int, request_id: str) -> BillPaymentRecord | None:
    row = session.execute(select(bill_payments).where(
        bill_payments.c.business_id == business_id, bill_payments.c.request_id == request_id)).mappings().first()
    return None if row is None else _with_lines(session, [row])[0]


def _with_lines(session: Session, rows) -> list[BillPaymentRecord]:
    lines = bill_payment_lines_for(session, [row["id"] for row in rows])
    return [bill_payment_record(row, lines[row["id"]]) for row in rows]
