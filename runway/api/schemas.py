"""The API's request and response models, and their conversion from domain answers.

Money is a JSON string with exactly two decimals (``"1250.00"``; never a float, which cannot hold most
cent values). Other decimals (runway days) are strings too. Every Pattern 1 answer carries
``freshness: {last_synced_at, stale, age_hours, source, ...}`` so a stale mirror is always visible.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic.config import JsonDict

from domains.ap.services.bill import PaymentReadySelection
from domains.ar.services.collections import OverdueInvoice
from domains.bank.services.balance import CashPosition, LiveCashPosition
from domains.core.aging import AgingReport
from domains.core.freshness import Freshness
from infra.interfaces.access import SyncRequestRecord
from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillRecord,
    BusinessRecord,
    CashFlowTotals,
    FirmRecord,
    InvoiceRecord,
    OpenAmountSummary,
)
from runway.figures import RunwayFigures
from runway.services.console import ConsoleRow
from runway.services.digest import WeeklyDigest
from runway.services.operations import Readiness
from runway.services.prep_tray import PrepTray, TrayAction

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
MONEY_PATTERN = r"^-?\d+\.\d{2}$"
# What the API accepts as an amount: positive or zero, at most 10 ASCII digits before the point, 2 after.
# [0-9], not \d: the validator's regex engine reads \d as any Unicode digit ("１.00" would be an amount).
AMOUNT_IN_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
# Text the API accepts: no control characters (NUL included; PostgreSQL cannot even store NUL).
PLAIN_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
# Identifiers QuickBooks gives (account ids, ...): printable ASCII, no spaces.
QBO_ID_PATTERN = r"^[!-~]+$"
# QuickBooks' own window for transaction dates is not published in full; it refuses dates before 1900 and
# its date pickers stop at 2099. Anything outside is a typo, never a payment to send.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2099, 12, 31)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")



def _strict_date(value: object) -> date:
    """A calendar date written ``YYYY-MM-DD`` (a datetime, a number or another spelling is refused) within
    ``MIN_DATE``..``MAX_DATE``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        parsed = date.fromisoformat(value)  # ValueError for 2026-02-30: answered 422 like any invalid input
    else:
        raise ValueError("must be a date written YYYY-MM-DD")
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}")
    return parsed


DateIn = Annotated[date, BeforeValidator(_strict_date)]
PlainText = Annotated[str, Field(pattern=PLAIN_TEXT_PATTERN)]

Money = Annotated[str, Field(pattern=MONEY_PATTERN, description="an amount of money, 2 decimals",
                             examples=["1250.00"])]
DecimalText = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", description="a decimal number as a string",
                                   examples=["18.5"])]
AmountIn = Annotated[str, Field(pattern=AMOUNT_IN_PATTERN, min_length=1, max_length=13,
                                description="an amount of money as a string, at most 2 decimals",
                                examples=["125.50"])]


def money(value: Decimal) -> str:
    """``Decimal`` -> ``"1234.50"`` (rounded half-even to the cent; never ``-0.00``)."""
    q = value.quantize(CENT, rounding=ROUND_HALF_EVEN)
    if q == 0:
        q = abs(q)
    return f"{q:f}"


def decimal_text(value: Decimal | None, places: Decimal = TENTH) -> str | None:
    if value is None:
        return None
    q = value.quantize(places, rounding=ROUND_HALF_EVEN)
    return f"{abs(q) if q == 0 else q:f}"


# -- shared ---------------------------------------------------------------------------------------------

class FreshnessOut(BaseModel):
    """How fresh the data behind an answer is. ``stale`` answers are still answered, and flagged."""

    last_synced_at: datetime | None = Field(description="the oldest last successful sync of the data read; "
                                                        "null when some of it was never synced")
    stale: bool
    age_hours: float | None = Field(description="hours since last_synced_at (one decimal)")
    source: str = Field(description="'mirror' (Pattern 1) or 'live' (read from QuickBooks now)",
                        examples=["mirror"])
    entities: list[str] = Field(description="the QBO entities the answer read", examples=[["Bill"]])
    description: str = Field(examples=["synced 2.5 h ago"])

    @classmethod
    def of(cls, f: Freshness) -> FreshnessOut:
        return cls(last_synced_at=f.last_synced_at, stale=f.stale, age_hours=f.age_hours, source=f.source,
                   entities=[str(e) for e in f.entities], description=f.describe())


