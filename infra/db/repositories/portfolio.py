"""PortfolioMirror: one summary row per business of a firm, in two set-based queries."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, literal_column, select, union_all

from infra.db._base import SessionScoped
from infra.db.repositories._queries import is_open
from infra.db.tables import accounts, bill_payments, bills, businesses, customer_payments, invoices, sync_state
from infra.interfaces.records import BillPaymentStatus, BusinessMirrorSummary, BusinessRecord, Entity

ZERO = Decimal("0.00")
# The keys of the per-business totals in ``_summary_statements``' UNION ALL, in the order of its parts.
CASH, OPEN_AR, OPEN_AP, RECEIVED, PAID = range(5)


class SqlPortfolioMirror(SessionScoped):
    """Implements ``PortfolioMirror``."""

    def business_summaries(self, firm_id: int | None, window_start: date, window_end: date
                           ) -> list[BusinessMirrorSummary]:
        """For every business of the firm (all businesses when ``firm_id`` is None), by id:

        cash (active Bank accounts), open AR / AP (balances > 0), customer payments received and completed
        bill payments made with ``window_start <= txn_date <= window_end``, the oldest ``last_success_at``
        over the business's sync-state rows (None when it has none or one was never synced) and the set of
        entities synced at least once.

        Two statements: the businesses with their sync-state rows (a few per business), and the totals as a
        UNION ALL of one grouped aggregate per table (each an index range per business). The totals are not
        joined to the businesses in SQL: PostgreSQL without statistics (a freshly loaded mirror, or
        autovacuum off) planned that join as nested loops that ran each table's aggregate once per business.
        """
        businesses_stmt, totals_stmt = _summary_statements(firm_id is not None)
        params = {"firm_id": firm_id, "window_start": window_start, "window_end": window_end}
        order: list[BusinessRecord] = []
        synced: dict[int, set[Entity]] = defaultdict(set)
        oldest: dict[int, datetime | None] = {}
        totals: dict[tuple[int, int], Decimal] = {}
        with self.transaction("summarise businesses") as session:
            # .all(): one fetch, where iterating the result fetches row by row (a driver call per row)
            rows = session.execute(businesses_stmt, params).all()
            for business_id, firm, name, realm, entity, last_success_at in rows:
                if business_id not in oldest:
                    order.append(BusinessRecord(id=business_id, firm_id=firm, name=name, qbo_realm_id=realm))
                    oldest[business_id] = last_success_at
                if entity is None:
                    continue
                if last_success_at is None:
                    oldest[business_id] = None
                    continue
                synced[business_id].add(Entity(entity))
                so_far = oldest[business_id]
                if so_far is not None and last_success_at < so_far:
                    oldest[business_id] = last_success_at
            for key, business_id, total in session.execute(totals_stmt, params).all():
                totals[(key, business_id)] = total
        return [BusinessMirrorSummary(
            business=b, cash=totals.get((CASH, b.id), ZERO), open_ar=totals.get((OPEN_AR, b.id), ZERO),
            open_ap=totals.get((OPEN_AP, b.id), ZERO), received_last_window=totals.get((RECEIVED, b.id), ZERO),
            paid_last_window=totals.get((PAID, b.id), ZERO), last_success_at=oldest[b.id],
            synced_entities=frozenset(synced.get(b.id, ())),
        ) for b in order]


@functools.cache
def _summary_statements(one_firm: bool) -> tuple[Any, Any]:
    """The businesses and totals statements, built once with bound parameters (``firm_id`` when ``one_firm``,
    ``window_start``, ``window_end``): building them costs more than SQLite takes to run them."""
    scope = select(businesses.c.id)
    if one_firm:
        scope = scope.where(businesses.c.firm_id == bindparam("firm_id"))
    window_start, window_end = bindparam("window_start"), bindparam("window_end")

    def total(key: int, table, amount, *conditions):
        return (select(literal_column(str(key)).label("k"), table.c.business_id.label("business_id"),
                       func.sum(amount).label("total"))
                .where(table.c.business_id.in_(scope), *conditions)
                .group_by(table.c.business_id))

    totals_stmt = union_all(
        total(CASH, accounts, accounts.c.current_balance, accounts.c.account_type == literal_column("'Bank'"),
              accounts.c.active),
        total(OPEN_AR, invoices, invoices.c.balance, is_open(invoices)),
        total(OPEN_AP, bills, bills.c.balance, is_open(bills)),
        total(RECEIVED, customer_payments, customer_payments.c.total_amount,
              customer_payments.c.txn_date >= window_start, customer_payments.c.txn_date <= window_end),
        total(PAID, bill_payments, bill_payments.c.total_amount,
              bill_payments.c.status == literal_column(f"'{BillPaymentStatus.COMPLETED.value}'"),
              bill_payments.c.txn_date >= window_start, bill_payments.c.txn_date <= window_end),
    )
    businesses_stmt = (select(businesses.c.id, businesses.c.firm_id, businesses.c.name, businesses.c.qbo_realm_id,
                              sync_state.c.entity, sync_state.c.last_success_at)
                       .select_from(businesses.outerjoin(sync_state, sync_state.c.business_id == businesses.c.id))
                       .order_by(businesses.c.id))
    if one_firm:
        businesses_stmt = businesses_stmt.where(businesses.c.firm_id == bindparam("firm_id"))
    return businesses_stmt, totals_stmt
