"""Ports: the interfaces through which domain services reach infra.

Each port is a ``typing.Protocol``; its docstring states its contract in one line and whether it is
**local** (answers from the mirror database, Pattern 1; never touches the network) or **live** (talks to
QuickBooks Online, Pattern 2). Implementations live in ``infra.db`` (local) and ``infra.qbo`` (live);
tests use the hand-written fakes in ``tests/fakes``.

Every local method takes the ``business_id`` of the tenant and returns only that tenant's rows.
Failures surface as ``infra.interfaces.errors`` exceptions, never as driver exceptions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Protocol, runtime_checkable

from infra.interfaces.patterns import live_port, local_port
from infra.interfaces.records import (
    AccountRecord,
    AgingBucketTotal,
    AgingLedger,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    BusinessMirrorSummary,
    BusinessRecord,
    CashFlowTotals,
    CustomerPaymentRecord,
    CustomerRecord,
    DaysAmountBand,
    Entity,
    FirmRecord,
    InvoiceRecord,
    OpenAmountSummary,
    OverdueInvoiceRow,
    PaymentLine,
    ReportedAging,
    SyncStateRecord,
)


@local_port
@runtime_checkable
class BusinessDirectory(Protocol):
    """Local: the firms and the client businesses (tenants) they look after."""

    def get_business(self, business_id: int) -> BusinessRecord:
        """The business with that id; ``RecordNotFound`` if there is none."""
        ...

    def list_businesses(self, firm_id: int | None = None) -> list[BusinessRecord]:
        """Every business of that firm (every business at all when ``firm_id`` is None), by id."""
        ...

    def list_firms(self) -> list[FirmRecord]:
        ...


@local_port
@runtime_checkable
class SyncStateReader(Protocol):
    """Local: how fresh the mirror is, per business and entity (written only by sync jobs)."""

    def sync_states(self, business_id: int, entities: Sequence[Entity]) -> list[SyncStateRecord]:
        """One record per entity asked for; an entity never synced has ``last_success_at`` None."""
        ...


@local_port
@runtime_checkable
class BillMirror(Protocol):
    """Local: the business's bills (AP) in the mirror."""

    def get_bill(self, business_id: int, bill_id: int) -> BillRecord:
        """By mirror id; ``RecordNotFound`` if that business has no such bill."""
        ...

    def get_bill_by_qbo_id(self, business_id: int, qbo_id: str) -> BillRecord:
        """By QBO Id; ``RecordNotFound`` if that business has no such bill."""
        ...

    def unpaid_bills(self, business_id: int, *, limit: int | None = None) -> list[BillRecord]:
        """Bills with ``balance > 0``, earliest due first (undated last)."""
        ...

    def bills_due_between(self, business_id: int, start: date, end: date, *, limit: int | None = None
                          ) -> list[BillRecord]:
        """Unpaid bills with ``start <= due_date <= end``, earliest due first (then by id)."""
        ...

    def overdue_bills(self, business_id: int, as_of: date, *, limit: int | None = None) -> list[BillRecord]:
        """Unpaid bills with ``due_date < as_of``, most overdue first."""
        ...

    def bills_fitting_cap(self, business_id: int, cash_cap: Decimal, *, due_on_or_before: date | None = None
                          ) -> list[BillRecord]:
        """The longest run of unpaid bills, smallest balance first (ties by id), whose balances sum to
        at most ``cash_cap``; optionally only bills due on or before a date."""
        ...

    def ap_summary(self, business_id: int, as_of: date, due_within_days: int) -> OpenAmountSummary:
        """Counts and totals of unpaid bills: all, overdue on ``as_of``, due within the next N days."""
        ...

    def aging(self, business_id: int, as_of: date, buckets: Sequence[tuple[str, int | None, int | None]]
              ) -> list[AgingBucketTotal]:
        """Unpaid bill balances summed per bucket of days past due (``(label, min, max)``, inclusive;
        ``min`` None means not yet due, ``max`` None means no upper bound)."""
        ...


