"""``QboLiveGateway``: the live ``QboGateway`` port (Pattern 2) on top of ``QboClient``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from infra.interfaces.patterns import guard_live_call
from infra.interfaces.records import (
    AccountRecord,
    AgingLedger,
    BillPaymentRecord,
    BillRecord,
    BusinessRecord,
    InvoiceRecord,
    PaymentLine,
    ReportedAging,
)
from infra.qbo.client import QboClient
from infra.qbo.mapping import to_account_record, to_bill_payment_record, to_bill_record, to_invoice_record
from infra.qbo.reports import AGING_REPORTS, to_reported_aging

__all__ = ["BANK_ACCOUNTS_WHERE", "PAYMENT_NOTE_PREFIX", "QboLiveGateway", "bill_payment_body", "payment_note"]

# List entities answer only active rows unless asked otherwise; saying so keeps the intent explicit
# (and the result is filtered again below, in case a server ignores the default).
BANK_ACCOUNTS_WHERE = "AccountType = 'Bank' AND Active = true"


PAYMENT_NOTE_PREFIX = "Runway payment "


def payment_note(request_id: str) -> str:
    """The ``PrivateNote`` a payment of ours carries: how it is found in QBO when its answer was lost
    (``infra.settlement``)."""
    return PAYMENT_NOTE_PREFIX + request_id


def bill_payment_body(vendor_qbo_id: str, bank_account_qbo_id: str, txn_date: date,
                      lines: Sequence[PaymentLine], request_id: str | None = None) -> dict:
    """The QBO body of a check BillPayment paying ``lines`` (one bill each); ``TotalAmt`` is their sum. With
    ``request_id``, its ``PrivateNote`` names it (``payment_note``)."""
    if not lines:
        raise ValueError("a bill payment needs at least one line")
    for line in lines:
        if not isinstance(line.amount, Decimal) or not line.amount.is_finite() or line.amount <= 0:
            raise ValueError(f"line amounts must be positive Decimals, got {line.amount!r} for bill {line.txn_qbo_id}")
    body = {
        "VendorRef": {"value": vendor_qbo_id},
        "PayType": "Check",
        "CheckPayment": {"BankAccountRef": {"value": bank_account_qbo_id}},
        "TxnDate": txn_date.isoformat(),
        "TotalAmt": sum((line.amount for line in lines), Decimal("0")),
        "Line": [
            {"Amount": line.amount, "LinkedTxn": [{"TxnId": line.txn_qbo_id, "TxnType": "Bill"}]}
            for line in lines
        ],
    }
    if request_id:
        body["PrivateNote"] = payment_note(request_id)
    return body


class QboLiveGateway:
    """Fresh reads and writes against QBO for one business at a time; raises ``QboError``s."""

    def __init__(self, client: QboClient) -> None:
        self._client = client

    def bank_accounts(self, business: BusinessRecord) -> list[AccountRecord]:
        """The company's active Bank accounts with their current balances, by name."""
        guard_live_call("QboLiveGateway.bank_accounts")
        rows = self._client.query_all(business.qbo_realm_id, "Account", where=BANK_ACCOUNTS_WHERE,
                                      order_by="Name")
        records = [to_account_record(business.id, row) for row in rows]
        return sorted((r for r in records if r.active and r.account_type == "Bank"),
                      key=lambda r: (r.name.casefold(), r.qbo_id))

    def get_bill(self, business: BusinessRecord, qbo_id: str) -> BillRecord:
        guard_live_call("QboLiveGateway.get_bill")
        return to_bill_record(business.id, self._client.read(business.qbo_realm_id, "Bill", qbo_id))

    def create_bill_payment(self, business: BusinessRecord, vendor_qbo_id: str, bank_account_qbo_id: str,
                            txn_date: date, lines: Sequence[PaymentLine], request_id: str) -> BillPaymentRecord:
        """Create a check BillPayment with ``requestid`` (so a retry never pays twice); returns it as mapped."""
        guard_live_call("QboLiveGateway.create_bill_payment")
        if not request_id:
            raise ValueError("request_id is required: it is what keeps a retried payment from paying twice")
        body = bill_payment_body(vendor_qbo_id, bank_account_qbo_id, txn_date, lines, request_id)
        created = self._client.create(business.qbo_realm_id, "BillPayment", body, request_id=request_id)
        return to_bill_payment_record(business.id, created, request_id=request_id)

    def send_invoice(self, business: BusinessRecord, invoice_qbo_id: str, send_to: str | None) -> InvoiceRecord:
        """E-mail the invoice; a fresh ``requestid`` per call lets the client retry it without sending twice."""
        guard_live_call("QboLiveGateway.send_invoice")
        sent = self._client.send_invoice(business.qbo_realm_id, invoice_qbo_id, send_to,
                                         request_id=uuid.uuid4().hex)
        return to_invoice_record(business.id, sent)

    def aging_report(self, business: BusinessRecord, ledger: AgingLedger, as_of: date, *,
                     period_days: int, periods: int) -> ReportedAging:
        """QBO's ``AgedPayables`` / ``AgedReceivables`` summary aged to ``as_of`` (``aging_method=Report_Date``)
        in ``periods`` buckets of ``period_days`` days after ``Current``."""
        guard_live_call("QboLiveGateway.aging_report")
        if period_days < 1 or periods < 1:
            raise ValueError("period_days and periods must be positive")
        params = {"report_date": as_of.isoformat(), "aging_method": "Report_Date",
                  "aging_period": str(period_days), "num_periods": str(periods)}
        report = self._client.report(business.qbo_realm_id, AGING_REPORTS[ledger], params)
        return to_reported_aging(ledger, report, realm_id=business.qbo_realm_id)