FRESHNESS_EXAMPLE: JsonDict = {"last_synced_at": "2026-11-27T09:30:00Z", "stale": False, "age_hours": 2.5,
                     "source": "mirror", "entities": ["Bill"], "description": "synced 2.5 h ago"}


class BusinessOut(BaseModel):
    id: int = Field(examples=[3])
    name: str = Field(examples=["Bright Smile Dental"])

    @classmethod
    def of(cls, b: BusinessRecord) -> BusinessOut:
        return cls(id=b.id, name=b.name)


class FirmOut(BaseModel):
    id: int = Field(examples=[1])
    name: str = Field(examples=["Harbor & Pine Advisors"])

    @classmethod
    def of(cls, f: FirmRecord) -> FirmOut:
        return cls(id=f.id, name=f.name)


class RunwayOut(BaseModel):
    """The runway formula's inputs and result (see runway.figures)."""

    cash: Money
    open_ar: Money
    open_ap: Money
    paid_in_window: Money
    received_in_window: Money
    window_days: int = Field(examples=[90])
    net_position: Money
    net_burn_per_day: Money = Field(description="rounded to the cent for display")
    runway_days: DecimalText | None = Field(description="null when the business is not burning cash")
    runway_weeks: DecimalText | None
    burning: bool
    status: Literal["critical", "warning", "healthy", "excellent"]

    @classmethod
    def of(cls, r: RunwayFigures) -> RunwayOut:
        return cls(cash=money(r.cash), open_ar=money(r.open_ar), open_ap=money(r.open_ap),
                   paid_in_window=money(r.paid_in_window), received_in_window=money(r.received_in_window),
                   window_days=r.window_days, net_position=money(r.net_position),
                   net_burn_per_day=money(r.net_burn_per_day), runway_days=decimal_text(r.runway_days),
                   runway_weeks=decimal_text(r.runway_weeks), burning=r.burning, status=r.status.value)


RUNWAY_EXAMPLE: JsonDict = {
    "cash": "42000.00", "open_ar": "18500.00", "open_ap": "12250.00", "paid_in_window": "96000.00",
    "received_in_window": "81000.00", "window_days": 90, "net_position": "48250.00",
    "net_burn_per_day": "166.67", "runway_days": "289.5", "runway_weeks": "41.4", "burning": True,
    "status": "excellent"}


class BillOut(BaseModel):
    qbo_id: str = Field(examples=["1042"])
    doc_number: str | None = Field(examples=["B-1042"])
    vendor_qbo_id: str = Field(examples=["56"])
    vendor_name: str | None = Field(examples=["Patterson Dental Supply"])
    txn_date: date
    due_date: date | None
    total_amount: Money
    balance: Money
    currency: str = Field(examples=["USD"])

    @classmethod
    def of(cls, b: BillRecord) -> BillOut:
        return cls(qbo_id=b.qbo_id, doc_number=b.doc_number, vendor_qbo_id=b.vendor_qbo_id,
                   vendor_name=b.vendor_name, txn_date=b.txn_date, due_date=b.due_date,
                   total_amount=money(b.total_amount), balance=money(b.balance), currency=b.currency)


BILL_EXAMPLE: JsonDict = {"qbo_id": "1042", "doc_number": "B-1042", "vendor_qbo_id": "56",
                "vendor_name": "Patterson Dental Supply", "txn_date": "2026-11-01", "due_date": "2026-12-01",
                "total_amount": "1800.00", "balance": "1800.00", "currency": "USD"}


class InvoiceOut(BaseModel):
    qbo_id: str = Field(examples=["2210"])
    doc_number: str | None = Field(examples=["INV-2210"])
    customer_qbo_id: str = Field(examples=["81"])
    customer_name: str | None = Field(examples=["Blue Cafe"])
    txn_date: date
    due_date: date | None
    total_amount: Money
    balance: Money
    currency: str = Field(examples=["USD"])
    email_status: str | None = Field(examples=["EmailSent"])
    bill_email: str | None = Field(examples=["ap@bluecafe.example"])

    @classmethod
    def of(cls, i: InvoiceRecord) -> InvoiceOut:
        return cls(qbo_id=i.qbo_id, doc_number=i.doc_number, customer_qbo_id=i.customer_qbo_id,
                   customer_name=i.customer_name, txn_date=i.txn_date, due_date=i.due_date,
                   total_amount=money(i.total_amount), balance=money(i.balance), currency=i.currency,
                   email_status=i.email_status, bill_email=i.bill_email)


