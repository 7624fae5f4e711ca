"""BillMirror over the ``bills`` table (vendor names joined from ``vendors``)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import Integer, bindparam, func, select

from infra.db._base import SessionScoped
from infra.db.repositories._queries import (
    aging,
    bill_from_row,
    bill_select,
    is_open,
    is_open_by_size,
    open_summary,
)
from infra.db.tables import bills
from infra.interfaces.errors import RecordNotFound
from infra.interfaces.records import AgingBucketTotal, BillRecord, OpenAmountSummary

CENT = Decimal("0.01")
FIRST_WINDOW = 1024  # bills_fitting_cap looks at this many smallest bills first, then 4x more per round


class SqlBillMirror(SessionScoped):
    """Implements ``BillMirror``. Open-bill queries read the partial indexes ``WHERE balance > 0``:
    ``ix_bills_open_due`` (business, due date, id, balance) and ``ix_bills_open_balance``."""

    def get_bill(self, business_id: int, bill_id: int) -> BillRecord:
        return self._one(bills.c.id == bill_id, business_id, f"bill {bill_id}")

    def get_bill_by_qbo_id(self, business_id: int, qbo_id: str) -> BillRecord:
        return self._one(bills.c.qbo_id == qbo_id, business_id, f"bill with QBO Id {qbo_id}")

    def _one(self, condition, business_id: int, what: str) -> BillRecord:
        stmt = bill_select().where(bills.c.business_id == business_id, condition)
        with self.transaction(f"read {what}") as session:
            row = session.execute(stmt).first()
        if row is None:
            raise RecordNotFound(f"business {business_id} has no {what}")
        return bill_from_row(row)

    def _open(self, business_id: int, *conditions):
        return bill_select().where(bills.c.business_id == business_id, is_open(bills), *conditions)

    def unpaid_bills(self, business_id: int, *, limit: int | None = None) -> list[BillRecord]:
        """Dated bills in index order, then undated ones (two index reads instead of a sort of every open
        bill for ``NULLS LAST``)."""
        dated = self._open(business_id, bills.c.due_date.is_not(None)).order_by(bills.c.due_date, bills.c.id)
        undated = self._open(business_id, bills.c.due_date.is_(None)).order_by(bills.c.id)
        with self.transaction("list unpaid bills") as session:
            rows = list(session.execute(dated if limit is None else dated.limit(limit)))
            if limit is None or len(rows) < limit:
                rest = undated if limit is None else undated.limit(limit - len(rows))
                rows += session.execute(rest)
        return [bill_from_row(row) for row in rows]

    def bills_due_between(self, business_id: int, start: date, end: date, *, limit: int | None = None
                          ) -> list[BillRecord]:
        return self._list(_due_statement(True, limit is not None),
                          {"business_id": business_id, "start": start, "end": end, "limit": limit},
                          "list bills due between dates")

    def overdue_bills(self, business_id: int, as_of: date, *, limit: int | None = None) -> list[BillRecord]:
        return self._list(_due_statement(False, limit is not None),
                          {"business_id": business_id, "end": as_of, "limit": limit}, "list overdue bills")

    def _list(self, stmt, params: dict[str, object], what: str) -> list[BillRecord]:
        with self.transaction(what) as session:
            return [bill_from_row(row) for row in session.execute(stmt, params).all()]

    def bills_fitting_cap(self, business_id: int, cash_cap: Decimal, *, due_on_or_before: date | None = None
                          ) -> list[BillRecord]:
        """A running ``SUM() OVER (ORDER BY balance, id)`` over the open bills smallest first, kept while it
        stays within the cap.

        The window runs over the ``n`` smallest bills only (an index-ordered ``LIMIT`` on
        ``ix_bills_open_balance``); when all ``n`` fit, it runs again over ``4n``. So the work follows the
        size of the answer, not the number of open bills. The chosen bills are then read in index order.
        """
        cap = Decimal(cash_cap).quantize(CENT, rounding=ROUND_FLOOR)  # whole cents that fit
        if cap <= 0:
            return []
        n = FIRST_WINDOW
        with self.transaction("choose bills fitting a cap") as session:
            while True:
                ranked = self._ranked(business_id, due_on_or_before, n).subquery("ranked")
                fitting = session.execute(select(func.count()).select_from(ranked)
                                          .where(ranked.c.running <= cap)).scalar_one()
                if fitting < n:
                    break
                n *= 4
            if fitting == 0:
                return []
            # The bills that fit are exactly the ``fitting`` smallest: read them in index order.
            stmt = (self._smallest(bill_select(), business_id, due_on_or_before)
                    .order_by(bills.c.balance, bills.c.id).limit(fitting))
            return [bill_from_row(row) for row in session.execute(stmt)]

    @staticmethod
    def _smallest(stmt, business_id: int, due_on_or_before: date | None):
        stmt = stmt.where(bills.c.business_id == business_id, is_open_by_size(bills))
        if due_on_or_before is not None:
            stmt = stmt.where(bills.c.due_date <= due_on_or_before)
        return stmt

    def _ranked(self, business_id: int, due_on_or_before: date | None, n: int):
        smallest = (self._smallest(select(bills.c.id, bills.c.balance), business_id, due_on_or_before)
                    .order_by(bills.c.balance, bills.c.id).limit(n).subquery())
        running = func.sum(smallest.c.balance).over(order_by=(smallest.c.balance, smallest.c.id), rows=(None, 0))
        return select(smallest.c.id, running.label("running"))

    def ap_summary(self, business_id: int, as_of: date, due_within_days: int) -> OpenAmountSummary:
        with self.transaction("summarise open bills") as session:
            return open_summary(session, bills, business_id, as_of, due_within_days)

    def aging(self, business_id: int, as_of: date, buckets: Sequence[tuple[str, int | None, int | None]]
              ) -> list[AgingBucketTotal]:
        with self.transaction("age open bills") as session:
            return aging(session, bills, business_id, as_of, buckets)


@functools.cache
def _due_statement(between: bool, limited: bool) -> Any:
    """Open bills due ``start <= due_date <= end`` (``between``) or ``due_date < end``, earliest first, built
    once with bound parameters (``business_id``, ``start``, ``end``, ``limit``): on the digest's path building
    a statement cost more than running it."""
    due = bills.c.due_date
    window = (due >= bindparam("start"), due <= bindparam("end")) if between else (due < bindparam("end"),)
    stmt = (bill_select().where(bills.c.business_id == bindparam("business_id"), is_open(bills), *window)
            .order_by(due, bills.c.id))
    return stmt.limit(bindparam("limit", type_=Integer)) if limited else stmt
