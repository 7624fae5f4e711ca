"""PortfolioMirror: one summary row per business of a firm, in a couple of set-based queries."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import bindparam, case, func, literal_column, select

from infra.db._base import SessionScoped
from infra.db.mapping import business_record
from infra.db.repositories._queries import is_open
from infra.db.tables import accounts, bill_payments, bills, businesses, customer_payments, invoices, sync_state
from infra.interfaces.records import BillPaymentStatus, BusinessMirrorSummary, Entity

ZERO = literal_column("0")


class SqlPortfolioMirror(SessionScoped):
    """Implements ``PortfolioMirror``."""

    def business_summaries(self, firm_id: int | None, window_start: date, window_end: date
                           ) -> list[BusinessMirrorSummary]:
        """For every business of the firm (all businesses when ``firm_id`` is None), by id:

        cash (active Bank accounts), open AR / AP (balances > 0), customer payments received and completed
        bill payments made with ``window_start <= txn_date <= window_end``, the oldest ``last_success_at``
        over the business's sync-state rows (None when it has none or one was never synced) and the set of
        entities synced at least once. One grouped query over every table (each aggregate reads an index
        only), plus one small query for the synced entities.
        """
        stmt, entities_stmt = _summary_statements(firm_id is not None)
        params = {"firm_id": firm_id, "window_start": window_start, "window_end": window_end}
        with self.transaction("summarise businesses") as session:
            rows = session.execute(stmt, params).mappings().all()
            entities: dict[int, set[Entity]] = defaultdict(set)
            for business_id, entity in session.execute(entities_stmt, params):
                entities[business_id].add(Entity(entity))
        return [BusinessMirrorSummary(
            business=business_record(row), cash=row["cash"], open_ar=row["open_ar"], open_ap=row["open_ap"],
            received_last_window=row["received"], paid_last_window=row["paid"], last_success_at=row["oldest"],
            synced_entities=frozenset(entities.get(row["id"], ())),
        ) for row in rows]


@functools.cache
def _summary_statements(one_firm: bool) -> tuple[Any, Any]:
    """The summary and synced-entities statements, built once with bound parameters (``firm_id`` when
    ``one_firm``, ``window_start``, ``window_end``): building them costs more than SQLite takes to run them."""
    scope = select(businesses.c.id)
    if one_firm:
        scope = scope.where(businesses.c.firm_id == bindparam("firm_id"))
    window_start, window_end = bindparam("window_start"), bindparam("window_end")

    def grouped(table, amount, *conditions):
        return (select(table.c.business_id.label("business_id"), func.sum(amount).label("total"))
                .where(table.c.business_id.in_(scope), *conditions)
                .group_by(table.c.business_id).subquery())

    cash = grouped(accounts, accounts.c.current_balance, accounts.c.account_type == literal_column("'Bank'"),
                   accounts.c.active)
    ar = grouped(invoices, invoices.c.balance, is_open(invoices))
    ap = grouped(bills, bills.c.balance, is_open(bills))
    received = grouped(customer_payments, customer_payments.c.total_amount,
                       customer_payments.c.txn_date >= window_start, customer_payments.c.txn_date <= window_end)
    paid = grouped(bill_payments, bill_payments.c.total_amount,
                   bill_payments.c.status == literal_column(f"'{BillPaymentStatus.COMPLETED.value}'"),
                   bill_payments.c.txn_date >= window_start, bill_payments.c.txn_date <= window_end)
    synced = (select(sync_state.c.business_id.label("business_id"),
                     case((func.count() == func.count(sync_state.c.last_success_at),
                           func.min(sync_state.c.last_success_at))).label("oldest"))
              .where(sync_state.c.business_id.in_(scope))
              .group_by(sync_state.c.business_id).subquery())

    stmt = select(businesses, *(func.coalesce(sub.c.total, ZERO).label(name) for name, sub in (
        ("cash", cash), ("open_ar", ar), ("open_ap", ap), ("received", received), ("paid", paid))),
        synced.c.oldest)
    from_ = businesses
    for sub in (cash, ar, ap, received, paid, synced):
        from_ = from_.outerjoin(sub, sub.c.business_id == businesses.c.id)
    stmt = stmt.select_from(from_).order_by(businesses.c.id)
    if one_firm:
        stmt = stmt.where(businesses.c.firm_id == bindparam("firm_id"))

    entities_stmt = (select(sync_state.c.business_id, sync_state.c.entity)
                     .where(sync_state.c.business_id.in_(scope), sync_state.c.last_success_at.is_not(None)))
    return stmt, entities_stmt
