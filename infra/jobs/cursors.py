"""Sync cursors: QBO timestamps with the company's UTC offset, kept as text.

A cursor is the instant a sync read from, written the way QBO writes ``MetaData.LastUpdatedTime``
(``2026-11-20T09:15:02-08:00``): seconds precision and the company's own offset, learned from the
timestamps QBO sends. It is the ``time`` QBO stamped on the run's earliest answer minus a safety overlap
(QBO's clock, not the host's), so rows changed while a run pages through QBO are read again by the next
run rather than skipped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["format_cursor", "offset_of", "parse_qbo_time"]

_OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def parse_qbo_time(text: str | None) -> datetime | None:
    """An aware datetime from a QBO timestamp (``Z`` or ``+hh:mm``); None when absent or unreadable or
    without an offset."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def offset_of(text: str | None) -> timezone | None:
    """The UTC offset a QBO timestamp is written in, or None."""
    if not text:
        return None
    match = _OFFSET.search(text.strip())
    if match is None:
        return None
    value = match.group(1)
    if value == "Z":
        return UTC
    sign = -1 if value[0] == "-" else 1
    hours, minutes = int(value[1:3]), int(value[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def format_cursor(instant: datetime, tz: timezone | None) -> str:
    """``instant`` as a cursor: seconds precision (rounded down), in ``tz`` (UTC when unknown)."""
    if instant.tzinfo is None:
        raise ValueError("a cursor instant must be timezone-aware")
    return instant.astimezone(tz or UTC).replace(microsecond=0).isoformat()