INVOICE_EXAMPLE: JsonDict = {
    "qbo_id": "2210", "doc_number": "INV-2210", "customer_qbo_id": "81", "customer_name": "Blue Cafe",
    "txn_date": "2026-09-01", "due_date": "2026-10-01", "total_amount": "2400.00",
    "balance": "2400.00", "currency": "USD", "email_status": "EmailSent",
    "bill_email": "ap@bluecafe.example"}


class OverdueInvoiceOut(BaseModel):
    invoice: InvoiceOut
    days_overdue: int = Field(examples=[57])
    priority: Literal["critical", "high", "medium", "low"]

    @classmethod
    def of(cls, o: OverdueInvoice) -> OverdueInvoiceOut:
        return cls(invoice=InvoiceOut.of(o.invoice), days_overdue=o.days_overdue, priority=o.priority.value)


class OpenAmountsOut(BaseModel):
    open_count: int
    open_total: Money
    overdue_count: int
    overdue_total: Money
    due_soon_count: int
    due_soon_total: Money

    @classmethod
    def of(cls, s: OpenAmountSummary) -> OpenAmountsOut:
        return cls(open_count=s.open_count, open_total=money(s.open_total), overdue_count=s.overdue_count,
                   overdue_total=money(s.overdue_total), due_soon_count=s.due_soon_count,
                   due_soon_total=money(s.due_soon_total))


class CashFlowOut(BaseModel):
    received: Money
    paid: Money
    days: int

    @classmethod
    def of(cls, c: CashFlowTotals) -> CashFlowOut:
        return cls(received=money(c.received), paid=money(c.paid), days=c.days)


class PaymentLineOut(BaseModel):
    txn_qbo_id: str = Field(examples=["1042"])
    amount: Money


class BillPaymentOut(BaseModel):
    qbo_id: str | None = Field(description="null while pending (not yet confirmed by QuickBooks)",
                               examples=["3310"])
    status: Literal["pending", "completed", "voided"]
    vendor_qbo_id: str
    txn_date: date
    total_amount: Money
    pay_type: str = Field(examples=["Check"])
    bank_account_qbo_id: str | None = Field(examples=["35"])
    lines: list[PaymentLineOut]

    @classmethod
    def of(cls, p: BillPaymentRecord) -> BillPaymentOut:
        return cls(qbo_id=p.qbo_id, status=p.status.value, vendor_qbo_id=p.vendor_qbo_id, txn_date=p.txn_date,
                   total_amount=money(p.total_amount), pay_type=p.pay_type,
                   bank_account_qbo_id=p.bank_account_qbo_id,
                   lines=[PaymentLineOut(txn_qbo_id=ln.txn_qbo_id, amount=money(ln.amount)) for ln in p.lines])


PAYMENT_EXAMPLE: JsonDict = {"qbo_id": "3310", "status": "completed", "vendor_qbo_id": "56", "txn_date": "2026-11-27",
                   "total_amount": "250.00", "pay_type": "Check", "bank_account_qbo_id": "35",
                   "lines": [{"txn_qbo_id": "1042", "amount": "250.00"}]}


class AccountOut(BaseModel):
    qbo_id: str = Field(examples=["35"])
    name: str = Field(examples=["Business Checking"])
    account_type: str = Field(examples=["Bank"])
    account_sub_type: str | None = Field(examples=["Checking"])
    current_balance: Money
    currency: str = Field(examples=["USD"])

    @classmethod
    def of(cls, a: AccountRecord) -> AccountOut:
        return cls(qbo_id=a.qbo_id, name=a.name, account_type=a.account_type, account_sub_type=a.account_sub_type,
                   current_balance=money(a.current_balance), currency=a.currency)


