"""Records <-> table rows. Pure functions: no session, no queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    BusinessRecord,
    CustomerPaymentRecord,
    CustomerRecord,
    Entity,
    FirmRecord,
    InvoiceRecord,
    PaymentLine,
    SyncStateRecord,
    VendorRecord,
)

Row = Mapping[str, Any]


# -- rows -> records ---------------------------------------------------------------------------------

def firm_record(row: Row) -> FirmRecord:
    return FirmRecord(id=row["id"], name=row["name"])


def business_record(row: Row) -> BusinessRecord:
    return BusinessRecord(id=row["id"], firm_id=row["firm_id"], name=row["name"], qbo_realm_id=row["qbo_realm_id"])


def vendor_record(row: Row) -> VendorRecord:
    return VendorRecord(
        business_id=row["business_id"], qbo_id=row["qbo_id"], sync_token=row["sync_token"],
        display_name=row["display_name"], company_name=row["company_name"], active=bool(row["active"]),
        balance=row["balance"], email=row["email"], phone=row["phone"], qbo_updated_at=row["qbo_updated_at"],
        id=row["id"],
    )


def customer_record(row: Row) -> CustomerRecord:
    return CustomerRecord(
        business_id=row["business_id"], qbo_id=row["qbo_id"], sync_token=row["sync_token"],
        display_name=row["display_name"], company_name=row["company_name"], active=bool(row["active"]),
        balance=row["balance"], email=row["email"], phone=row["phone"], qbo_updated_at=row["qbo_updated_at"],
        id=row["id"],
    )


def account_record(row: Row) -> AccountRecord:
    return AccountRecord(
        business_id=row["business_id"], qbo_id=row["qbo_id"], sync_token=row["sync_token"], name=row["name"],
        account_type=row["account_type"], account_sub_type=row["account_sub_type"],
        current_balance=row["current_balance"], currency=row["currency"], active=bool(row["active"]),
        qbo_updated_at=row["qbo_updated_at"], id=row["id"],
    )


def bill_record(row: Row) -> BillRecord:
    return BillRecord(
        business_id=row["business_id"], qbo_id=row["qbo_id"], sync_token=row["sync_token"],
        vendor_qbo_id=row["vendor_qbo_id"], txn_date=row["txn_date"], due_date=row["due_date"],
        total_amount=row["total_amount"], balance=row["balance"], doc_number=row["doc_number"],
        vendor_name=row.get("vendor_name"), currency=row["currency"], private_note=row["private_note"],
        qbo_updated_at=row["qbo_updated_at"], id=row["id"],
    )


def invoice_record(row: Row) -> InvoiceRecord:
    return InvoiceRecord(
        business_id=row["business_id"], qbo_id=row["qbo_id"], sync_token=row["sync_token"],
        customer_qbo_id=row["customer_qbo_id"], txn_date=row["txn_date"], due_date=row["due_date"],
        total_amount=row["total_amount"], balance=row["balance"], doc_number=row["doc_number"],
        customer_name=row.get("customer_name"), email_status=row["email_status"], bill_email=row["bill_email"],
        currency=row["currency"], qbo_updated_at=row["qbo_updated_at"], id=row["id"],
    )


def bill_payment_record(row: Row, lines: Iterable[PaymentLine] = ()) -> BillPaymentRecord:
    return BillPaymentRecord(
        business_id=row["business_id"], qbo_id=row["qbo_id"], sync_token=row["sync_token"],
        vendor_qbo_id=row["vendor_qbo_id"], txn_date=row["txn_date"], total_amount=row["total_amount"],
        status=BillPaymentStatus(row["status"]), pay_type=row["pay_type"],
        bank_account_qbo_id=row["bank_account_qbo_id"], lines=tuple(lines), request_id=row["request_id"],
        qbo_updated_at=row["qbo_updated_at"], id=row["id"], pending_since=row.get("pending_since"),
    )


def customer_payment_record(row: Row, lines: Iterable[PaymentLine] = ()) -> CustomerPaymentRecord:
    return CustomerPaymentRecord(
        business_id=row["business_id"], qbo_id=row["qbo_id"], sync_token=row["sync_token"],
        customer_qbo_id=row["customer_qbo_id"], txn_date=row["txn_date"], total_amount=row["total_amount"],
        lines=tuple(lines), qbo_updated_at=row["qbo_updated_at"], id=row["id"],
    )


def sync_state_record(row: Row) -> SyncStateRecord:
    return SyncStateRecord(
        business_id=row["business_id"], entity=Entity(row["entity"]), cursor=row["cursor"],
        last_success_at=row["last_success_at"], last_attempt_at=row["last_attempt_at"],
        last_error=row["last_error"], consecutive_failures=row["consecutive_failures"],
    )


# -- records -> rows (no ``id``: the database assigns it) ---------------------------------------------

def vendor_row(r: VendorRecord) -> dict[str, Any]:
    return {
        "business_id": r.business_id, "qbo_id": r.qbo_id, "sync_token": r.sync_token,
        "qbo_updated_at": r.qbo_updated_at, "display_name": r.display_name, "company_name": r.company_name,
        "active": r.active, "balance": r.balance, "email": r.email, "phone": r.phone,
    }


def customer_row(r: CustomerRecord) -> dict[str, Any]:
    return {
        "business_id": r.business_id, "qbo_id": r.qbo_id, "sync_token": r.sync_token,
        "qbo_updated_at": r.qbo_updated_at, "display_name": r.display_name, "company_name": r.company_name,
        "active": r.active, "balance": r.balance, "email": r.email, "phone": r.phone,
    }


def account_row(r: AccountRecord) -> dict[str, Any]:
    return {
        "business_id": r.business_id, "qbo_id": r.qbo_id, "sync_token": r.sync_token,
        "qbo_updated_at": r.qbo_updated_at, "name": r.name, "account_type": r.account_type,
        "account_sub_type": r.account_sub_type, "current_balance": r.current_balance, "currency": r.currency,
        "active": r.active,
    }


def bill_row(r: BillRecord) -> dict[str, Any]:
    return {
        "business_id": r.business_id, "qbo_id": r.qbo_id, "sync_token": r.sync_token,
        "qbo_updated_at": r.qbo_updated_at, "vendor_qbo_id": r.vendor_qbo_id, "txn_date": r.txn_date,
        "due_date": r.due_date, "total_amount": r.total_amount, "balance": r.balance, "doc_number": r.doc_number,
        "currency": r.currency, "private_note": r.private_note,
    }


def invoice_row(r: InvoiceRecord) -> dict[str, Any]:
    return {
        "business_id": r.business_id, "qbo_id": r.qbo_id, "sync_token": r.sync_token,
        "qbo_updated_at": r.qbo_updated_at, "customer_qbo_id": r.customer_qbo_id, "txn_date": r.txn_date,
        "due_date": r.due_date, "total_amount": r.total_amount, "balance": r.balance, "doc_number": r.doc_number,
        "email_status": r.email_status, "bill_email": r.bill_email, "currency": r.currency,
    }


def bill_payment_row(r: BillPaymentRecord) -> dict[str, Any]:
    return {
        "business_id": r.business_id, "qbo_id": r.qbo_id, "sync_token": r.sync_token,
        "qbo_updated_at": r.qbo_updated_at, "vendor_qbo_id": r.vendor_qbo_id, "txn_date": r.txn_date,
        "total_amount": r.total_amount, "status": BillPaymentStatus(r.status).value, "pay_type": r.pay_type,
        "bank_account_qbo_id": r.bank_account_qbo_id, "request_id": r.request_id,
        "pending_since": r.pending_since if r.status is BillPaymentStatus.PENDING else None,
    }


def customer_payment_row(r: CustomerPaymentRecord) -> dict[str, Any]:
    return {
        "business_id": r.business_id, "qbo_id": r.qbo_id, "sync_token": r.sync_token,
        "qbo_updated_at": r.qbo_updated_at, "customer_qbo_id": r.customer_qbo_id, "txn_date": r.txn_date,
        "total_amount": r.total_amount,
    }


def sync_state_row(r: SyncStateRecord) -> dict[str, Any]:
    return {
        "business_id": r.business_id, "entity": Entity(r.entity).value, "cursor": r.cursor,
        "last_success_at": r.last_success_at, "last_attempt_at": r.last_attempt_at, "last_error": r.last_error,
        "consecutive_failures": r.consecutive_failures,
    }
