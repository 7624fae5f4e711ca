"""Payments: bill payments made and the cash that moved. Pattern 1 (local read) in this module.

Reads go to the mirror through ``PaymentMirror`` only.
"""

from __future__ import annotations

from datetime import date, timedelta

from domains.core.clock import Clock
from domains.core.errors import InvalidInput
from domains.core.freshness import Answer, FreshnessReader
from infra.interfaces.ports import PaymentMirror
from infra.interfaces.records import BillPaymentRecord, BillPaymentStatus, CashFlowTotals, Entity


class PaymentService:
    """Reads of bill payments and cash movements from the mirror (Pattern 1).

    Contract: scoped to one ``business_id``; never goes to QuickBooks; ``InvalidInput`` for a bad
    filter; answers carry the freshness of the BillPayment (and, for cash flow, Payment) sync.
    """

    def __init__(self, payments: PaymentMirror, freshness: FreshnessReader, clock: Clock) -> None:
        self._payments = payments
        self._freshness = freshness
        self._clock = clock

    def bill_payments(self, business_id: int, status: BillPaymentStatus | str | None = None,
                      start: date | None = None, end: date | None = None,
                      limit: int | None = None) -> Answer[list[BillPaymentRecord]]:
        """Bill payments, newest first, optionally only one status and ``start <= txn_date <= end``."""
        if status is not None and not isinstance(status, BillPaymentStatus):
            try:
                status = BillPaymentStatus(status)
            except ValueError as exc:
                allowed = ", ".join(s.value for s in BillPaymentStatus)
                raise InvalidInput("status", f"status must be one of {allowed}") from exc
        if start and end and start > end:
            raise InvalidInput("start", "start must be on or before end")
        if limit is not None and limit <= 0:
            raise InvalidInput("limit", "limit must be positive")
        rows = self._payments.list_bill_payments(business_id, status=status, start=start, end=end,
                                                 limit=limit)
        return Answer(rows, self._freshness.of(business_id, (Entity.BILL_PAYMENT,), self._clock.now()))

    def cash_flow(self, business_id: int, days: int) -> Answer[CashFlowTotals]:
        """Money received from customers and paid to vendors over the last ``days`` days, today included."""
        if days <= 0:
            raise InvalidInput("days", "days must be positive")
        today = self._clock.today()
        totals = self._payments.cash_flow(business_id, today - timedelta(days=days - 1), today)
        entities = (Entity.BILL_PAYMENT, Entity.PAYMENT)
        return Answer(totals, self._freshness.of(business_id, entities, self._clock.now()))
