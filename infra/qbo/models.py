"""Pydantic models of the QBO payloads the mirror reads, with QBO's own field names as aliases.

These are the QBO layer's models (distinct from ``infra.interfaces.records``, the records that cross
the infra boundary). They accept and keep fields they do not declare (``extra="allow"``), coerce numeric
Ids to strings, and hold money as ``Decimal``: feed them bodies decoded with ``parse_float=Decimal``
(as ``QboClient`` does) so amounts are exact from the wire on. Fields a mirror record cannot do without
are required; validation errors are turned into ``MalformedEntityError`` by ``infra.qbo.mapping``.
Timestamps in ``MetaData`` stay strings, exactly as QBO sent them (with the company's UTC offset).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_pascal

__all__ = [
    "Account",
    "Bill",
    "BillPayment",
    "CheckPayment",
    "CreditCardPayment",
    "Customer",
    "DeletedEntity",
    "EmailAddress",
    "Invoice",
    "Line",
    "LinkedTxn",
    "MetaData",
    "Payment",
    "PhoneNumber",
    "QboModel",
    "Ref",
    "TxnTaxDetail",
    "Vendor",
]


class QboModel(BaseModel):
    """Base: PascalCase aliases (``sync_token`` <- ``SyncToken``), extra fields kept, numbers to str."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="allow",
                              coerce_numbers_to_str=True, frozen=True)


class Ref(QboModel):
    """A reference to another entity: ``{"value": "<id>", "name": "<display>"}``."""

    value: str = Field(alias="value")
    name: str | None = Field(default=None, alias="name")


class MetaData(QboModel):
    create_time: str | None = None
    last_updated_time: str | None = None


class EmailAddress(QboModel):
    address: str | None = None


class PhoneNumber(QboModel):
    free_form_number: str | None = None


class LinkedTxn(QboModel):
    txn_id: str
    txn_type: str | None = None
    txn_line_id: str | None = None


class Line(QboModel):
    id: str | None = None
    amount: Decimal | None = None
    detail_type: str | None = None
    description: str | None = None
    linked_txn: list[LinkedTxn] = Field(default_factory=list)


class TxnTaxDetail(QboModel):
    total_tax: Decimal | None = None


class _Entity(QboModel):
    id: str
    sync_token: str
    domain: str | None = Field(default=None, alias="domain")
    sparse: bool | None = Field(default=None, alias="sparse")
    meta_data: MetaData | None = None

    @property
    def last_updated(self) -> str | None:
        return self.meta_data.last_updated_time if self.meta_data else None


class DeletedEntity(QboModel):
    """What CDC answers for a hard-deleted object: ``{"status": "Deleted", "Id": ..., "MetaData": ...}``."""

    id: str
    status: str = Field(alias="status")
    domain: str | None = Field(default=None, alias="domain")
    meta_data: MetaData | None = None


class Vendor(_Entity):
    display_name: str
    company_name: str | None = None
    active: bool = True
    balance: Decimal = Decimal("0")
    term_ref: Ref | None = None
    primary_email_addr: EmailAddress | None = None
    primary_phone: PhoneNumber | None = None


class Customer(_Entity):
    display_name: str
    company_name: str | None = None
    active: bool = True
    balance: Decimal = Decimal("0")
    sales_term_ref: Ref | None = None
    primary_email_addr: EmailAddress | None = None
    primary_phone: PhoneNumber | None = None


class Account(_Entity):
    name: str
    fully_qualified_name: str | None = None
    active: bool = True
    classification: str | None = None
    account_type: str
    account_sub_type: str | None = None
    current_balance: Decimal = Decimal("0")
    current_balance_with_sub_accounts: Decimal | None = None
    currency_ref: Ref | None = None


class Bill(_Entity):
    vendor_ref: Ref
    ap_account_ref: Ref | None = Field(default=None, alias="APAccountRef")
    txn_date: date
    due_date: date | None = None
    total_amt: Decimal
    balance: Decimal
    doc_number: str | None = None
    private_note: str | None = None
    sales_term_ref: Ref | None = None
    currency_ref: Ref | None = None
    linked_txn: list[LinkedTxn] = Field(default_factory=list)
    line: list[Line] = Field(default_factory=list)


class CheckPayment(QboModel):
    bank_account_ref: Ref | None = None
    print_status: str | None = None


class CreditCardPayment(QboModel):
    cc_account_ref: Ref | None = Field(default=None, alias="CCAccountRef")


class BillPayment(_Entity):
    vendor_ref: Ref
    pay_type: str | None = None
    check_payment: CheckPayment | None = None
    credit_card_payment: CreditCardPayment | None = None
    ap_account_ref: Ref | None = Field(default=None, alias="APAccountRef")
    txn_date: date
    total_amt: Decimal
    private_note: str | None = None
    currency_ref: Ref | None = None
    line: list[Line] = Field(default_factory=list)


class Invoice(_Entity):
    customer_ref: Ref
    doc_number: str | None = None
    txn_date: date
    due_date: date | None = None
    total_amt: Decimal
    balance: Decimal
    deposit: Decimal | None = None
    email_status: str | None = None
    bill_email: EmailAddress | None = None
    currency_ref: Ref | None = None
    txn_tax_detail: TxnTaxDetail | None = None
    linked_txn: list[LinkedTxn] = Field(default_factory=list)
    line: list[Line] = Field(default_factory=list)


class Payment(_Entity):
    """A customer payment."""

    customer_ref: Ref
    txn_date: date
    total_amt: Decimal
    private_note: str | None = None
    currency_ref: Ref | None = None
    line: list[Line] = Field(default_factory=list)
