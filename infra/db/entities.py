"""The one registry of mirrored QBO entities: everything each layer needs to know per entity, in one place.

Each ``EntitySpec`` names, for one QBO entity: its QBO name (``Entity``, the value is the name QBO uses),
the mirror table, the record type, the mapper from a QBO payload to the record (``infra.qbo.mapping``),
the record-to-row function, the upsert, the payment lines it carries (if any) and, for a transaction, the
vendor or customer whose computed balance it moves (the party: its entity, the record field and column
holding its id, and the reference QBO sends it in); for a name list, the balance QBO computes for it.

Every layer reads this registry (the mirror writer, the sync store, the sync jobs) instead of keeping its
own per-entity table. It lives in ``infra.db`` because the tables, rows and upserts do; it reads the QBO
mappers from ``infra.qbo`` (``infra.db`` already depends on ``infra.qbo``, never the other way round).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from infra.db import mapping, upsert
from infra.db.tables import (
    accounts,
    bill_payment_lines,
    bill_payments,
    bills,
    customer_payment_lines,
    customer_payments,
    customers,
    invoices,
    vendors,
)
from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillRecord,
    CustomerPaymentRecord,
    CustomerRecord,
    Entity,
    InvoiceRecord,
    VendorRecord,
)
from infra.qbo import mapping as qbo_mapping

__all__ = ["ENTITIES", "ENTITY_ORDER", "LIST_ENTITIES", "TRANSACTIONS", "ComputedBalance", "EntitySpec", "LineSpec",
           "Party", "party_of", "spec", "spec_of_record", "to_record"]


@dataclass(frozen=True, slots=True)
class LineSpec:
    """The payment lines of a payment: their table, the column naming their payment's row id and the one
    naming the document (bill or invoice) each line pays."""

    table: Table
    parent_column: str
    txn_column: str


@dataclass(frozen=True, slots=True)
class Party:
    """The vendor or customer a transaction belongs to: QBO changes its computed ``Balance`` without a new
    SyncToken when the transaction changes, so the sync re-reads it."""

    entity: Entity
    field: str  # the record attribute and mirror column holding its QBO id
    qbo_ref: str  # the reference QBO sends it in (``VendorRef``, ``CustomerRef``)


@dataclass(frozen=True, slots=True)
class ComputedBalance:
    """A balance QBO computes from other entities and changes without a new SyncToken: the mirror column
    and the QBO field holding it."""

    column: str
    qbo_field: str


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """One mirrored QBO entity (see the module docstring)."""

    entity: Entity
    table: Table
    record_type: type
    to_record: Callable[[int, Any], Any]
    to_row: Callable[[Any], dict[str, Any]]
    upsert: Callable[[Session, Iterable[Any]], dict[upsert.Key, int]]
    name_list: bool = False  # vendors, customers, accounts: queried with ``Active IN (true, false)``
    party: Party | None = None
    lines: LineSpec | None = None
    computed_balance: ComputedBalance | None = None

    @property
    def qbo_name(self) -> str:
        return self.entity.value


_BALANCE = ComputedBalance("balance", "Balance")
_VENDOR = Party(Entity.VENDOR, "vendor_qbo_id", "VendorRef")
_CUSTOMER = Party(Entity.CUSTOMER, "customer_qbo_id", "CustomerRef")

_SPECS = (
    # The sync order: name lists first, then documents, then the payments applied to them.
    EntitySpec(Entity.ACCOUNT, accounts, AccountRecord, qbo_mapping.to_account_record, mapping.account_row,
               upsert.upsert_accounts, name_list=True,
               computed_balance=ComputedBalance("current_balance", "CurrentBalance")),
    EntitySpec(Entity.VENDOR, vendors, VendorRecord, qbo_mapping.to_vendor_record, mapping.vendor_row,
               upsert.upsert_vendors, name_list=True, computed_balance=_BALANCE),
    EntitySpec(Entity.CUSTOMER, customers, CustomerRecord, qbo_mapping.to_customer_record, mapping.customer_row,
               upsert.upsert_customers, name_list=True, computed_balance=_BALANCE),
    EntitySpec(Entity.BILL, bills, BillRecord, qbo_mapping.to_bill_record, mapping.bill_row, upsert.upsert_bills,
               party=_VENDOR),
    EntitySpec(Entity.INVOICE, invoices, InvoiceRecord, qbo_mapping.to_invoice_record, mapping.invoice_row,
               upsert.upsert_invoices, party=_CUSTOMER),
    EntitySpec(Entity.BILL_PAYMENT, bill_payments, BillPaymentRecord, qbo_mapping.to_bill_payment_record,
               mapping.bill_payment_row, upsert.upsert_bill_payments, party=_VENDOR,
               lines=LineSpec(bill_payment_lines, "bill_payment_id", "bill_qbo_id")),
    EntitySpec(Entity.PAYMENT, customer_payments, CustomerPaymentRecord, qbo_mapping.to_customer_payment_record,
               mapping.customer_payment_row, upsert.upsert_customer_payments, party=_CUSTOMER,
               lines=LineSpec(customer_payment_lines, "customer_payment_id", "invoice_qbo_id")),
)

#: Every mirrored entity, in sync order.
ENTITIES: Mapping[Entity, EntitySpec] = {s.entity: s for s in _SPECS}
_BY_RECORD: Mapping[type, EntitySpec] = {s.record_type: s for s in _SPECS}

ENTITY_ORDER: tuple[Entity, ...] = tuple(ENTITIES)
LIST_ENTITIES: frozenset[Entity] = frozenset(s.entity for s in _SPECS if s.name_list)
TRANSACTIONS: frozenset[Entity] = frozenset(s.entity for s in _SPECS if s.party is not None)


def spec(entity: Entity | str) -> EntitySpec:
    """The spec of ``entity`` (an ``Entity`` or its QBO name)."""
    return ENTITIES[Entity(entity)]


def spec_of_record(record_type: type) -> EntitySpec:
    """The spec of the entity whose record type is ``record_type`` (``KeyError`` for any other type)."""
    return _BY_RECORD[record_type]


def party_of(entity: Entity | str) -> Party:
    """The vendor or customer side of a transaction entity (``ValueError`` for a name list)."""
    party = spec(entity).party
    if party is None:
        raise ValueError(f"{Entity(entity).value} is not a transaction")
    return party


def to_record(entity: Entity | str, business_id: int, payload: Any) -> Any:
    """The record of any mirrored entity from its QBO payload (``MalformedEntityError`` when it cannot be)."""
    return spec(entity).to_record(business_id, payload)
