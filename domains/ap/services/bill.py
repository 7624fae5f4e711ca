"""Accounts payable: the business's bills. Pattern 1 (local read) only.

Every operation reads the mirror through ``BillMirror`` and never touches the network; each answer
carries the freshness of the Bill sync it relied on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

from domains.core.clock import Clock
from domains.core.errors import InvalidInput, NotFound
from domains.core.freshness import Answer, FreshnessReader
from domains.core.money import ZERO, to_money
from infra.interfaces.errors import RecordNotFound
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import BillMirror
from infra.interfaces.records import BillRecord, Entity, OpenAmountSummary

T = TypeVar("T")

_READS = (Entity.BILL,)


@dataclass(frozen=True, slots=True)
class PaymentReadySelection:
    """Bills chosen to pay now: smallest balance first, as many as fit under ``cash_cap``."""

    bills: list[BillRecord]
    total: Decimal
    cash_cap: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.cash_cap - self.total


class BillService:
    """Reads of the business's bills from the mirror (Pattern 1).

    Contract: every method takes the tenant's ``business_id``, answers only that business's bills,
    raises ``InvalidInput`` for bad arguments and ``NotFound`` for an unknown bill, and wraps its
    result in an ``Answer`` whose freshness is that of the last successful Bill sync.
    """

    def __init__(self, bills: BillMirror, freshness: FreshnessReader, clock: Clock) -> None:
        self._bills = bills
        self._freshness = freshness
        self._clock = clock

    @local_read
    def unpaid_bills(self, business_id: int, limit: int | None = None) -> Answer[list[BillRecord]]:
        """Bills with a balance still owed, earliest due first."""
        _check_limit(limit)
        return self._answer(business_id, self._bills.unpaid_bills(business_id, limit=limit))

    @local_read
    def bills_due_within(self, business_id: int, days: int, limit: int | None = None
                         ) -> Answer[list[BillRecord]]:
        """Unpaid bills due from today through ``days`` days ahead (already overdue ones excluded),
        earliest due first."""
        if days < 0:
            raise InvalidInput("days", "days must be zero or more")
        _check_limit(limit)
        today = self._clock.today()
        rows = self._bills.bills_due_between(business_id, today, today + timedelta(days=days), limit=limit)
        return self._answer(business_id, rows)

    @local_read
    def overdue_bills(self, business_id: int, limit: int | None = None) -> Answer[list[BillRecord]]:
        """Unpaid bills whose due date has passed, most overdue first."""
        _check_limit(limit)
        return self._answer(business_id, self._bills.overdue_bills(business_id, self._clock.today(),
                                                                   limit=limit))

    @local_read
    def payment_ready_bills(self, business_id: int, cash_cap: Decimal | str | int,
                            due_within_days: int | None = None) -> Answer[PaymentReadySelection]:
        """Unpaid bills to pay now without exceeding ``cash_cap``: smallest first, stopping at the first
        that would not fit, optionally only those due within ``due_within_days``."""
        cap = to_money(cash_cap, field="cash_cap")
        if cap < 0:
            raise InvalidInput("cash_cap", "cash_cap must be zero or more")
        due_by = None
        if due_within_days is not None:
            if due_within_days < 0:
                raise InvalidInput("due_within_days", "due_within_days must be zero or more")
            due_by = self._clock.today() + timedelta(days=due_within_days)
        bills = self._bills.bills_fitting_cap(business_id, cap, due_on_or_before=due_by)
        total = sum((b.balance for b in bills), ZERO)
        return self._answer(business_id, PaymentReadySelection(bills, total, cap))

    @local_read
    def get_bill(self, business_id: int, bill_id: int) -> Answer[BillRecord]:
        try:
            bill = self._bills.get_bill(business_id, bill_id)
        except RecordNotFound as exc:
            raise NotFound("bill", bill_id, business_id) from exc
        return self._answer(business_id, bill)

    @local_read
    def get_bill_by_qbo_id(self, business_id: int, qbo_id: str) -> Answer[BillRecord]:
        try:
            bill = self._bills.get_bill_by_qbo_id(business_id, qbo_id)
        except RecordNotFound as exc:
            raise NotFound("bill with QBO id", qbo_id, business_id) from exc
        return self._answer(business_id, bill)

    @local_read
    def ap_summary(self, business_id: int, due_within_days: int = 7) -> Answer[OpenAmountSummary]:
        """What is owed: open, overdue and due within the next ``due_within_days`` days."""
        if due_within_days < 0:
            raise InvalidInput("due_within_days", "due_within_days must be zero or more")
        summary = self._bills.ap_summary(business_id, self._clock.today(), due_within_days)
        return self._answer(business_id, summary)

    def _answer(self, business_id: int, data: T) -> Answer[T]:
        return Answer(data, self._freshness.of(business_id, _READS, self._clock.now()))


def _check_limit(limit: int | None) -> None:
    if limit is not None and limit <= 0:
        raise InvalidInput("limit", "limit must be positive")
