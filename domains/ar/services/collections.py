"""Accounts receivable: overdue invoices, aging, customer payment history, and reminders.

- ``overdue_invoices``, ``aging_report``, ``ar_summary``, ``customer_payment_history``: Pattern 1
  (local read) through ``InvoiceMirror``. The priority rule is the domain's and is handed to the mirror
  as data (``PRIORITY_BANDS``) so it is evaluated in SQL, not in a loop over rows.
- ``send_reminder``: Pattern 2 (live write) through ``QboGateway``'s invoice send; what QBO answers is
  written to the mirror.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from domains.core.aging import AGING_BUCKETS, AgingReport, complete_buckets
from domains.core.clock import Clock
from domains.core.errors import ActionRefused, InvalidInput, LiveDataUnavailable, NotFound
from domains.core.freshness import Answer, FreshnessReader
from domains.core.money import ZERO
from infra.interfaces.errors import QboError, QboReconnectRequired, QboValidationError, RecordNotFound
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import BusinessDirectory, InvoiceMirror, QboGateway
from infra.interfaces.records import (
    CustomerPaymentRecord,
    CustomerRecord,
    DaysAmountBand,
    Entity,
    InvoiceRecord,
    OpenAmountSummary,
)

T = TypeVar("T")


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


@local_read
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

    Contract: every method is scoped to one ``business_id`` and raises ``InvalidInput``/``NotFound`` for
    bad arguments or unknown records. The reads never go to QuickBooks and answer with the freshness of
    the entities they read (Invoice; Customer and Payment for payment history). ``send_reminder`` goes
    to QuickBooks (see its docstring).
    """

    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader, clock: Clock,
                 directory: BusinessDirectory | None = None, gateway: QboGateway | None = None) -> None:
        self._invoices = invoices
        self._freshness = freshness
        self._clock = clock
        self._directory = directory
        self._gateway = gateway

    @local_read
    def overdue_invoices(self, business_id: int, limit: int | None = None) -> Answer[list[OverdueInvoice]]:
        """Open invoices past their due date, highest priority first, then largest balance."""
        if limit is not None and limit <= 0:
            raise InvalidInput("limit", "limit must be positive")
        rows = self._invoices.overdue_invoices(business_id, self._clock.today(), PRIORITY_BANDS,
                                               Priority.LOW.value, limit=limit)
        data = [OverdueInvoice(r.invoice, r.days_overdue, Priority(r.band)) for r in rows]
        return self._answer(business_id, data, (Entity.INVOICE,))

    @local_read
    def aging_report(self, business_id: int) -> Answer[AgingReport]:
        """Open invoice balances in the buckets current / 1-30 / 31-60 / 61-90 / 90+ days past due."""
        rows = self._invoices.aging(business_id, self._clock.today(), AGING_BUCKETS)
        return self._answer(business_id, complete_buckets(rows), (Entity.INVOICE,))

    @local_read
    def ar_summary(self, business_id: int, due_within_days: int = 7) -> Answer[OpenAmountSummary]:
        """What customers owe: open, overdue, and due within the next ``due_within_days`` days."""
        if due_within_days < 0:
            raise InvalidInput("due_within_days", "due_within_days must be zero or more")
        summary = self._invoices.ar_summary(business_id, self._clock.today(), due_within_days)
        return self._answer(business_id, summary, (Entity.INVOICE,))

    @local_read
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

    @live
    def send_reminder(self, business_id: int, invoice_qbo_id: str, send_to: str | None = None) -> InvoiceRecord:
        """E-mail an overdue invoice to its customer again through QBO's invoice send (Pattern 2).

        ``send_to`` overrides the invoice's billing e-mail. Raises ``NotFound`` (unknown invoice),
        ``InvalidInput`` (the invoice is paid or not yet overdue, or the address is not an address),
        ``ActionRefused`` (QBO refused) and ``LiveDataUnavailable`` (QBO unreachable; nothing was sent).
        """
        if self._directory is None or self._gateway is None:
            raise RuntimeError("CollectionsService was built without a QBO gateway: live writes are not wired")
        if send_to is not None and ("@" not in send_to or len(send_to) > 254 or " " in send_to.strip()):
            raise InvalidInput("send_to", f"send_to is not an e-mail address: {send_to!r}")
        try:
            business = self._directory.get_business(business_id)
            invoice = self._invoices.get_invoice_by_qbo_id(business_id, invoice_qbo_id)
        except RecordNotFound as exc:
            raise NotFound("invoice", invoice_qbo_id, business_id) from exc
        if invoice.balance <= 0:
            raise InvalidInput("invoice_qbo_id", f"invoice {invoice_qbo_id} is paid: there is nothing to remind")
        if invoice.due_date is None or invoice.due_date >= self._clock.today():
            raise InvalidInput("invoice_qbo_id", f"invoice {invoice_qbo_id} is not overdue")
        try:
            sent = self._gateway.send_invoice(business, invoice_qbo_id, send_to)
        except QboValidationError as exc:
            raise ActionRefused(f"QuickBooks refused to send the invoice: {exc.message}") from exc
        except QboReconnectRequired as exc:
            raise LiveDataUnavailable("QuickBooks must be reconnected for this company") from exc
        except QboError as exc:
            raise LiveDataUnavailable(f"QuickBooks unavailable, the reminder was not sent: {exc.message}",
                                      retry_after_seconds=getattr(exc, "retry_after_seconds", None)) from exc
        self._invoices.record_invoice_sent(business_id, sent)
        return sent

    def _answer(self, business_id: int, data: T, entities: tuple[Entity, ...]) -> Answer[T]:
        return Answer(data, self._freshness.of(business_id, entities, self._clock.now()))
