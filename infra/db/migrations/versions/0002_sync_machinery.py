"""Sync machinery: quarantine of unmappable QBO entities, per-business sync locks (SQLite), the embedded
sync request queue and worker heartbeats (``infra.db.sync_tables``).

Written out explicitly (frozen), like 0001. Instants are ``timestamptz``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = {"sqlite_where": sa.text("claimed_at IS NULL"), "postgresql_where": sa.text("claimed_at IS NULL")}


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _business_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["business_id"], ["businesses.id"], name=f"fk_{table}_business_id",
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "sync_quarantine",
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("qbo_id", sa.String(length=64), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        _instant("first_seen"),
        _instant("last_seen"),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        _business_fk("sync_quarantine"),
        sa.PrimaryKeyConstraint("business_id", "entity", "qbo_id", name="pk_sync_quarantine"),
    )

    op.create_table(
        "sync_locks",
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        _instant("acquired_at"),
        _instant("expires_at"),
        _business_fk("sync_locks"),
        sa.PrimaryKeyConstraint("business_id", name="pk_sync_locks"),
    )

    op.create_table(
        "sync_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("entities", sa.Text(), nullable=True),
        sa.Column("full_sync", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _instant("requested_at"),
        _instant("last_requested_at"),
        sa.Column("request_count", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        _instant("claimed_at", nullable=True),
        _business_fk("sync_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_sync_requests"),
    )
    op.create_index("uq_sync_requests_pending_business", "sync_requests", ["business_id"], unique=True,
                    **PENDING)
    op.create_index("ix_sync_requests_claimed_at_requested_at", "sync_requests", ["claimed_at", "requested_at"])

    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sa.String(length=200), nullable=False),
        _instant("started_at"),
        _instant("last_beat"),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name="pk_worker_heartbeat"),
    )


def downgrade() -> None:
    for table in ("worker_heartbeat", "sync_requests", "sync_locks", "sync_quarantine"):
        op.drop_table(table)  # indexes go with their table