# -- console --------------------------------------------------------------------------------------------

class ConsoleClientOut(BaseModel):
    rank: int = Field(examples=[1])
    business: BusinessOut
    runway: RunwayOut
    freshness: FreshnessOut

    @classmethod
    def of(cls, row: ConsoleRow) -> ConsoleClientOut:
        return cls(rank=row.rank, business=BusinessOut.of(row.business), runway=RunwayOut.of(row.runway),
                   freshness=FreshnessOut.of(row.freshness))


class ConsoleOut(BaseModel):
    """Every client of the advisor's firm, most urgent runway first, each with its own freshness."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "firm": {"id": 1, "name": "Harbor & Pine Advisors"}, "clients": [{
            "rank": 1, "business": {"id": 3, "name": "Rise & Shine Bakery"},
            "runway": {**RUNWAY_EXAMPLE, "runway_days": "4.1", "runway_weeks": "0.6", "status": "critical"},
            "freshness": {**FRESHNESS_EXAMPLE, "entities": ["Account", "Invoice", "Bill", "BillPayment", "Payment"]},
        }], "stale_clients": 0}]})

    firm: FirmOut
    clients: list[ConsoleClientOut]
    stale_clients: int = Field(description="how many clients' data is stale or was never synced")


# -- one client -----------------------------------------------------------------------------------------

class BillListOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"bills": [BILL_EXAMPLE],
                                                               "freshness": FRESHNESS_EXAMPLE}]})

    bills: list[BillOut]
    freshness: FreshnessOut


class PaymentReadyOut(BaseModel):
    """Unpaid bills to pay now, smallest first, stopping at the first that would exceed the cap."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "bills": [BILL_EXAMPLE], "total": "1800.00", "cash_cap": "5000.00", "remaining": "3200.00",
        "freshness": FRESHNESS_EXAMPLE}]})

    bills: list[BillOut]
    total: Money
    cash_cap: Money
    remaining: Money
    freshness: FreshnessOut

    @classmethod
    def of(cls, s: PaymentReadySelection, f: Freshness) -> PaymentReadyOut:
        return cls(bills=[BillOut.of(b) for b in s.bills], total=money(s.total), cash_cap=money(s.cash_cap),
                   remaining=money(s.remaining), freshness=FreshnessOut.of(f))


class OverdueInvoicesOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "invoices": [{"invoice": INVOICE_EXAMPLE, "days_overdue": 57, "priority": "high"}],
        "freshness": {**FRESHNESS_EXAMPLE, "entities": ["Invoice"]}}]})

    invoices: list[OverdueInvoiceOut]
    freshness: FreshnessOut


class AgingBucketOut(BaseModel):
    label: Literal["current", "1-30", "31-60", "61-90", "90+"]
    min_days: int | None
    max_days: int | None
    count: int
    total: Money


