"""Query building blocks shared by the repositories (bills and invoices have the same open-document shape)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from infra.db.tables import bill_payment_lines, bills, customer_payment_lines, customers, invoices, vendors
from infra.interfaces.records import AgingBucketTotal, BillRecord, InvoiceRecord, OpenAmountSummary, PaymentLine


def is_open(table: Table) -> ColumnElement[bool]:
    """``balance > 0`` spelled with a literal 0, exactly as the partial indexes' WHERE clause, so SQLite and
    PostgreSQL can use them (a bound parameter would hide the match from the planner)."""
    return table.c.balance > literal_column("0")


def is_open_by_size(table: Table) -> ColumnElement[bool]:
    """``balance >= 1`` (cent): the same rows as ``is_open``, spelled as ``ix_bills_open_balance``'s predicate
    so that only the smallest-first queries use that index (see ``infra.db.tables``)."""
    return table.c.balance >= literal_column("1")


_BILL_FIELDS = tuple(f.name for f in dataclasses.fields(BillRecord))
_INVOICE_FIELDS = tuple(f.name for f in dataclasses.fields(InvoiceRecord))


def bill_select() -> Select:
    """Bills with the vendor's display name (joined, never denormalised), selected in ``BillRecord`` field
    order so rows become records positionally (``bill_from_row``): building records dominates the cost of
    returning a few hundred bills."""
    columns = [vendors.c.display_name.label("vendor_name") if name == "vendor_name" else bills.c[name]
               for name in _BILL_FIELDS]
    return select(*columns).select_from(
        bills.outerjoin(vendors, and_(vendors.c.business_id == bills.c.business_id,
                                      vendors.c.qbo_id == bills.c.vendor_qbo_id)))


def bill_from_row(row: Sequence) -> BillRecord:
    return BillRecord(*row[:len(_BILL_FIELDS)])


def invoice_select() -> Select:
    """Invoices with the customer's display name (joined, never denormalised), in ``InvoiceRecord`` field
    order (``invoice_from_row``)."""
    columns = [customers.c.display_name.label("customer_name") if name == "customer_name" else invoices.c[name]
               for name in _INVOICE_FIELDS]
    return select(*columns).select_from(
        invoices.outerjoin(customers, and_(customers.c.business_id == invoices.c.business_id,
                                           customers.c.qbo_id == invoices.c.customer_qbo_id)))


def invoice_from_row(row: Sequence) -> InvoiceRecord:
    return InvoiceRecord(*row[:len(_INVOICE_FIELDS)])


def _range_totals(session: Session, table: Table, business_id: int,
                  ranges: Sequence[tuple[int, Sequence[ColumnElement[bool]]]]) -> dict[int, tuple[int, Decimal]]:
    """``{key: (count, total)}`` of open documents per due-date range, in one statement (UNION ALL of index
    range scans: a plain COUNT/SUM over an index range is several times cheaper in SQLite than CASE
    expressions evaluated on every open row)."""
    parts = [select(literal_column(str(int(key))).label("k"), func.count().label("n"),
                    func.coalesce(func.sum(table.c.balance), literal_column("0")).label("total"))
             .where(table.c.business_id == business_id, is_open(table), *conditions)
             for key, conditions in ranges]
    stmt = parts[0] if len(parts) == 1 else union_all(*parts)
    return {key: (n, total) for key, n, total in session.execute(stmt).all()}


@functools.cache
def _open_summary_statement(table: Table) -> Any:
    """Built once per table, with bound parameters: on the digest's path, building a SQLAlchemy statement
    costs many times what SQLite takes to run it."""
    due = table.c.due_date
    parts = [select(literal_column(str(key)).label("k"), func.count().label("n"),
                    func.coalesce(func.sum(table.c.balance), literal_column("0")).label("total"))
             .where(table.c.business_id == bindparam("business_id"), is_open(table), *conditions)
             for key, conditions in [(0, ()), (1, (due < bindparam("as_of"),)),
                                     (2, (due >= bindparam("as_of"), due <= bindparam("soon_end")))]]
    return union_all(*parts)


def open_summary(session: Session, table: Table, business_id: int, as_of: date,
                 due_within_days: int) -> OpenAmountSummary:
    """All open documents, those overdue on ``as_of`` and those due within ``due_within_days`` days."""
    rows = session.execute(_open_summary_statement(table), {
        "business_id": business_id, "as_of": as_of, "soon_end": as_of + timedelta(days=due_within_days)}).all()
    totals = {key: (n, total) for key, n, total in rows}
    (n, total), (n_over, over), (n_soon, soon) = totals[0], totals[1], totals[2]
    return OpenAmountSummary(open_count=n, open_total=total, overdue_count=n_over, overdue_total=over,
                             due_soon_count=n_soon, due_soon_total=soon)


def aging(session: Session, table: Table, business_id: int, as_of: date,
          buckets: Sequence[tuple[str, int | None, int | None]]) -> list[AgingBucketTotal]:
    """Per bucket of days past due (``as_of - due_date``, inclusive bounds), in one statement.

    Day bounds become due-date bounds (``days >= lo`` is ``due_date <= as_of - lo``), so each bucket is an
    index range and both databases agree without per-row date arithmetic. Undated documents count as 0 days
    past due (they join every bucket whose range holds 0).
    """
    if not buckets:
        return []
    due = table.c.due_date
    ranges: list[tuple[int, Sequence[ColumnElement[bool]]]] = []
    for key, (_label, lo, hi) in enumerate(buckets):
        conditions = [due.is_not(None)]
        if lo is not None:
            conditions.append(due <= as_of - timedelta(days=lo))
        if hi is not None:
            conditions.append(due >= as_of - timedelta(days=hi))
        ranges.append((key, conditions))
    undated = -1
    ranges.append((undated, (due.is_(None),)))
    totals = _range_totals(session, table, business_id, ranges)
    n_undated, undated_total = totals[undated]
    out = []
    for key, (label, lo, hi) in enumerate(buckets):
        count, total = totals[key]
        if (lo is None or lo <= 0) and (hi is None or hi >= 0):
            count, total = count + n_undated, total + undated_total
        out.append(AgingBucketTotal(label=label, min_days=lo, max_days=hi, count=count, total=total))
    return out


def bill_payment_lines_for(session: Session, payment_ids: Sequence[int]) -> dict[int, list[PaymentLine]]:
    return _lines(session, bill_payment_lines, bill_payment_lines.c.bill_payment_id,
                  bill_payment_lines.c.bill_qbo_id, payment_ids)


def customer_payment_lines_for(session: Session, payment_ids: Sequence[int]) -> dict[int, list[PaymentLine]]:
    return _lines(session, customer_payment_lines, customer_payment_lines.c.customer_payment_id,
                  customer_payment_lines.c.invoice_qbo_id, payment_ids)


def _lines(session: Session, table: Table, parent, txn, payment_ids: Sequence[int]) -> dict[int, list[PaymentLine]]:
    out: dict[int, list[PaymentLine]] = {pid: [] for pid in payment_ids}
    ids = list(payment_ids)
    for start in range(0, len(ids), 500):
        stmt = (select(parent, txn, table.c.amount).where(parent.in_(ids[start:start + 500]))
                .order_by(parent, table.c.id))
        for pid, txn_id, amount in session.execute(stmt):
            out[pid].append(PaymentLine(txn_qbo_id=txn_id, amount=amount))
    return out
