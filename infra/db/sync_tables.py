"""Tables of the background sync machinery (``infra.jobs``), on the mirror's ``metadata``.

Created by migration ``0002``. They are registered on ``infra.db.tables.metadata`` when this module is
imported; ``infra/db/migrations/env.py`` imports it, so Alembic compares (and autogenerates) against the
whole schema. (``infra.db.tables`` cannot import this module itself: that would be an import cycle
between sibling modules, which the architecture contracts forbid.)

- ``sync_quarantine``: QBO entities that could not be mapped or stored, kept with the payload and the
  error so a person can look at them; a row is removed as soon as that id syncs fine again.
- ``sync_locks``: one sync at a time per business on SQLite (PostgreSQL uses advisory locks instead):
  a row held by an owner until ``expires_at``; the owner renews it while it works.
- ``sync_requests``: the embedded sync request queue. At most one *pending* (unclaimed) request per
  business (a partial unique index), so bursts of webhooks coalesce into one row whose entity set grows.
- ``worker_heartbeat``: the last time each scheduler worker went round its loop (readiness checks).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Table, Text, text

from infra.db.tables import metadata
from infra.db.types import UTCDateTime

__all__ = ["SYNC_TABLES", "sync_locks", "sync_quarantine", "sync_requests", "worker_heartbeat"]


def _business_fk() -> Column:
    return Column("business_id", Integer, ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False)


sync_quarantine = Table(
    "sync_quarantine", metadata,
    _business_fk(),
    Column("entity", String(32), nullable=False),
    # The QBO Id; a payload without one is keyed "?<hash of the payload>".
    Column("qbo_id", String(64), nullable=False),
    Column("error", Text, nullable=False),
    Column("payload", Text, nullable=False),  # JSON, as QBO sent it
    Column("first_seen", UTCDateTime, nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("times_seen", Integer, nullable=False),
    PrimaryKeyConstraint("business_id", "entity", "qbo_id"),
)

sync_locks = Table(
    "sync_locks", metadata,
    Column("business_id", Integer, ForeignKey("businesses.id", ondelete="CASCADE"), primary_key=True),
    Column("owner", String(200), nullable=False),  # host:pid:uuid of the holder
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)

sync_requests = Table(
    "sync_requests", metadata,
    Column("id", Integer, primary_key=True),
    _business_fk(),
    # Entity names, comma-separated and sorted; NULL means every mirrored entity.
    Column("entities", Text, nullable=True),
    Column("full_sync", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("last_requested_at", UTCDateTime, nullable=False),
    Column("request_count", Integer, nullable=False),  # how many requests were coalesced into this one
    Column("claimed_by", String(200), nullable=True),
    Column("claimed_at", UTCDateTime, nullable=True),
    # One pending request per business: duplicates and bursts merge into it.
    Index("uq_sync_requests_pending_business", "business_id", unique=True,
          sqlite_where=text("claimed_at IS NULL"), postgresql_where=text("claimed_at IS NULL")),
    Index(None, "claimed_at", "requested_at"),
)

worker_heartbeat = Table(
    "worker_heartbeat", metadata,
    Column("worker_id", String(200), primary_key=True),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_beat", UTCDateTime, nullable=False),
    Column("state", String(64), nullable=False),  # e.g. "idle", "syncing"
)

SYNC_TABLES = (sync_quarantine, sync_locks, sync_requests, worker_heartbeat)