class AgingOut(BaseModel):
    """Open invoice balances by days past due."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "buckets": [{"label": "current", "min_days": None, "max_days": 0, "count": 12, "total": "8400.00"},
                    {"label": "1-30", "min_days": 1, "max_days": 30, "count": 4, "total": "2100.00"}],
        "count": 16, "total": "10500.00", "freshness": {**FRESHNESS_EXAMPLE, "entities": ["Invoice"]}}]})

    buckets: list[AgingBucketOut]
    count: int
    total: Money
    freshness: FreshnessOut

    @classmethod
    def of(cls, r: AgingReport, f: Freshness) -> AgingOut:
        return cls(buckets=[AgingBucketOut(label=b.label, min_days=b.min_days, max_days=b.max_days, count=b.count,
                                           total=money(b.total)) for b in r.buckets],
                   count=r.count, total=money(r.total), freshness=FreshnessOut.of(f))


class PaymentsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "payments": [PAYMENT_EXAMPLE], "freshness": {**FRESHNESS_EXAMPLE, "entities": ["BillPayment"]}}]})

    payments: list[BillPaymentOut]
    freshness: FreshnessOut


class RunwayAnswerOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"business": {"id": 3, "name": "Bright Smile Dental"},
                                                               "runway": RUNWAY_EXAMPLE,
                                                               "freshness": FRESHNESS_EXAMPLE}]})

    business: BusinessOut
    runway: RunwayOut
    freshness: FreshnessOut


class DigestOut(BaseModel):
    """The client's week, from the mirror: runway, AR and AP, money moved in the last 7 days, bills due in
    the next 7 days and the invoices most worth chasing. The live bank balance is ``/cash``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "business": {"id": 3, "name": "Bright Smile Dental"}, "as_of": "2026-11-27", "runway": RUNWAY_EXAMPLE,
        "cash_source": "mirror", "cash_fallback_reason": None,
        "ar": {"open_count": 40, "open_total": "18500.00", "overdue_count": 9, "overdue_total": "5200.00",
               "due_soon_count": 6, "due_soon_total": "2300.00"},
        "ap": {"open_count": 22, "open_total": "12250.00", "overdue_count": 3, "overdue_total": "1900.00",
               "due_soon_count": 5, "due_soon_total": "3100.00"},
        "last_week": {"received": "7400.00", "paid": "6900.00", "days": 7},
        "bills_due_this_week": [BILL_EXAMPLE],
        "invoices_to_chase": [{"invoice": INVOICE_EXAMPLE, "days_overdue": 57, "priority": "high"}],
        "freshness": FRESHNESS_EXAMPLE}]})

    business: BusinessOut
    as_of: date
    runway: RunwayOut
    cash_source: str = Field(examples=["mirror"])
    cash_fallback_reason: str | None
    ar: OpenAmountsOut
    ap: OpenAmountsOut
    last_week: CashFlowOut
    bills_due_this_week: list[BillOut]
    invoices_to_chase: list[OverdueInvoiceOut]
    freshness: FreshnessOut

    @classmethod
    def of(cls, d: WeeklyDigest) -> DigestOut:
        return cls(business=BusinessOut.of(d.business), as_of=d.as_of, runway=RunwayOut.of(d.runway),
                   cash_source=d.cash_source, cash_fallback_reason=d.cash_fallback_reason, ar=OpenAmountsOut.of(d.ar),
                   ap=OpenAmountsOut.of(d.ap), last_week=CashFlowOut.of(d.last_week),
                   bills_due_this_week=[BillOut.of(b) for b in d.bills_due_this_week],
                   invoices_to_chase=[OverdueInvoiceOut.of(i) for i in d.invoices_to_chase],
                   freshness=FreshnessOut.of(d.freshness))


class TrayActionOut(BaseModel):
    kind: Literal["pay_bill", "chase_invoice"]
    priority: Literal["critical", "high", "medium", "low"]
    title: str = Field(examples=["Pay bill B-1042"])
    amount: Money
    qbo_id: str
    counterparty: str | None
    due_date: date | None
    days_overdue: int
    reason: str = Field(examples=["12 days overdue"])

    @classmethod
    def of(cls, a: TrayAction) -> TrayActionOut:
        return cls(kind=a.kind.value, priority=a.priority, title=a.title, amount=money(a.amount), qbo_id=a.qbo_id,
                   counterparty=a.counterparty, due_date=a.due_date, days_overdue=a.days_overdue, reason=a.reason)


