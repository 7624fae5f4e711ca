"""Tables of the HTTP API's access control, on the mirror's ``metadata``; created by migration ``0003``.

Registered on ``infra.db.tables.metadata`` when this module is imported. ``infra/db/migrations/env.py``
imports it so Alembic compares against the whole schema; ``infra.db.tables`` cannot import it itself
(an import cycle between sibling modules, which the architecture contracts forbid), the same arrangement
as ``infra.db.sync_tables``.

- ``advisors``: people at an advisory firm who call the API; an advisor sees only the firm's businesses.
- ``api_tokens``: bearer tokens, stored as the SHA-256 hex digest of the token (unique, so a request is
  authenticated by one indexed lookup of the digest, never by comparing secrets), the first characters
  for display, and when they were last used and revoked.
- ``idempotency_records``: the first answer to a request that carried an ``Idempotency-Key``, per firm
  and key, with the fingerprint of the request it answered; a repeat gets the same answer again.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Table, Text, UniqueConstraint

from infra.db.tables import metadata
from infra.db.types import UTCDateTime

__all__ = ["API_TABLES", "advisors", "api_tokens", "idempotency_records"]


advisors = Table(
    "advisors", metadata,
    Column("id", Integer, primary_key=True),
    Column("firm_id", Integer, ForeignKey("firms.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),  # lower case
    Column("name", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("email"),
    Index(None, "firm_id"),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("advisor_id", Integer, ForeignKey("advisors.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False),  # sha256 hex of the whole token
    Column("prefix", String(16), nullable=False),
    Column("label", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),  # migration 0004; None: never expires
    UniqueConstraint("token_hash"),
    Index(None, "advisor_id"),
)

idempotency_records = Table(
    "idempotency_records", metadata,
    Column("firm_id", Integer, ForeignKey("firms.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),  # sha256 hex of method, path and normalised body
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),  # the JSON answer as sent
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("firm_id", "key"),
    Index(None, "created_at"),
)

API_TABLES = (advisors, api_tokens, idempotency_records)
