"""Payments: bill payments made, the cash that moved, and paying a bill.

- ``bill_payments`` and ``cash_flow``: Pattern 1 (local read) through ``PaymentMirror``.
- ``record_bill_payment``: Pattern 2 (live write) through ``QboGateway``, then written through to the
  mirror so Pattern 1 reads see the payment and the lowered bill balance at once.

Paying twice is the failure that matters here. Every payment gets a QBO ``requestid`` derived from the
caller's idempotency key and stored in the mirror *before* QBO is asked, as a pending payment. A retry
with the same key - after a timeout, a lost answer, a crash - reuses that ``requestid``, and QBO answers
a repeated ``requestid`` with the payment it already made instead of making another.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domains.core.clock import Clock
from domains.core.errors import ActionRefused, InvalidInput, LiveDataUnavailable, NotFound
from domains.core.freshness import Answer, FreshnessReader
from domains.core.money import to_money
from infra.interfaces.errors import (
    QboError,
    QboReconnectRequired,
    QboThrottledError,
    QboUnavailableError,
    QboValidationError,
    RecordNotFound,
    StorageError,
)
from infra.interfaces.patterns import live, local_read
from infra.interfaces.ports import BillMirror, BusinessDirectory, PaymentMirror, QboGateway
from infra.interfaces.records import (
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    CashFlowTotals,
    Entity,
    PaymentLine,
)

# Idempotency keys map to QBO request ids within this namespace, per business.
_REQUEST_ID_NAMESPACE = uuid.UUID("6f1c2a52-3a4e-4d1b-9a55-2b0f7d1c9e10")


@dataclass(frozen=True, slots=True)
class BillPaymentResult:
    payment: BillPaymentRecord
    bill: BillRecord
    replayed: bool


class PaymentService:
    """Bill payments: reads from the mirror (Pattern 1) and paying a bill in QBO (Pattern 2).

    Contract: scoped to one ``business_id``. The reads never go to QuickBooks, raise ``InvalidInput``
    for a bad filter and carry the freshness of the BillPayment (and, for cash flow, Payment) sync.
    ``record_bill_payment`` is idempotent per ``idempotency_key`` (see the module docstring).
    """

    def __init__(self, payments: PaymentMirror, freshness: FreshnessReader, clock: Clock,
                 bills: BillMirror | None = None, directory: BusinessDirectory | None = None,
                 gateway: QboGateway | None = None) -> None:
        self._payments = payments
        self._freshness = freshness
        self._clock = clock
        self._bills = bills
        self._directory = directory
        self._gateway = gateway

    @local_read
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

    @local_read
    def cash_flow(self, business_id: int, days: int) -> Answer[CashFlowTotals]:
        """Money received from customers and paid to vendors over the last ``days`` days, today included."""
        if days <= 0:
            raise InvalidInput("days", "days must be positive")
        today = self._clock.today()
        totals = self._payments.cash_flow(business_id, today - timedelta(days=days - 1), today)
        entities = (Entity.BILL_PAYMENT, Entity.PAYMENT)
        return Answer(totals, self._freshness.of(business_id, entities, self._clock.now()))

    @live
    def record_bill_payment(self, business_id: int, bill_qbo_id: str, amount: Decimal | str,
                            bank_account_qbo_id: str, idempotency_key: str | None = None,
                            txn_date: date | None = None) -> BillPaymentResult:
        """Pay ``amount`` of a bill from a bank account in QBO, then update the mirror.

        Raises ``InvalidInput`` (bad amount, more than the bill's balance), ``NotFound`` (unknown business
        or bill), ``ActionRefused`` (QBO refused the payment; nothing was paid) and ``LiveDataUnavailable``
        (QBO could not be reached; retry with the same ``idempotency_key``, it will not pay twice).
        A repeated call with a key that already paid answers the first payment with ``replayed`` True.
        """
        if self._bills is None or self._directory is None or self._gateway is None:
            raise RuntimeError("PaymentService was built without a QBO gateway: live writes are not wired")
        value = to_money(amount)
        if value <= 0:
            raise InvalidInput("amount", "amount must be more than zero")
        if not bank_account_qbo_id:
            raise InvalidInput("bank_account_qbo_id", "bank_account_qbo_id is required")
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
            raise InvalidInput("idempotency_key", "idempotency_key must be 1 to 200 characters")
        try:
            business = self._directory.get_business(business_id)
            bill = self._bills.get_bill_by_qbo_id(business_id, bill_qbo_id)
        except RecordNotFound as exc:
            raise NotFound("bill", bill_qbo_id, business_id) from exc

        request_id = (str(uuid.uuid5(_REQUEST_ID_NAMESPACE, f"{business_id}:{idempotency_key}"))
                      if idempotency_key else str(uuid.uuid4()))
        existing = self._payments.find_bill_payment_by_request_id(business_id, request_id)
        if existing is not None and existing.status is not BillPaymentStatus.PENDING:
            return BillPaymentResult(existing, bill, replayed=True)
        if existing is None:
            if value > bill.balance:
                raise InvalidInput("amount", f"amount {value} is more than the bill's balance {bill.balance}")
            lines: tuple[PaymentLine, ...] = (PaymentLine(bill.qbo_id, value),)
            try:
                self._payments.add_pending_bill_payment(BillPaymentRecord(
                    business_id, None, None, bill.vendor_qbo_id, txn_date or self._clock.today(), value,
                    BillPaymentStatus.PENDING, bank_account_qbo_id=bank_account_qbo_id, lines=lines,
                    request_id=request_id, pending_since=self._clock.now()))
            except StorageError:
                # Another request with the same key got there first: answer as its repeat.
                existing = self._payments.find_bill_payment_by_request_id(business_id, request_id)
                if existing is None:
                    raise
                if existing.status is not BillPaymentStatus.PENDING:
                    return BillPaymentResult(existing, bill, replayed=True)
        if existing is None:
            pending_date, pending_lines = txn_date or self._clock.today(), lines
        else:
            # A pending payment from an earlier attempt: repeat exactly that request.
            pending_date, pending_lines = existing.txn_date, existing.lines
            bank_account_qbo_id = existing.bank_account_qbo_id or bank_account_qbo_id
        try:
            created = self._gateway.create_bill_payment(business, bill.vendor_qbo_id, bank_account_qbo_id,
                                                        pending_date, pending_lines, request_id)
        except QboValidationError as exc:
            # QBO answers a repeated requestid with the first result, so a refusal means nothing was paid.
            self._payments.discard_pending_bill_payment(business_id, request_id)
            raise ActionRefused(f"QuickBooks refused the payment: {exc.message}") from exc
        except (QboUnavailableError, QboThrottledError) as exc:
            # The pending row stays: a retry with the same key repeats the same requestid.
            raise LiveDataUnavailable(f"QuickBooks unavailable; retrying with the same idempotency key will "
                                      f"not pay twice: {exc.message}",
                                      retry_after_seconds=getattr(exc, "retry_after_seconds", None)) from exc
        except QboReconnectRequired as exc:
            raise LiveDataUnavailable("QuickBooks must be reconnected for this company") from exc
        except QboError as exc:
            raise LiveDataUnavailable(f"QuickBooks failed: {exc.message}") from exc
        try:
            paid_bill = self._gateway.get_bill(business, bill.qbo_id)
        except QboError:
            # The payment is made; mirror the balance it lowered and let the next sync bring the SyncToken.
            paid = sum((ln.amount for ln in created.lines if ln.txn_qbo_id == bill.qbo_id), Decimal("0"))
            paid_bill = dataclasses.replace(bill, balance=max(bill.balance - paid, Decimal("0")))
        done = self._payments.complete_bill_payment(business_id, request_id, created, [paid_bill])
        return BillPaymentResult(done, paid_bill, replayed=existing is not None)