class TrayOut(BaseModel):
    """What to do next for one client, most urgent first."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "business_id": 3, "cash_cap": "21000.00", "to_pay_total": "1800.00", "to_collect_total": "2400.00",
        "actions": [{"kind": "pay_bill", "priority": "high", "title": "Pay bill B-1042", "amount": "1800.00",
                     "qbo_id": "1042", "counterparty": "Patterson Dental Supply", "due_date": "2026-11-15",
                     "days_overdue": 12, "reason": "12 days overdue"}],
        "freshness": FRESHNESS_EXAMPLE}]})

    business_id: int
    cash_cap: Money
    to_pay_total: Money
    to_collect_total: Money
    actions: list[TrayActionOut]
    freshness: FreshnessOut

    @classmethod
    def of(cls, t: PrepTray) -> TrayOut:
        return cls(business_id=t.business_id, cash_cap=money(t.cash_cap), to_pay_total=money(t.to_pay_total),
                   to_collect_total=money(t.to_collect_total), actions=[TrayActionOut.of(a) for a in t.actions],
                   freshness=FreshnessOut.of(t.freshness))


class CashOut(BaseModel):
    """Bank balances read from QuickBooks now (Pattern 2), or the mirrored ones when QuickBooks could not
    answer - then ``fell_back`` is true, ``fallback_reason`` says why and ``freshness`` how old they are."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "accounts": [{"qbo_id": "35", "name": "Business Checking", "account_type": "Bank",
                      "account_sub_type": "Checking", "current_balance": "42000.00", "currency": "USD"}],
        "total": "42000.00", "source": "live", "fell_back": False, "fallback_reason": None,
        "freshness": {**FRESHNESS_EXAMPLE, "source": "live", "age_hours": 0.0, "entities": ["Account"],
                      "description": "synced 0.0 h ago"}}]})

    accounts: list[AccountOut]
    total: Money
    source: str = Field(examples=["live", "live (cached)", "mirror (QuickBooks unavailable)"])
    fell_back: bool
    fallback_reason: str | None
    freshness: FreshnessOut

    @classmethod
    def of(cls, position: CashPosition, source: str, freshness: Freshness, reason: str | None) -> CashOut:
        return cls(accounts=[AccountOut.of(a) for a in position.accounts], total=money(position.total),
                   source=source, fell_back=reason is not None, fallback_reason=reason,
                   freshness=FreshnessOut.of(freshness))

    @classmethod
    def live(cls, answer: LiveCashPosition) -> CashOut:
        return cls.of(answer.position, answer.source, answer.freshness, answer.fallback_reason)


# -- actions --------------------------------------------------------------------------------------------

class PaymentIn(BaseModel):
    """Pay (part of) a bill in QuickBooks from a bank account."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"amount": "250.00", "bank_account_qbo_id": "35", "txn_date": "2026-11-27"}]})

    amount: AmountIn
    bank_account_qbo_id: str = Field(min_length=1, max_length=64, pattern=QBO_ID_PATTERN, examples=["35"])
    txn_date: DateIn | None = Field(None, description="the payment's date (default: today), YYYY-MM-DD within "
                                                      f"{MIN_DATE.isoformat()}..{MAX_DATE.isoformat()}")


class PaymentResultOut(BaseModel):
    """The payment as QuickBooks made it, and the bill as it stands after it. A repeat with the same
    ``Idempotency-Key`` answers this same body again (with header ``Idempotency-Replayed: true``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"payment": PAYMENT_EXAMPLE,
                                                               "bill": {**BILL_EXAMPLE, "balance": "1550.00"}}]})

    payment: BillPaymentOut
    bill: BillOut


class ReminderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"send_to": "ap@bluecafe.example"}]})

    send_to: str | None = Field(None, min_length=3, max_length=254, pattern=r"^[^\x00-\x20\x7f]+$",
                                description="send to this address instead of the invoice's billing e-mail")


class ReminderOut(BaseModel):
    """The invoice as QuickBooks holds it after sending it again."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"invoice": INVOICE_EXAMPLE}]})

    invoice: InvoiceOut


EntityName = Literal["Vendor", "Customer", "Account", "Bill", "BillPayment", "Invoice", "Payment"]


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"entities": ["Bill", "BillPayment"], "full": False, "reason": "advisor asked"}]})

    entities: list[EntityName] | None = Field(None, min_length=1, max_length=7,
                                              description="entities to sync (default: all)")
    full: StrictBool = Field(False, description="read everything again instead of the changes since the last sync")
    reason: str | None = Field(None, min_length=1, max_length=150, pattern=PLAIN_TEXT_PATTERN,
                               description="why (shown in the sync queue)")


class SyncRequestOut(BaseModel):
    """A sync request as queued (the background worker runs it; nothing was synced yet)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 17, "business_id": 3, "status": "queued", "entities": ["Bill", "BillPayment"], "full": False,
        "reason": "api", "requested_at": "2026-11-27T12:00:00Z", "request_count": 1}]})

    id: int
    business_id: int
    status: Literal["queued"] = "queued"
    entities: list[str] | None = Field(description="null: every mirrored entity")
    full: bool
    reason: str
    requested_at: datetime
    request_count: int = Field(description="how many requests were merged into this pending one")

    @classmethod
    def of(cls, r: SyncRequestRecord) -> SyncRequestOut:
        return cls(id=r.id, business_id=r.business_id, entities=None if r.entities is None else sorted(r.entities),
                   full=r.full, reason=r.reason, requested_at=r.requested_at, request_count=r.request_count)


