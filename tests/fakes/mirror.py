"""An in-memory mirror: a hand-written fake of every local port in ``infra.interfaces.ports``.

It follows the ports' contracts (tenant scoping, orderings, inclusive ranges, the cap selection) in
plain Python so domain and runway services can be tested without a database. ``tests/infra/db/test_ports.py``
checks that it has every method of the ports it stands in for, and gives it and the SQL repositories the
same random bills and invoices and compares their answers (summaries, aging, the cap selection, orderings),
so the two cannot drift apart there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.records import (
    AccountRecord,
    AgingBucketTotal,
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
    SyncStateRecord,
    VendorRecord,
)

ZERO = Decimal("0.00")


class InMemoryMirror:
    """Implements BusinessDirectory, SyncStateReader, BillMirror, InvoiceMirror, PaymentMirror,
    BankMirror and PortfolioMirror over dictionaries. ``calls`` records every port call."""

    def __init__(self) -> None:
        self.firms: dict[int, FirmRecord] = {}
        self.businesses: dict[int, BusinessRecord] = {}
        self.vendors: list[VendorRecord] = []
        self.customers: list[CustomerRecord] = []
        self.accounts: list[AccountRecord] = []
        self.bills: list[BillRecord] = []
        self.invoices: list[InvoiceRecord] = []
        self.bill_payments: list[BillPaymentRecord] = []
        self.customer_payment_rows: list[CustomerPaymentRecord] = []
        self.sync: dict[tuple[int, Entity], SyncStateRecord] = {}
        self.calls: list[str] = []
        self._next_id = 1

    # -- building data (test set-up) -------------------------------------------------------------

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_firm(self, name: str) -> FirmRecord:
        firm = FirmRecord(self._id(), name)
        self.firms[firm.id] = firm
        return firm

    def add_business(self, firm_id: int, name: str, realm: str | None = None) -> BusinessRecord:
        bid = self._id()
        business = BusinessRecord(bid, firm_id, name, realm or f"realm-{bid}")
        self.businesses[bid] = business
        return business

    def add(self, record):
        record = dataclasses.replace(record, id=self._id()) if getattr(record, "id", 0) is None else record
        target = {
            VendorRecord: self.vendors, CustomerRecord: self.customers, AccountRecord: self.accounts,
            BillRecord: self.bills, InvoiceRecord: self.invoices, BillPaymentRecord: self.bill_payments,
            CustomerPaymentRecord: self.customer_payment_rows,
        }[type(record)]
        target.append(record)
        return record

    def mark_synced(self, business_id: int, at: datetime, entities: Sequence[Entity] = tuple(Entity)) -> None:
        for entity in entities:
            self.sync[(business_id, entity)] = SyncStateRecord(business_id, entity, last_success_at=at)

    # -- BusinessDirectory -----------------------------------------------------------------------

    def get_business(self, business_id: int) -> BusinessRecord:
        self.calls.append("get_business")
        if business_id not in self.businesses:
            raise RecordNotFound(f"business {business_id}")
        return self.businesses[business_id]

    def list_businesses(self, firm_id: int | None = None) -> list[BusinessRecord]:
        self.calls.append("list_businesses")
        return sorted((b for b in self.businesses.values() if firm_id is None or b.firm_id == firm_id),
                      key=lambda b: b.id)

    def list_firms(self) -> list[FirmRecord]:
        return sorted(self.firms.values(), key=lambda f: f.id)

    # -- SyncStateReader -------------------------------------------------------------------------

    def sync_states(self, business_id: int, entities: Sequence[Entity]) -> list[SyncStateRecord]:
        self.calls.append("sync_states")
        return [self.sync.get((business_id, e), SyncStateRecord(business_id, e)) for e in entities]

    # -- BillMirror ------------------------------------------------------------------------------

    def _open_bills(self, business_id: int) -> list[BillRecord]:
        return [b for b in self.bills if b.business_id == business_id and b.balance > 0]

    def get_bill(self, business_id: int, bill_id: int) -> BillRecord:
        self.calls.append("get_bill")
        for b in self.bills:
            if b.business_id == business_id and b.id == bill_id:
                return b
        raise RecordNotFound(f"bill {bill_id}")

    def get_bill_by_qbo_id(self, business_id: int, qbo_id: str) -> BillRecord:
        self.calls.append("get_bill_by_qbo_id")
        for b in self.bills:
            if b.business_id == business_id and b.qbo_id == qbo_id:
                return b
        raise RecordNotFound(f"bill {qbo_id}")

    def unpaid_bills(self, business_id: int, *, limit: int | None = None) -> list[BillRecord]:
        self.calls.append("unpaid_bills")
        rows = sorted(self._open_bills(business_id),
                      key=lambda b: (b.due_date is None, b.due_date or date.max, b.id))
        return rows[:limit] if limit else rows

    def bills_due_between(self, business_id: int, start: date, end: date, *, limit: int | None = None
                          ) -> list[BillRecord]:
        self.calls.append("bills_due_between")
        rows = sorted((b for b in self._open_bills(business_id) if b.due_date and start <= b.due_date <= end),
                      key=lambda b: (b.due_date, b.id))
        return rows[:limit] if limit else rows

    def overdue_bills(self, business_id: int, as_of: date, *, limit: int | None = None) -> list[BillRecord]:
        self.calls.append("overdue_bills")
        rows = sorted((b for b in self._open_bills(business_id) if b.due_date and b.due_date < as_of),
                      key=lambda b: (b.due_date, b.id))
        return rows[:limit] if limit else rows

    def bills_fitting_cap(self, business_id: int, cash_cap: Decimal, *, due_on_or_before: date | None = None
                          ) -> list[BillRecord]:
        self.calls.append("bills_fitting_cap")
        candidates = [b for b in self._open_bills(business_id)
                      if due_on_or_before is None or (b.due_date is not None and b.due_date <= due_on_or_before)]
        chosen, running = [], ZERO
        for bill in sorted(candidates, key=lambda b: (b.balance, b.id)):
            if running + bill.balance > cash_cap:
                break
            running += bill.balance
            chosen.append(bill)
        return chosen

    def ap_summary(self, business_id: int, as_of: date, due_within_days: int) -> OpenAmountSummary:
        self.calls.append("ap_summary")
        return _summary(self._open_bills(business_id), as_of, due_within_days)

    def aging(self, business_id: int, as_of: date, buckets):  # both BillMirror and InvoiceMirror
        raise NotImplementedError("use bill_aging / invoice_aging through the views")

    # -- InvoiceMirror ---------------------------------------------------------------------------

    def _open_invoices(self, business_id: int) -> list[InvoiceRecord]:
        return [i for i in self.invoices if i.business_id == business_id and i.balance > 0]

    def get_invoice_by_qbo_id(self, business_id: int, qbo_id: str) -> InvoiceRecord:
        for i in self.invoices:
            if i.business_id == business_id and i.qbo_id == qbo_id:
                return i
        raise RecordNotFound(f"invoice {qbo_id}")

    def get_customer_by_qbo_id(self, business_id: int, qbo_id: str) -> CustomerRecord:
        for c in self.customers:
            if c.business_id == business_id and c.qbo_id == qbo_id:
                return c
        raise RecordNotFound(f"customer {qbo_id}")

    def overdue_invoices(self, business_id: int, as_of: date, bands: Sequence[DaysAmountBand],
                         default_band: str, *, limit: int | None = None) -> list[OverdueInvoiceRow]:
        self.calls.append("overdue_invoices")
        rows = []
        for inv in self._open_invoices(business_id):
            if not inv.due_date or inv.due_date >= as_of:
                continue
            days = (as_of - inv.due_date).days
            rank, label = next(((i, b.label) for i, b in enumerate(bands)
                                if days > b.days_over or inv.balance > b.amount_over), (len(bands), default_band))
            rows.append((rank, -inv.balance, -days, inv.id, OverdueInvoiceRow(inv, days, label)))
        rows.sort(key=lambda r: r[:4])
        out = [r[4] for r in rows]
        return out[:limit] if limit else out

    def ar_summary(self, business_id: int, as_of: date, due_within_days: int) -> OpenAmountSummary:
        self.calls.append("ar_summary")
        return _summary(self._open_invoices(business_id), as_of, due_within_days)

    def customer_payments(self, business_id: int, customer_qbo_id: str) -> list[CustomerPaymentRecord]:
        self.calls.append("customer_payments")
        return sorted((p for p in self.customer_payment_rows
                       if p.business_id == business_id and p.customer_qbo_id == customer_qbo_id),
                      key=lambda p: (p.txn_date, p.id), reverse=True)

    def record_invoice_sent(self, business_id: int, invoice: InvoiceRecord) -> None:
        self.calls.append("record_invoice_sent")
        for n, existing in enumerate(self.invoices):
            if existing.business_id == business_id and existing.qbo_id == invoice.qbo_id:
                self.invoices[n] = dataclasses.replace(invoice, id=existing.id)
                return
        raise RecordNotFound(f"invoice {invoice.qbo_id}")

    # -- PaymentMirror ---------------------------------------------------------------------------

    def list_bill_payments(self, business_id: int, *, status: BillPaymentStatus | None = None,
                           start: date | None = None, end: date | None = None,
                           limit: int | None = None) -> list[BillPaymentRecord]:
        self.calls.append("list_bill_payments")
        rows = [p for p in self.bill_payments if p.business_id == business_id
                and (status is None or p.status == status)
                and (start is None or p.txn_date >= start) and (end is None or p.txn_date <= end)]
        rows.sort(key=lambda p: (p.txn_date, p.id), reverse=True)
        return rows[:limit] if limit else rows

    def cash_flow(self, business_id: int, start: date, end: date) -> CashFlowTotals:
        self.calls.append("cash_flow")
        received = sum((p.total_amount for p in self.customer_payment_rows
                        if p.business_id == business_id and start <= p.txn_date <= end), ZERO)
        paid = sum((p.total_amount for p in self.bill_payments if p.business_id == business_id
                    and p.status == BillPaymentStatus.COMPLETED and start <= p.txn_date <= end), ZERO)
        return CashFlowTotals(received, paid, (end - start).days + 1)

    def find_bill_payment_by_request_id(self, business_id: int, request_id: str) -> BillPaymentRecord | None:
        self.calls.append("find_bill_payment_by_request_id")
        return next((p for p in self.bill_payments
                     if p.business_id == business_id and p.request_id == request_id), None)

    def add_pending_bill_payment(self, payment: BillPaymentRecord) -> BillPaymentRecord:
        self.calls.append("add_pending_bill_payment")
        if self.find_bill_payment_by_request_id(payment.business_id, payment.request_id or "") is not None:
            raise StorageError(f"duplicate request id {payment.request_id}")
        return self.add(dataclasses.replace(payment, id=None))

    def discard_pending_bill_payment(self, business_id: int, request_id: str) -> None:
        self.calls.append("discard_pending_bill_payment")
        self.bill_payments = [p for p in self.bill_payments if not (
            p.business_id == business_id and p.request_id == request_id and p.status == BillPaymentStatus.PENDING)]

    def complete_bill_payment(self, business_id: int, request_id: str, created: BillPaymentRecord,
                              paid_bills: Sequence[BillRecord]) -> BillPaymentRecord:
        self.calls.append("complete_bill_payment")
        for n, p in enumerate(self.bill_payments):
            if p.business_id == business_id and p.request_id == request_id:
                done = dataclasses.replace(created, id=p.id, request_id=request_id,
                                           status=BillPaymentStatus.COMPLETED)
                self.bill_payments[n] = done
                break
        else:
            raise RecordNotFound(f"pending payment {request_id}")
        for bill in paid_bills:
            for n, b in enumerate(self.bills):
                if b.business_id == business_id and b.qbo_id == bill.qbo_id:
                    self.bills[n] = dataclasses.replace(bill, id=b.id)
        return done

    # -- BankMirror ------------------------------------------------------------------------------

    def bank_accounts(self, business_id: int) -> list[AccountRecord]:
        self.calls.append("bank_accounts")
        return sorted((a for a in self.accounts if a.business_id == business_id
                       and a.account_type == "Bank" and a.active), key=lambda a: (a.name, a.qbo_id))

    def store_bank_accounts(self, business_id: int, accounts: Sequence[AccountRecord]) -> None:
        self.calls.append("store_bank_accounts")
        for account in accounts:
            for n, a in enumerate(self.accounts):
                if a.business_id == business_id and a.qbo_id == account.qbo_id:
                    if int(account.sync_token) >= int(a.sync_token):
                        self.accounts[n] = dataclasses.replace(account, id=a.id)
                    break
            else:
                self.add(dataclasses.replace(account, id=None))

    # -- PortfolioMirror -------------------------------------------------------------------------

    def business_summaries(self, firm_id: int | None, window_start: date, window_end: date
                           ) -> list[BusinessMirrorSummary]:
        self.calls.append("business_summaries")
        out = []
        for b in self.list_businesses(firm_id):
            cash = sum((a.current_balance for a in self.bank_accounts(b.id)), ZERO)
            flow = self.cash_flow(b.id, window_start, window_end)
            states = [s for (bid, _), s in self.sync.items() if bid == b.id]
            synced = frozenset(s.entity for s in states if s.last_success_at)
            last = None
            if states and all(s.last_success_at for s in states):
                last = min(s.last_success_at for s in states)  # type: ignore[type-var]
            out.append(BusinessMirrorSummary(
                b, cash, sum((i.balance for i in self._open_invoices(b.id)), ZERO),
                sum((x.balance for x in self._open_bills(b.id)), ZERO), flow.received, flow.paid, last, synced))
        return out


def _summary(rows, as_of: date, due_within_days: int) -> OpenAmountSummary:
    overdue = [r for r in rows if r.due_date and r.due_date < as_of]
    soon = [r for r in rows if r.due_date and as_of <= r.due_date and (r.due_date - as_of).days <= due_within_days]
    return OpenAmountSummary(len(rows), sum((r.balance for r in rows), ZERO), len(overdue),
                             sum((r.balance for r in overdue), ZERO), len(soon), sum((r.balance for r in soon), ZERO))


def _aging(rows, as_of: date, buckets) -> list[AgingBucketTotal]:
    out = []
    for label, lo, hi in buckets:
        def days_past(r):
            return (as_of - r.due_date).days if r.due_date else 0
        hits = [r for r in rows if (lo is None or days_past(r) >= lo) and (hi is None or days_past(r) <= hi)]
        out.append(AgingBucketTotal(label, lo, hi, len(hits), sum((r.balance for r in hits), ZERO)))
    return out


class BillView:
    """The BillMirror face of an ``InMemoryMirror`` (its ``aging`` reads bills)."""

    def __init__(self, mirror: InMemoryMirror) -> None:
        self._m = mirror

    def __getattr__(self, name):
        return getattr(self._m, name)

    def aging(self, business_id: int, as_of: date, buckets) -> list[AgingBucketTotal]:
        self._m.calls.append("bill_aging")
        return _aging(self._m._open_bills(business_id), as_of, buckets)


class InvoiceView:
    """The InvoiceMirror face of an ``InMemoryMirror`` (its ``aging`` reads invoices)."""

    def __init__(self, mirror: InMemoryMirror) -> None:
        self._m = mirror

    def __getattr__(self, name):
        return getattr(self._m, name)

    def aging(self, business_id: int, as_of: date, buckets) -> list[AgingBucketTotal]:
        self._m.calls.append("invoice_aging")
        return _aging(self._m._open_invoices(business_id), as_of, buckets)