@local_port
@runtime_checkable
class InvoiceMirror(Protocol):
    """Local: the business's invoices, customers and customer payments (AR) in the mirror."""

    def get_invoice_by_qbo_id(self, business_id: int, qbo_id: str) -> InvoiceRecord:
        ...

    def get_customer_by_qbo_id(self, business_id: int, qbo_id: str) -> CustomerRecord:
        ...

    def overdue_invoices(self, business_id: int, as_of: date, bands: Sequence[DaysAmountBand],
                         default_band: str, *, limit: int | None = None) -> list[OverdueInvoiceRow]:
        """Open invoices with ``due_date < as_of``, each labelled with the first band it matches
        (``default_band`` if none), ordered by band (in the order given, default last), then by
        balance descending, then by days overdue descending."""
        ...

    def ar_summary(self, business_id: int, as_of: date, due_within_days: int) -> OpenAmountSummary:
        ...

    def aging(self, business_id: int, as_of: date, buckets: Sequence[tuple[str, int | None, int | None]]
              ) -> list[AgingBucketTotal]:
        """Open invoice balances summed per bucket of days past due (same bucket form as bills)."""
        ...

    def customer_payments(self, business_id: int, customer_qbo_id: str) -> list[CustomerPaymentRecord]:
        """The customer's payments, newest first, with the invoices each paid."""
        ...

    def record_invoice_sent(self, business_id: int, invoice: InvoiceRecord) -> None:
        """Store what QBO answered after sending an invoice (e-mail status, SyncToken)."""
        ...


@local_port
@runtime_checkable
class PaymentMirror(Protocol):
    """Local: bill payments and the cash that moved, in the mirror; also the write-through of
    payments this product makes in QBO (Pattern 2 writes update the mirror so reads see them)."""

    def list_bill_payments(self, business_id: int, *, status: BillPaymentStatus | None = None,
                           start: date | None = None, end: date | None = None,
                           limit: int | None = None) -> list[BillPaymentRecord]:
        """Bill payments, newest first, filtered by status and ``start <= txn_date <= end``."""
        ...

    def cash_flow(self, business_id: int, start: date, end: date) -> CashFlowTotals:
        """Customer payments received and bill payments completed with ``start <= txn_date <= end``."""
        ...

    def find_bill_payment_by_request_id(self, business_id: int, request_id: str) -> BillPaymentRecord | None:
        ...

    def add_pending_bill_payment(self, payment: BillPaymentRecord) -> BillPaymentRecord:
        """Store a payment about to be sent to QBO, keyed by its ``request_id`` (unique per business)."""
        ...

    def discard_pending_bill_payment(self, business_id: int, request_id: str) -> None:
        """Forget a pending payment that QBO refused (nothing was created there)."""
        ...

    def complete_bill_payment(self, business_id: int, request_id: str, created: BillPaymentRecord,
                              paid_bills: Sequence[BillRecord]) -> BillPaymentRecord:
        """In one transaction: mark the pending payment completed with what QBO answered, and store the
        bills as QBO now holds them (lowered balance, new SyncToken)."""
        ...


@local_port
@runtime_checkable
class BankMirror(Protocol):
    """Local: the bank accounts and their balances as last synced."""

    def bank_accounts(self, business_id: int) -> list[AccountRecord]:
        """Active accounts of type Bank, by name."""
        ...

    def store_bank_accounts(self, business_id: int, accounts: Sequence[AccountRecord]) -> None:
        """Write through balances read live from QBO (newer SyncToken wins)."""
        ...


@local_port
@runtime_checkable
class PortfolioMirror(Protocol):
    """Local: one summary row per business of a firm, computed in one pass for the advisor console."""

    def business_summaries(self, firm_id: int | None, window_start: date, window_end: date
                           ) -> list[BusinessMirrorSummary]:
        ...


@live_port
@runtime_checkable
class QboGateway(Protocol):
    """Live: QuickBooks Online itself, for fresh reads and writes (Pattern 2). Raises ``QboError``s."""

    def bank_accounts(self, business: BusinessRecord) -> list[AccountRecord]:
        """The company's active Bank accounts with their current balances, read now."""
        ...

    def get_bill(self, business: BusinessRecord, qbo_id: str) -> BillRecord:
        ...

    def create_bill_payment(self, business: BusinessRecord, vendor_qbo_id: str, bank_account_qbo_id: str,
                            txn_date: date, lines: Sequence[PaymentLine], request_id: str
                            ) -> BillPaymentRecord:
        """Create a check BillPayment paying the given bills. ``request_id`` makes a repeat of the same
        request answer the first result instead of paying twice."""
        ...

    def send_invoice(self, business: BusinessRecord, invoice_qbo_id: str, send_to: str | None
                     ) -> InvoiceRecord:
        """E-mail the invoice to the customer through QBO; returns the invoice as QBO now holds it."""
        ...

    def aging_report(self, business: BusinessRecord, ledger: AgingLedger, as_of: date, *,
                     period_days: int, periods: int) -> ReportedAging:
        """QBO's own aging summary (``AgedPayables`` or ``AgedReceivables``) aged to ``as_of``: ``periods``
        buckets of ``period_days`` days past due after ``Current``, the last one open-ended."""
        ...


__all__ = [
    "BankMirror",
    "BillMirror",
    "BusinessDirectory",
    "InvoiceMirror",
    "PaymentMirror",
    "PortfolioMirror",
    "QboGateway",
    "SyncStateReader",
]
