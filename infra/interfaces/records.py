"""Plain record types that cross the infra boundary.

Records are frozen dataclasses with no behaviour and no driver types: amounts are ``Decimal``,
dates are ``datetime.date``, instants are timezone-aware ``datetime``. Every mirrored record carries
the ``business_id`` of the tenant it belongs to, the QBO ``Id`` (``qbo_id``) and ``SyncToken``, and the
``LastUpdatedTime`` exactly as QBO sent it (``qbo_updated_at``, with its UTC offset).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class Entity(enum.StrEnum):
    """The QBO entities the mirror holds, named as QBO names them."""

    VENDOR = "Vendor"
    CUSTOMER = "Customer"
    ACCOUNT = "Account"
    BILL = "Bill"
    BILL_PAYMENT = "BillPayment"
    INVOICE = "Invoice"
    PAYMENT = "Payment"


class BillPaymentStatus(enum.StrEnum):
    """Where a bill payment stands.

    ``pending`` is a payment this product asked QBO to make whose answer has not been recorded yet
    (kept so a retry reuses the same QBO ``requestid`` and never pays twice); ``completed`` exists in QBO;
    ``voided`` was voided in QBO (its amount is zero).
    """

    PENDING = "pending"
    COMPLETED = "completed"
    VOIDED = "voided"


@dataclass(frozen=True, slots=True)
class FirmRecord:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class BusinessRecord:
    """A client business: one tenant of the mirror, one QBO company (realm)."""

    id: int
    firm_id: int
    name: str
    qbo_realm_id: str


@dataclass(frozen=True, slots=True)
class VendorRecord:
    business_id: int
    qbo_id: str
    sync_token: str
    display_name: str
    company_name: str | None = None
    active: bool = True
    balance: Decimal = Decimal("0")
    email: str | None = None
    phone: str | None = None
    qbo_updated_at: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    business_id: int
    qbo_id: str
    sync_token: str
    display_name: str
    company_name: str | None = None
    active: bool = True
    balance: Decimal = Decimal("0")
    email: str | None = None
    phone: str | None = None
    qbo_updated_at: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A QBO account; bank balances are the accounts whose ``account_type`` is ``"Bank"``."""

    business_id: int
    qbo_id: str
    sync_token: str
    name: str
    account_type: str
    account_sub_type: str | None = None
    current_balance: Decimal = Decimal("0")
    currency: str = "USD"
    active: bool = True
    qbo_updated_at: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class BillRecord:
    business_id: int
    qbo_id: str
    sync_token: str
    vendor_qbo_id: str
    txn_date: date
    due_date: date | None
    total_amount: Decimal
    balance: Decimal
    doc_number: str | None = None
    vendor_name: str | None = None
    currency: str = "USD"
    private_note: str | None = None
    qbo_updated_at: str | None = None
    id: int | None = None

    @property
    def is_paid(self) -> bool:
        return self.balance == 0


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    business_id: int
    qbo_id: str
    sync_token: str
    customer_qbo_id: str
    txn_date: date
    due_date: date | None
    total_amount: Decimal
    balance: Decimal
    doc_number: str | None = None
    customer_name: str | None = None
    email_status: str | None = None
    bill_email: str | None = None
    currency: str = "USD"
    qbo_updated_at: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """One line of a payment: how much of it went to which bill or invoice (by QBO id)."""

    txn_qbo_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class BillPaymentRecord:
    business_id: int
    qbo_id: str | None
    sync_token: str | None
    vendor_qbo_id: str
    txn_date: date
    total_amount: Decimal
    status: BillPaymentStatus
    pay_type: str = "Check"
    bank_account_qbo_id: str | None = None
    lines: tuple[PaymentLine, ...] = ()
    request_id: str | None = None
    qbo_updated_at: str | None = None
    id: int | None = None
    # When a payment of ours was stored pending (before QBO was asked); None for payments read from QBO.
    pending_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class CustomerPaymentRecord:
    business_id: int
    qbo_id: str
    sync_token: str
    customer_qbo_id: str
    txn_date: date
    total_amount: Decimal
    lines: tuple[PaymentLine, ...] = ()
    qbo_updated_at: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class SyncStateRecord:
    """How far the mirror of one entity of one business has been synced."""

    business_id: int
    entity: Entity
    cursor: str | None = None
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0


# Aggregates computed by the mirror in SQL, so Pattern 1 reports never loop over rows in Python.


@dataclass(frozen=True, slots=True)
class OpenAmountSummary:
    """Count and sum of open documents (``balance > 0``), split by due status on a given day."""

    open_count: int
    open_total: Decimal
    overdue_count: int
    overdue_total: Decimal
    due_soon_count: int = 0
    due_soon_total: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class AgingBucketTotal:
    """One aging bucket: documents whose days past due fall in ``[min_days, max_days]``."""

    label: str
    min_days: int | None
    max_days: int | None
    count: int
    total: Decimal


class AgingLedger(enum.StrEnum):
    """Which side of the books an aging covers: what the business owes (AP) or is owed (AR)."""

    PAYABLES = "payables"
    RECEIVABLES = "receivables"


@dataclass(frozen=True, slots=True)
class ReportedAgingBucket:
    """One aging column of a QBO aging report: its grand total over every vendor (customer).

    ``title`` is QBO's column title (``"Current"``, ``"1 - 30"``, ..., ``"91 and over"``); ``min_days`` and
    ``max_days`` are the days past due it covers, read from that title (inclusive; ``min_days`` None is
    "not yet due", ``max_days`` None is "no upper bound"), in the same form as ``AgingBucketTotal``.
    """

    title: str
    min_days: int | None
    max_days: int | None
    total: Decimal


@dataclass(frozen=True, slots=True)
class ReportedAging:
    """QBO's own aging summary report (``AgedPayables`` / ``AgedReceivables``) of one company on one day.

    ``as_of`` is the date QBO says it aged to (the report's ``report_date``), ``buckets`` its aging columns
    in QBO's order and ``total`` its grand total.
    """

    ledger: AgingLedger
    report_name: str
    as_of: date
    buckets: tuple[ReportedAgingBucket, ...]
    total: Decimal


@dataclass(frozen=True, slots=True)
class DaysAmountBand:
    """A rule "more than ``days`` days overdue OR more than ``amount`` owed" naming a ``label``.

    The domain owns these rules; the mirror only evaluates them in SQL (first matching band wins).
    """

    label: str
    days_over: int
    amount_over: Decimal


@dataclass(frozen=True, slots=True)
class OverdueInvoiceRow:
    invoice: InvoiceRecord
    days_overdue: int
    band: str


@dataclass(frozen=True, slots=True)
class CashFlowTotals:
    """Money that moved in a window: customer payments received and bill payments made."""

    received: Decimal
    paid: Decimal
    days: int


@dataclass(frozen=True, slots=True)
class BusinessMirrorSummary:
    """Everything the multi-client console needs of one business, from one pass over the mirror."""

    business: BusinessRecord
    cash: Decimal
    open_ar: Decimal
    open_ap: Decimal
    received_last_window: Decimal
    paid_last_window: Decimal
    last_success_at: datetime | None
    synced_entities: frozenset[Entity] = field(default_factory=frozenset)
