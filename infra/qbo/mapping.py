"""QBO payloads (decoded JSON or ``infra.qbo.models``) to the records of ``infra.interfaces.records``.

Every ``to_*_record(business_id, payload)`` raises ``MalformedEntityError(entity, id, reason)`` when the
payload cannot be mapped (a required field missing, a value of the wrong type, a Deleted marker); a sync
job quarantines such entities and carries on. Rules that are a choice, not a QBO fact:

- Bill payment status: ``voided`` when ``TotalAmt`` is 0 and ``PrivateNote`` mentions "void" (QBO keeps a
  voided payment with a zero amount and notes it as voided); ``completed`` otherwise. ``pending`` is
  never mapped from QBO: it exists only in the mirror, before QBO answered.
- Payment lines: one ``PaymentLine`` per ``LinkedTxn`` of type ``Bill`` (bill payments) or ``Invoice``
  (customer payments), with the line's ``Amount``; links to other types (credits, journal entries) are
  left out. A line linking two documents of that type is malformed (its amount cannot be split).
- ``currency`` defaults to ``USD`` when ``CurrencyRef`` is absent (QBO omits it for home-currency-only
  companies); ``qbo_updated_at`` is ``MetaData.LastUpdatedTime`` verbatim.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError

from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    CustomerPaymentRecord,
    CustomerRecord,
    Entity,
    InvoiceRecord,
    PaymentLine,
    VendorRecord,
)
from infra.qbo.errors import MalformedEntityError
from infra.qbo.models import (
    Account,
    Bill,
    BillPayment,
    Customer,
    DeletedEntity,
    Invoice,
    Line,
    Payment,
    QboModel,
    Ref,
    Vendor,
)

__all__ = [
    "bill_payment_status",
    "is_deleted",
    "to_account_record",
    "to_bill_payment_record",
    "to_bill_record",
    "to_customer_payment_record",
    "to_customer_record",
    "to_deleted",
    "to_invoice_record",
    "to_vendor_record",
]

M = TypeVar("M", bound=QboModel)
Payload = Mapping[str, Any] | QboModel

DEFAULT_CURRENCY = "USD"


def is_deleted(payload: Payload) -> bool:
    """True for CDC's hard-delete marker (``"status": "Deleted"``)."""
    status = payload.get("status") if isinstance(payload, Mapping) else getattr(payload, "status", None)
    return status == "Deleted"


def _id_of(payload: Payload) -> str | None:
    value = payload.get("Id") if isinstance(payload, Mapping) else getattr(payload, "id", None)
    return None if value is None else str(value)


