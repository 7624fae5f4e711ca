"""The current instant for infra's own bookkeeping (sync runs, queued requests, tokens, locks, heartbeats).

Every job and store takes a ``clock`` (or ``now``) argument that defaults to ``utc_now``, so tests and the
sandbox's manual clock can stand in for it.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)
