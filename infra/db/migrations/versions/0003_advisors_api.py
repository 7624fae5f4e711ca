"""HTTP API access: advisors, hashed API tokens and idempotency records (``infra.db.api_tables``).

Written out explicitly (frozen), like 0001 and 0002. Instants are ``timestamptz``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "advisors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        _instant("created_at"),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name="fk_advisors_firm_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_advisors"),
        sa.UniqueConstraint("email", name="uq_advisors_email"),
    )
    op.create_index("ix_advisors_firm_id", "advisors", ["firm_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        _instant("created_at"),
        _instant("last_used_at", nullable=True),
        _instant("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["advisor_id"], ["advisors.id"], name="fk_api_tokens_advisor_id",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_advisor_id", "api_tokens", ["advisor_id"])

    op.create_table(
        "idempotency_records",
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _instant("created_at"),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name="fk_idempotency_records_firm_id",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("firm_id", "key", name="pk_idempotency_records"),
    )
    op.create_index("ix_idempotency_records_created_at", "idempotency_records", ["created_at"])


def downgrade() -> None:
    for table in ("idempotency_records", "api_tokens", "advisors"):
        op.drop_table(table)  # indexes go with their table