def _reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "<payload>"
        parts.append(f"{loc}: {err['msg']}")
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _parse(model: type[M], entity: Entity | str, payload: Payload) -> M:
    if isinstance(payload, model):
        return payload
    if is_deleted(payload):
        raise MalformedEntityError(str(entity), _id_of(payload), "is a Deleted marker, not an entity")
    if isinstance(payload, QboModel):
        payload = payload.model_dump(by_alias=True)
    if not isinstance(payload, Mapping):
        raise MalformedEntityError(str(entity), None, f"payload is a {type(payload).__name__}, not an object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise MalformedEntityError(str(entity), _id_of(payload), _reason(exc)) from exc


def _currency(ref: Ref | None) -> str:
    return ref.value if ref is not None and ref.value else DEFAULT_CURRENCY


def _payment_lines(entity: Entity, entity_id: str, lines: list[Line], txn_type: str) -> tuple[PaymentLine, ...]:
    result = []
    for index, line in enumerate(lines):
        links = [link for link in line.linked_txn if link.txn_type == txn_type]
        if not links:
            continue
        if len(links) > 1:
            raise MalformedEntityError(str(entity), entity_id,
                                       f"Line[{index}] links {len(links)} {txn_type}s; its amount cannot be split")
        if line.amount is None:
            raise MalformedEntityError(str(entity), entity_id, f"Line[{index}] links a {txn_type} but has no Amount")
        result.append(PaymentLine(txn_qbo_id=links[0].txn_id, amount=line.amount))
    return tuple(result)


def to_vendor_record(business_id: int, payload: Payload) -> VendorRecord:
    v = _parse(Vendor, Entity.VENDOR, payload)
    return VendorRecord(
        business_id=business_id, qbo_id=v.id, sync_token=v.sync_token, display_name=v.display_name,
        company_name=v.company_name, active=v.active, balance=v.balance,
        email=v.primary_email_addr.address if v.primary_email_addr else None,
        phone=v.primary_phone.free_form_number if v.primary_phone else None, qbo_updated_at=v.last_updated)


def to_customer_record(business_id: int, payload: Payload) -> CustomerRecord:
    c = _parse(Customer, Entity.CUSTOMER, payload)
    return CustomerRecord(
        business_id=business_id, qbo_id=c.id, sync_token=c.sync_token, display_name=c.display_name,
        company_name=c.company_name, active=c.active, balance=c.balance,
        email=c.primary_email_addr.address if c.primary_email_addr else None,
        phone=c.primary_phone.free_form_number if c.primary_phone else None, qbo_updated_at=c.last_updated)


def to_account_record(business_id: int, payload: Payload) -> AccountRecord:
    a = _parse(Account, Entity.ACCOUNT, payload)
    return AccountRecord(
        business_id=business_id, qbo_id=a.id, sync_token=a.sync_token, name=a.name, account_type=a.account_type,
        account_sub_type=a.account_sub_type, current_balance=a.current_balance, currency=_currency(a.currency_ref),
        active=a.active, qbo_updated_at=a.last_updated)


def to_bill_record(business_id: int, payload: Payload) -> BillRecord:
    b = _parse(Bill, Entity.BILL, payload)
    return BillRecord(
        business_id=business_id, qbo_id=b.id, sync_token=b.sync_token, vendor_qbo_id=b.vendor_ref.value,
        txn_date=b.txn_date, due_date=b.due_date, total_amount=b.total_amt, balance=b.balance,
        doc_number=b.doc_number, vendor_name=b.vendor_ref.name, currency=_currency(b.currency_ref),
        private_note=b.private_note, qbo_updated_at=b.last_updated)


def to_invoice_record(business_id: int, payload: Payload) -> InvoiceRecord:
    i = _parse(Invoice, Entity.INVOICE, payload)
    return InvoiceRecord(
        business_id=business_id, qbo_id=i.id, sync_token=i.sync_token, customer_qbo_id=i.customer_ref.value,
        txn_date=i.txn_date, due_date=i.due_date, total_amount=i.total_amt, balance=i.balance,
        doc_number=i.doc_number, customer_name=i.customer_ref.name, email_status=i.email_status,
        bill_email=i.bill_email.address if i.bill_email else None, currency=_currency(i.currency_ref),
        qbo_updated_at=i.last_updated)


def bill_payment_status(total_amount: Decimal, private_note: str | None) -> BillPaymentStatus:
    """``voided`` for a zero-amount payment noted as voided, else ``completed`` (see the module doc)."""
    if total_amount == 0 and "void" in (private_note or "").lower():
        return BillPaymentStatus.VOIDED
    return BillPaymentStatus.COMPLETED


def to_bill_payment_record(business_id: int, payload: Payload, request_id: str | None = None
                           ) -> BillPaymentRecord:
    """A bill payment as QBO holds it; ``request_id`` is the one this product sent when it created it."""
    p = _parse(BillPayment, Entity.BILL_PAYMENT, payload)
    if p.pay_type == "CreditCard":
        bank = p.credit_card_payment.cc_account_ref if p.credit_card_payment else None
    else:
        bank = p.check_payment.bank_account_ref if p.check_payment else None
    return BillPaymentRecord(
        business_id=business_id, qbo_id=p.id, sync_token=p.sync_token, vendor_qbo_id=p.vendor_ref.value,
        txn_date=p.txn_date, total_amount=p.total_amt, status=bill_payment_status(p.total_amt, p.private_note),
        pay_type=p.pay_type or "Check", bank_account_qbo_id=bank.value if bank else None,
        lines=_payment_lines(Entity.BILL_PAYMENT, p.id, p.line, "Bill"), request_id=request_id,
        qbo_updated_at=p.last_updated)


def to_customer_payment_record(business_id: int, payload: Payload) -> CustomerPaymentRecord:
    p = _parse(Payment, Entity.PAYMENT, payload)
    return CustomerPaymentRecord(
        business_id=business_id, qbo_id=p.id, sync_token=p.sync_token, customer_qbo_id=p.customer_ref.value,
        txn_date=p.txn_date, total_amount=p.total_amt,
        lines=_payment_lines(Entity.PAYMENT, p.id, p.line, "Invoice"), qbo_updated_at=p.last_updated)


def to_deleted(entity: Entity | str, payload: Payload) -> DeletedEntity:
    """A CDC Deleted marker (``Id`` and ``MetaData.LastUpdatedTime``); malformed if it is not one."""
    if not is_deleted(payload):
        raise MalformedEntityError(str(entity), _id_of(payload), "is not a Deleted marker")
    data = payload.model_dump(by_alias=True) if isinstance(payload, QboModel) else payload
    try:
        return DeletedEntity.model_validate(data)
    except ValidationError as exc:
        raise MalformedEntityError(str(entity), _id_of(payload), _reason(exc)) from exc
