"""Initial mirror schema: firms, businesses, the QBO entity mirror, sync state and QBO connections.

Written out explicitly (frozen): it does not import the application's tables or types. Money columns are
BIGINT cents and instants ``timestamptz`` (``infra.db.types.Money`` / ``UTCDateTime`` in the models).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = {"sqlite_where": sa.text("balance > 0"), "postgresql_where": sa.text("balance > 0")}
# Same rows (amounts are integer cents), spelled differently so that only bills_fitting_cap matches it.
OPEN_BY_SIZE = {"sqlite_where": sa.text("balance >= 1"), "postgresql_where": sa.text("balance >= 1")}


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def _instant(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _business_id(table: str) -> list:
    return [
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["businesses.id"], name=f"fk_{table}_business_id",
                                ondelete="CASCADE"),
    ]


def _qbo(table: str) -> list:
    return [
        sa.Column("qbo_id", sa.String(length=64), nullable=False),
        sa.Column("sync_token", sa.String(length=32), nullable=False),
        sa.Column("qbo_updated_at", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("business_id", "qbo_id", name=f"uq_{table}_business_id_qbo_id"),
    ]


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=f"pk_{table}")


def _party(table: str) -> None:
    """vendors and customers share their shape."""
    op.create_table(
        table,
        _id(),
        *_business_id(table),
        *_qbo(table),
        sa.Column("display_name", sa.String(length=500), nullable=False),
        sa.Column("company_name", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _money("balance"),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        _pk(table),
    )


def upgrade() -> None:
    op.create_table(
        "firms",
        _id(),
        sa.Column("name", sa.String(length=200), nullable=False),
        _pk("firms"),
    )
    op.create_table(
        "businesses",
        _id(),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("qbo_realm_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name="fk_businesses_firm_id", ondelete="CASCADE"),
        sa.UniqueConstraint("qbo_realm_id", name="uq_businesses_qbo_realm_id"),
        _pk("businesses"),
    )
    op.create_index("ix_businesses_firm_id_id", "businesses", ["firm_id", "id"])

    _party("vendors")
    _party("customers")

    op.create_table(
        "accounts",
        _id(),
        *_business_id("accounts"),
        *_qbo("accounts"),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("account_type", sa.String(length=64), nullable=False),
        sa.Column("account_sub_type", sa.String(length=64), nullable=True),
        _money("current_balance"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _pk("accounts"),
    )
    op.create_index("ix_accounts_business_id_account_type_active", "accounts",
                    ["business_id", "account_type", "active"])

    op.create_table(
        "bills",
        _id(),
        *_business_id("bills"),
        *_qbo("bills"),
        sa.Column("vendor_qbo_id", sa.String(length=64), nullable=False),
        sa.Column("txn_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        _money("total_amount"),
        _money("balance"),
        sa.Column("doc_number", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("private_note", sa.Text(), nullable=True),
        _pk("bills"),
    )
    op.create_index("ix_bills_open_due", "bills", ["business_id", "due_date", "id", "balance"], **OPEN)
    op.create_index("ix_bills_open_balance", "bills", ["business_id", "balance", "id", "due_date"],
                    **OPEN_BY_SIZE)
    op.create_index("ix_bills_business_id_vendor_qbo_id", "bills", ["business_id", "vendor_qbo_id"])

    op.create_table(
        "invoices",
        _id(),
        *_business_id("invoices"),
        *_qbo("invoices"),
        sa.Column("customer_qbo_id", sa.String(length=64), nullable=False),
        sa.Column("txn_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        _money("total_amount"),
        _money("balance"),
        sa.Column("doc_number", sa.String(length=64), nullable=True),
        sa.Column("email_status", sa.String(length=32), nullable=True),
        sa.Column("bill_email", sa.String(length=320), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _pk("invoices"),
    )
    op.create_index("ix_invoices_open_due", "invoices", ["business_id", "due_date", "id", "balance"], **OPEN)
    op.create_index("ix_invoices_business_id_customer_qbo_id", "invoices", ["business_id", "customer_qbo_id"])

    op.create_table(
        "bill_payments",
        _id(),
        *_business_id("bill_payments"),
        sa.Column("qbo_id", sa.String(length=64), nullable=True),
        sa.Column("sync_token", sa.String(length=32), nullable=True),
        sa.Column("qbo_updated_at", sa.String(length=64), nullable=True),
        sa.Column("vendor_qbo_id", sa.String(length=64), nullable=False),
        sa.Column("txn_date", sa.Date(), nullable=False),
        _money("total_amount"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pay_type", sa.String(length=32), nullable=False),
        sa.Column("bank_account_qbo_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("business_id", "qbo_id", name="uq_bill_payments_business_id_qbo_id"),
        sa.UniqueConstraint("business_id", "request_id", name="uq_bill_payments_business_id_request_id"),
        sa.CheckConstraint("status IN ('pending', 'completed', 'voided')", name="ck_bill_payments_status"),
        _pk("bill_payments"),
    )
    op.create_index("ix_bill_payments_business_id_status_txn_date_total_amount", "bill_payments",
                    ["business_id", "status", "txn_date", "total_amount"])
    op.create_index("ix_bill_payments_business_id_txn_date", "bill_payments", ["business_id", "txn_date"])

    op.create_table(
        "bill_payment_lines",
        _id(),
        *_business_id("bill_payment_lines"),
        sa.Column("bill_payment_id", sa.Integer(), nullable=False),
        sa.Column("bill_qbo_id", sa.String(length=64), nullable=False),
        _money("amount"),
        sa.ForeignKeyConstraint(["bill_payment_id"], ["bill_payments.id"],
                                name="fk_bill_payment_lines_bill_payment_id", ondelete="CASCADE"),
        _pk("bill_payment_lines"),
    )
    op.create_index("ix_bill_payment_lines_bill_payment_id", "bill_payment_lines", ["bill_payment_id"])
    op.create_index("ix_bill_payment_lines_business_id_bill_qbo_id", "bill_payment_lines",
                    ["business_id", "bill_qbo_id"])

    op.create_table(
        "customer_payments",
        _id(),
        *_business_id("customer_payments"),
        *_qbo("customer_payments"),
        sa.Column("customer_qbo_id", sa.String(length=64), nullable=False),
        sa.Column("txn_date", sa.Date(), nullable=False),
        _money("total_amount"),
        _pk("customer_payments"),
    )
    op.create_index("ix_customer_payments_business_id_txn_date_total_amount", "customer_payments",
                    ["business_id", "txn_date", "total_amount"])
    op.create_index("ix_customer_payments_business_id_customer_qbo_id_txn_date", "customer_payments",
                    ["business_id", "customer_qbo_id", "txn_date"])

    op.create_table(
        "customer_payment_lines",
        _id(),
        *_business_id("customer_payment_lines"),
        sa.Column("customer_payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_qbo_id", sa.String(length=64), nullable=False),
        _money("amount"),
        sa.ForeignKeyConstraint(["customer_payment_id"], ["customer_payments.id"],
                                name="fk_customer_payment_lines_customer_payment_id", ondelete="CASCADE"),
        _pk("customer_payment_lines"),
    )
    op.create_index("ix_customer_payment_lines_customer_payment_id", "customer_payment_lines",
                    ["customer_payment_id"])
    op.create_index("ix_customer_payment_lines_business_id_invoice_qbo_id", "customer_payment_lines",
                    ["business_id", "invoice_qbo_id"])

    op.create_table(
        "sync_state",
        *_business_id("sync_state"),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.String(length=200), nullable=True),
        _instant("last_success_at"),
        _instant("last_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        _pk("sync_state", "business_id", "entity"),
    )

    op.create_table(
        "qbo_connections",
        sa.Column("realm_id", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("access_token_enc", sa.Text(), nullable=True),
        _instant("access_expires_at"),
        _instant("refresh_expires_at"),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _instant("updated_at", nullable=False),
        sa.CheckConstraint("status IN ('not_connected', 'connected', 'reconnect_required')",
                           name="ck_qbo_connections_status"),
        _pk("qbo_connections", "realm_id"),
    )


def downgrade() -> None:
    for table in ("qbo_connections", "sync_state", "customer_payment_lines", "customer_payments",
                  "bill_payment_lines", "bill_payments", "invoices", "bills", "accounts", "customers",
                  "vendors", "businesses", "firms"):
        op.drop_table(table)  # indexes go with their table
