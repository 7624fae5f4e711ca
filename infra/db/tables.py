"""The mirror schema (SQLAlchemy Core tables); ``migrations/versions`` creates exactly this.

Every mirrored row carries the ``business_id`` of its tenant and the QBO ``Id`` / ``SyncToken`` it was
read with; ``(business_id, qbo_id)`` is unique. ``qbo_updated_at`` is QBO's ``LastUpdatedTime`` kept as the
exact text QBO sent. Amounts are ``Money`` (integer cents), instants ``UTCDateTime``.

Index notes (the digest queries must answer in a few ms for a business with 50,000 bills):
partial indexes ``WHERE balance > 0`` hold only open documents, so open-document reports read a small,
already-ordered slice of one business. Queries must spell the predicate as the literal ``balance > 0``
(see ``repositories._common.OPEN_BILL``) for SQLite to use them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from infra.db.types import Money, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

OPEN_WHERE = "balance > 0"
OPEN_BY_SIZE_WHERE = "balance >= 1"


def _open(column_sql: str = OPEN_WHERE) -> dict:
    return {"sqlite_where": text(column_sql), "postgresql_where": text(column_sql)}


def _business_fk() -> Column:
    return Column("business_id", Integer, ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False)


def _qbo_columns() -> list[Column]:
    return [
        Column("qbo_id", String(64), nullable=False),
        Column("sync_token", String(32), nullable=False),
        Column("qbo_updated_at", String(64), nullable=True),
    ]


firms = Table(
    "firms", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
)

businesses = Table(
    "businesses", metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", Integer, ForeignKey("firms.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("qbo_realm_id", String(64), nullable=False),
    # One QBO company (realm) may be a client of several firms (a client served by two firms, a firm's two
    # workspaces): each firm connects it once, and each business keeps its own mirror rows. The realm comes
    # first so that this index also answers "every business on this realm" (webhooks).
    UniqueConstraint("qbo_realm_id", "firm_id"),
    Index(None, "firm_id", "id"),
)

vendors = Table(
    "vendors", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    *_qbo_columns(),
    Column("display_name", String(500), nullable=False),
    Column("company_name", String(500), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("balance", Money, nullable=False),
    Column("email", String(320), nullable=True),
    Column("phone", String(64), nullable=True),
    UniqueConstraint("business_id", "qbo_id"),
)

customers = Table(
    "customers", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    *_qbo_columns(),
    Column("display_name", String(500), nullable=False),
    Column("company_name", String(500), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("balance", Money, nullable=False),
    Column("email", String(320), nullable=True),
    Column("phone", String(64), nullable=True),
    UniqueConstraint("business_id", "qbo_id"),
)

accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    *_qbo_columns(),
    Column("name", String(500), nullable=False),
    Column("account_type", String(64), nullable=False),
    Column("account_sub_type", String(64), nullable=True),
    Column("current_balance", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("active", Boolean, nullable=False),
    UniqueConstraint("business_id", "qbo_id"),
    Index(None, "business_id", "account_type", "active"),
)

bills = Table(
    "bills", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    *_qbo_columns(),
    Column("vendor_qbo_id", String(64), nullable=False),
    Column("txn_date", Date, nullable=False),
    Column("due_date", Date, nullable=True),
    Column("total_amount", Money, nullable=False),
    Column("balance", Money, nullable=False),
    Column("doc_number", String(64), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("private_note", Text, nullable=True),
    UniqueConstraint("business_id", "qbo_id"),
    # Open bills by due date (unpaid/overdue/due-between lists, AP summary, aging, portfolio sums).
    Index("ix_bills_open_due", "business_id", "due_date", "id", "balance", **_open()),
    # Open bills smallest first (bills_fitting_cap), covering its optional due-date filter.
    Index("ix_bills_open_balance", "business_id", "balance", "id", "due_date", **_open(OPEN_BY_SIZE_WHERE)),
    Index(None, "business_id", "vendor_qbo_id"),
)

invoices = Table(
    "invoices", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    *_qbo_columns(),
    Column("customer_qbo_id", String(64), nullable=False),
    Column("txn_date", Date, nullable=False),
    Column("due_date", Date, nullable=True),
    Column("total_amount", Money, nullable=False),
    Column("balance", Money, nullable=False),
    Column("doc_number", String(64), nullable=True),
    Column("email_status", String(32), nullable=True),
    Column("bill_email", String(320), nullable=True),
    Column("currency", String(3), nullable=False),
    UniqueConstraint("business_id", "qbo_id"),
    Index("ix_invoices_open_due", "business_id", "due_date", "id", "balance", **_open()),
    Index(None, "business_id", "customer_qbo_id"),
)

bill_payments = Table(
    "bill_payments", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    Column("qbo_id", String(64), nullable=True),
    Column("sync_token", String(32), nullable=True),
    Column("qbo_updated_at", String(64), nullable=True),
    Column("vendor_qbo_id", String(64), nullable=False),
    Column("txn_date", Date, nullable=False),
    Column("total_amount", Money, nullable=False),
    Column("status", String(16), nullable=False),
    Column("pay_type", String(32), nullable=False),
    Column("bank_account_qbo_id", String(64), nullable=True),
    Column("request_id", String(64), nullable=True),
    # When our own payment was stored pending (migration 0004): pending rows older than a bound are settled.
    Column("pending_since", UTCDateTime, nullable=True),
    UniqueConstraint("business_id", "qbo_id"),
    UniqueConstraint("business_id", "request_id"),
    CheckConstraint("status IN ('pending', 'completed', 'voided')", name="status"),
    # Cash-flow sums (covering) and newest-first listings.
    Index(None, "business_id", "status", "txn_date", "total_amount"),
    Index(None, "business_id", "txn_date"),
)

bill_payment_lines = Table(
    "bill_payment_lines", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    Column("bill_payment_id", Integer, ForeignKey("bill_payments.id", ondelete="CASCADE"), nullable=False),
    Column("bill_qbo_id", String(64), nullable=False),
    Column("amount", Money, nullable=False),
    Index(None, "bill_payment_id"),
    Index(None, "business_id", "bill_qbo_id"),
)

customer_payments = Table(
    "customer_payments", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    *_qbo_columns(),
    Column("customer_qbo_id", String(64), nullable=False),
    Column("txn_date", Date, nullable=False),
    Column("total_amount", Money, nullable=False),
    UniqueConstraint("business_id", "qbo_id"),
    Index(None, "business_id", "txn_date", "total_amount"),
    Index(None, "business_id", "customer_qbo_id", "txn_date"),
)

customer_payment_lines = Table(
    "customer_payment_lines", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    Column("customer_payment_id", Integer, ForeignKey("customer_payments.id", ondelete="CASCADE"),
           nullable=False),
    Column("invoice_qbo_id", String(64), nullable=False),
    Column("amount", Money, nullable=False),
    Index(None, "customer_payment_id"),
    Index(None, "business_id", "invoice_qbo_id"),
)

sync_state = Table(
    "sync_state", metadata,
    _business_fk(),
    Column("entity", String(32), nullable=False),
    Column("cursor", String(200), nullable=True),
    Column("last_success_at", UTCDateTime, nullable=True),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("consecutive_failures", Integer, nullable=False),
    PrimaryKeyConstraint("business_id", "entity"),
)

qbo_connections = Table(
    "qbo_connections", metadata,
    # Keyed by the QBO company (realm), not by business: QBO's tokens authorize this app on a company, so the
    # latest grant saved for a realm serves every business on it (several firms may connect the same
    # company) and one refresh serves them all. Tokens can be saved before the business row exists (OAuth
    # callback first), so there is no foreign key.
    Column("realm_id", String(64), primary_key=True),
    Column("refresh_token_enc", Text, nullable=True),
    Column("access_token_enc", Text, nullable=True),
    Column("access_expires_at", UTCDateTime, nullable=True),
    Column("refresh_expires_at", UTCDateTime, nullable=True),
    Column("status", String(32), nullable=False),
    Column("reason", Text, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('not_connected', 'connected', 'reconnect_required')", name="status"),
)

MIRROR_TABLES = (vendors, customers, accounts, bills, invoices, bill_payments, customer_payments)

__all__ = [
    "MIRROR_TABLES",
    "accounts",
    "bill_payment_lines",
    "bill_payments",
    "bills",
    "businesses",
    "customer_payment_lines",
    "customer_payments",
    "customers",
    "firms",
    "invoices",
    "metadata",
    "qbo_connections",
    "sync_state",
    "vendors",
]
