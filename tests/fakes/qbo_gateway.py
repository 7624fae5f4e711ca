"""A hand-written fake of the live ``QboGateway`` port: a tiny QuickBooks in memory.

It keeps bills, invoices and bank accounts per realm, lowers a bill's balance when a bill payment is
created, answers a repeated ``request_id`` with the first result (as QBO does), and can be told to
fail the next N calls with any ``QboError`` to exercise fallbacks and retries.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from infra.interfaces.errors import QboError, QboValidationError
from infra.interfaces.patterns import guard_live_call
from infra.interfaces.records import (
    AccountRecord,
    AgingLedger,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    BusinessRecord,
    InvoiceRecord,
    PaymentLine,
    ReportedAging,
    ReportedAgingBucket,
)


class FakeQboGateway:
    def __init__(self) -> None:
        self.bills: dict[tuple[str, str], BillRecord] = {}
        self.invoices: dict[tuple[str, str], InvoiceRecord] = {}
        self.accounts: dict[str, list[AccountRecord]] = {}
        self.payments_by_request: dict[tuple[str, str], BillPaymentRecord] = {}
        self.created_payments: list[BillPaymentRecord] = []
        self.sent: list[tuple[str, str, str | None]] = []
        #: Days QBO is told to age to differently than asked (to exercise the check of the as-of date).
        self.report_date_shift = timedelta(0)
        #: Days per aging period QBO uses whatever it is asked (to exercise buckets that do not line up).
        self.report_period_days: int | None = None
        self.calls: list[str] = []
        self._failures: list[QboError] = []
        self._fail_after_write: list[QboError] = []
        self._next = 1000

    # -- test controls ---------------------------------------------------------------------------

    def fail_next(self, *errors: QboError) -> None:
        """The next calls raise these, in order, before doing anything."""
        self._failures.extend(errors)

    def lose_next_answer(self, error: QboError) -> None:
        """The next write is done in QBO but its answer is lost: the caller sees ``error``."""
        self._fail_after_write.append(error)

    def _maybe_fail(self, name: str) -> None:
        # Like the real adapter, ask the runtime guard first: a live call inside a local read fails here.
        guard_live_call(f"FakeQboGateway.{name}")
        self.calls.append(name)
        if self._failures:
            raise self._failures.pop(0)

    # -- the port --------------------------------------------------------------------------------

    def bank_accounts(self, business: BusinessRecord) -> list[AccountRecord]:
        self._maybe_fail("bank_accounts")
        return [dataclasses.replace(a, business_id=business.id) for a in self.accounts.get(business.qbo_realm_id, [])]

    def get_bill(self, business: BusinessRecord, qbo_id: str) -> BillRecord:
        self._maybe_fail("get_bill")
        try:
            return dataclasses.replace(self.bills[(business.qbo_realm_id, qbo_id)], business_id=business.id, id=None)
        except KeyError as exc:
            raise QboValidationError("Object Not Found", fault_code="610") from exc

    def create_bill_payment(self, business: BusinessRecord, vendor_qbo_id: str, bank_account_qbo_id: str,
                            txn_date: date, lines: Sequence[PaymentLine], request_id: str) -> BillPaymentRecord:
        self._maybe_fail("create_bill_payment")
        realm = business.qbo_realm_id
        if (realm, request_id) in self.payments_by_request:
            return self.payments_by_request[(realm, request_id)]
        for line in lines:
            bill = self.bills.get((realm, line.txn_qbo_id))
            if bill is None:
                raise QboValidationError(f"Invalid Reference Id: bill {line.txn_qbo_id}", fault_code="2500")
            if line.amount > bill.balance:
                raise QboValidationError("Payment amount exceeds the bill balance", fault_code="6000")
        for line in lines:
            bill = self.bills[(realm, line.txn_qbo_id)]
            self.bills[(realm, line.txn_qbo_id)] = dataclasses.replace(
                bill, balance=bill.balance - line.amount, sync_token=str(int(bill.sync_token) + 1))
        self._next += 1
        payment = BillPaymentRecord(business.id, str(self._next), "0", vendor_qbo_id, txn_date,
                                    sum((ln.amount for ln in lines), Decimal("0")), BillPaymentStatus.COMPLETED,
                                    bank_account_qbo_id=bank_account_qbo_id, lines=tuple(lines))
        self.payments_by_request[(realm, request_id)] = payment
        self.created_payments.append(payment)
        if self._fail_after_write:
            raise self._fail_after_write.pop(0)
        return payment

    def send_invoice(self, business: BusinessRecord, invoice_qbo_id: str, send_to: str | None) -> InvoiceRecord:
        self._maybe_fail("send_invoice")
        key = (business.qbo_realm_id, invoice_qbo_id)
        if key not in self.invoices:
            raise QboValidationError("Object Not Found", fault_code="610")
        invoice = self.invoices[key]
        sent = dataclasses.replace(invoice, email_status="EmailSent", bill_email=send_to or invoice.bill_email,
                                   sync_token=str(int(invoice.sync_token) + 1), business_id=business.id)
        self.invoices[key] = sent
        self.sent.append((business.qbo_realm_id, invoice_qbo_id, send_to))
        return sent

    def aging_report(self, business: BusinessRecord, ledger: AgingLedger, as_of: date, *,
                     period_days: int, periods: int) -> ReportedAging:
        """Aged as QBO's report ages: open documents dated on or before ``as_of``, by days past their due
        date (their TxnDate when undated), ``Current`` up to 0 days, then ``periods`` buckets."""
        self._maybe_fail("aging_report")
        as_of = as_of + self.report_date_shift
        period_days = self.report_period_days or period_days
        documents: list[BillRecord] | list[InvoiceRecord] = (
            [b for (realm, _), b in self.bills.items() if realm == business.qbo_realm_id]
            if ledger is AgingLedger.PAYABLES else
            [i for (realm, _), i in self.invoices.items() if realm == business.qbo_realm_id])
        totals = [Decimal("0")] * (periods + 1)
        for doc in documents:
            if doc.balance == 0 or doc.txn_date > as_of:
                continue
            days = (as_of - (doc.due_date or doc.txn_date)).days
            totals[0 if days <= 0 else min(periods, math.ceil(days / period_days))] += doc.balance
        buckets = [ReportedAgingBucket("Current", None, 0, totals[0])]
        for index in range(1, periods + 1):
            low, high = (index - 1) * period_days + 1, index * period_days
            buckets.append(ReportedAgingBucket(f"{low} and over" if index == periods else f"{low} - {high}",
                                               low, None if index == periods else high, totals[index]))
        name = "AgedPayables" if ledger is AgingLedger.PAYABLES else "AgedReceivables"
        return ReportedAging(ledger, name, as_of, tuple(buckets), sum(totals, Decimal("0")))