class WebhookOut(BaseModel):
    """What a delivery led to. Notifications are hints, never data: they only queue syncs."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"notifications": 3, "queued": 1, "unknown_realms": 0, "ignored_entities": 1}]})

    notifications: int = Field(description="changes the delivery named")
    queued: int = Field(description="businesses a sync was queued for (merged into their pending request)")
    unknown_realms: int = Field(description="QBO companies no business is connected to (ignored)")
    ignored_entities: int = Field(description="changes to entities the mirror does not hold (ignored)")


# -- operations -----------------------------------------------------------------------------------------

class HealthOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"] = "ok"


class DatabaseOut(BaseModel):
    ok: bool
    error: str | None = None


class WorkerOut(BaseModel):
    """A sync worker's heartbeat (its id, which names a host and process, is not shown)."""

    last_beat: datetime
    age_seconds: float
    state: str
    alive: bool


class WorkersOut(BaseModel):
    tracked: bool = Field(description="false when this deployment keeps no worker heartbeats")
    alive: int
    newest_heartbeat_age_seconds: float | None
    workers: list[WorkerOut]


class ClientSyncOut(BaseModel):
    business_id: int
    last_synced_at: datetime | None
    age_hours: float | None
    stale: bool


class SyncSummaryOut(BaseModel):
    clients: int
    stale: int
    never_synced: int
    oldest_sync_age_hours: float | None
    per_client: list[ClientSyncOut]


class ReadyOut(BaseModel):
    """Ready when the mirror database answers; nothing else is said without a token (``/v1/readiness``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ready"}]})

    status: Literal["ready"] = "ready"


class ReadinessOut(BaseModel):
    """Ready when the mirror database answers. Worker liveness and stale clients are reported, not judged:
    a stale mirror still answers (flagged), so it does not make the API unready. ``sync`` covers the caller's
    firm's clients only."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "status": "ready", "checked_at": "2026-11-27T12:00:00Z", "database": {"ok": True, "error": None},
        "workers": {"tracked": True, "alive": 1, "newest_heartbeat_age_seconds": 4.2, "workers": [
            {"last_beat": "2026-11-27T11:59:56Z", "age_seconds": 4.2, "state": "idle", "alive": True}]},
        "sync": {"clients": 6, "stale": 1, "never_synced": 0, "oldest_sync_age_hours": 74.5,
                 "per_client": [{"business_id": 1, "last_synced_at": "2026-11-27T09:30:00Z", "age_hours": 2.5,
                                 "stale": False}]}}]})

    status: Literal["ready", "unavailable"]
    checked_at: datetime
    database: DatabaseOut
    workers: WorkersOut
    sync: SyncSummaryOut

    @classmethod
    def of(cls, r: Readiness) -> ReadinessOut:
        workers = [WorkerOut(last_beat=w.last_beat, age_seconds=round(w.age.total_seconds(), 1),
                             state=w.state, alive=w.alive) for w in (r.workers or [])]
        newest = r.newest_heartbeat_age
        per_client = [ClientSyncOut(business_id=c.business_id, last_synced_at=c.last_synced_at,
                                    age_hours=None if c.age is None else round(c.age.total_seconds() / 3600, 1),
                                    stale=c.stale) for c in r.clients]
        ages = [c.age_hours for c in per_client if c.age_hours is not None]
        return cls(
            status="ready" if r.ready else "unavailable", checked_at=r.checked_at,
            database=DatabaseOut(ok=r.ready, error=None if r.ready else "the mirror database is not answering"),
            workers=WorkersOut(tracked=r.workers is not None, alive=sum(1 for w in workers if w.alive),
                               newest_heartbeat_age_seconds=None if newest is None
                               else round(newest.total_seconds(), 1), workers=workers),
            sync=SyncSummaryOut(clients=len(per_client), stale=r.stale_clients,
                                never_synced=sum(1 for c in per_client if c.last_synced_at is None),
                                oldest_sync_age_hours=max(ages, default=None), per_client=per_client))
