"""Accounts receivable: overdue invoices, aging and customer payment history. Pattern 1 only.

Every operation reads the mirror through ``InvoiceMirror``; the priority rule is the domain's and is
handed to the mirror as data (``PRIORITY_BANDS``) so it is evaluated in SQL, not in a loop over rows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from domains.core.aging import AGING_BUCKETS, AgingReport, complete_buckets
from domains.core.clock import Clock
from domains.core.errors import InvalidInput, NotFound
from domains.core.freshness import Answer, FreshnessReader
from domains.core.money import ZERO
from infra.interfaces.errors import RecordNotFound
from infra.interfaces.ports import InvoiceMirror
from infra.interfaces.records import (
    CustomerPaymentRecord,
    CustomerRecord,
    DaysAmountBand,
    Entity,
    InvoiceRecord,
    OpenAmountSummary,
)


class Priority(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# First match wins: more than N days overdue OR more than the amount still owed.
PRIORITY_BANDS: tuple[DaysAmountBand, ...] = (
    DaysAmountBand(Priority.CRITICAL, 90, Decimal("5000")),
    DaysAmountBand(Priority.HIGH, 60, Decimal("2000")),
    DaysAmountBand(Priority.MEDIUM, 30, Decimal("500")),
)


def priority_for(days_overdue: int, balance: Decimal) -> Priority:
    """The collection priority of one overdue invoice (the same rule the mirror evaluates in SQL)."""
    for band in PRIORITY_BANDS:
        if days_overdue > band.days_over or balance > band.amount_over:
            return Priority(band.label)
    return Priority.LOW


@dataclass(frozen=True, slots=True)
class OverdueInvoice:
    invoice: InvoiceRecord
    days_overdue: int
    priority: Priority


@dataclass(frozen=True, slots=True)
class CustomerPaymentHistory:
    customer: CustomerRecord
    payments: list[CustomerPaymentRecord]

    @property
    def total_paid(self) -> Decimal:
        return sum((p.total_amount for p in self.payments), ZERO)


class CollectionsService:
    """Reads of what customers owe, from the mirror (Pattern 1).

    Contract: every method is scoped to one ``business_id``, never goes to QuickBooks, raises
    ``InvalidInput``/``NotFound`` for bad arguments or unknown records, and answers with the freshness
    of the entities it read (Invoice; Customer and Payment for payment history).
    """

    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader, clock: Clock) -> None:
        self._invoices = invoices
        self._freshness = freshness
        self._clock = clock

    def overdue_invoices(self, business_id: int, limit: int | None = None) -> Answer[list[OverdueInvoice]]:
        """Open invoices past their due date, highest priority first, then largest balance."""
        if limit is not None and limit <= 0:
            raise InvalidInput("limit", "limit must be positive")
        rows = self._invoices.overdue_invoices(business_id, self._clock.today(), PRIORITY_BANDS,
                                               Priority.LOW.value, limit=limit)
        data = [OverdueInvoice(r.invoice, r.days_overdue, Priority(r.band)) for r in rows]
        return self._answer(business_id, data, (Entity.INVOICE,))

    def aging_report(self, business_id: int) -> Answer[AgingReport]:
        """Open invoice balances in the buckets current / 1-30 / 31-60 / 61-90 / 90+ days past due."""
        rows = self._invoices.aging(business_id, self._clock.today(), AGING_BUCKETS)
        return self._answer(business_id, complete_buckets(rows), (Entity.INVOICE,))

    def ar_summary(self, business_id: int, due_within_days: int = 7) -> Answer[OpenAmountSummary]:
        """What customers owe: open, overdue, and due within the next ``due_within_days`` days."""
        if due_within_days < 0:
            raise InvalidInput("due_within_days", "due_within_days must be zero or more")
        summary = self._invoices.ar_summary(business_id, self._clock.today(), due_within_days)
        return self._answer(business_id, summary, (Entity.INVOICE,))

    def customer_payment_history(self, business_id: int, customer_qbo_id: str
                                 ) -> Answer[CustomerPaymentHistory]:
        """The customer's payments, newest first, with the invoices each one paid."""
        try:
            customer = self._invoices.get_customer_by_qbo_id(business_id, customer_qbo_id)
        except RecordNotFound as exc:
            raise NotFound("customer", customer_qbo_id, business_id) from exc
        payments = self._invoices.customer_payments(business_id, customer_qbo_id)
        return self._answer(business_id, CustomerPaymentHistory(customer, payments),
                            (Entity.CUSTOMER, Entity.PAYMENT))

    def _answer(self, business_id: int, data, entities: tuple[Entity, ...]):
        return Answer(data, self._freshness.of(business_id, entities, self._clock.now()))
