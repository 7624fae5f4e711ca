"""Small record builders for the mirror tests (every field but the interesting ones defaulted)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    CustomerPaymentRecord,
    CustomerRecord,
    InvoiceRecord,
    PaymentLine,
    VendorRecord,
)

D = Decimal
DAY = date(2026, 3, 31)


def vendor(business_id: int, qbo_id: str, name: str | None = None, *, token: str = "0", **kw) -> VendorRecord:
    return VendorRecord(business_id=business_id, qbo_id=qbo_id, sync_token=token,
                        display_name=name or f"Vendor {qbo_id}", **kw)


def customer(business_id: int, qbo_id: str, name: str | None = None, *, token: str = "0", **kw) -> CustomerRecord:
    return CustomerRecord(business_id=business_id, qbo_id=qbo_id, sync_token=token,
                          display_name=name or f"Customer {qbo_id}", **kw)


def account(business_id: int, qbo_id: str, name: str, balance: str, *, account_type: str = "Bank",
            token: str = "0", active: bool = True, **kw) -> AccountRecord:
    return AccountRecord(business_id=business_id, qbo_id=qbo_id, sync_token=token, name=name,
                         account_type=account_type, current_balance=D(balance), active=active, **kw)


def bill(business_id: int, qbo_id: str, balance: str, due: date | None, *, total: str | None = None,
         vendor_qbo_id: str = "v1", token: str = "0", txn: date = date(2026, 1, 1), **kw) -> BillRecord:
    return BillRecord(business_id=business_id, qbo_id=qbo_id, sync_token=token, vendor_qbo_id=vendor_qbo_id,
                      txn_date=txn, due_date=due, total_amount=D(total or balance), balance=D(balance), **kw)


def invoice(business_id: int, qbo_id: str, balance: str, due: date | None, *, total: str | None = None,
            customer_qbo_id: str = "c1", token: str = "0", txn: date = date(2026, 1, 1), **kw) -> InvoiceRecord:
    return InvoiceRecord(business_id=business_id, qbo_id=qbo_id, sync_token=token,
                         customer_qbo_id=customer_qbo_id, txn_date=txn, due_date=due,
                         total_amount=D(total or balance), balance=D(balance), **kw)


def bill_payment(business_id: int, qbo_id: str | None, amount: str, day: date, *,
                 status: BillPaymentStatus = BillPaymentStatus.COMPLETED, token: str | None = "0",
                 vendor_qbo_id: str = "v1", lines: tuple[tuple[str, str], ...] = (), **kw) -> BillPaymentRecord:
    return BillPaymentRecord(business_id=business_id, qbo_id=qbo_id, sync_token=token,
                             vendor_qbo_id=vendor_qbo_id, txn_date=day, total_amount=D(amount), status=status,
                             lines=tuple(PaymentLine(q, D(a)) for q, a in lines), **kw)


def customer_payment(business_id: int, qbo_id: str, amount: str, day: date, *, customer_qbo_id: str = "c1",
                     token: str = "0", lines: tuple[tuple[str, str], ...] = (), **kw) -> CustomerPaymentRecord:
    return CustomerPaymentRecord(business_id=business_id, qbo_id=qbo_id, sync_token=token,
                                 customer_qbo_id=customer_qbo_id, txn_date=day, total_amount=D(amount),
                                 lines=tuple(PaymentLine(q, D(a)) for q, a in lines), **kw)
