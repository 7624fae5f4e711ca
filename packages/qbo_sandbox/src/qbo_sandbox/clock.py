"""Time for the sandbox: an injectable clock and QBO's timestamp formats.

Everything in the sandbox that depends on "now" (MetaData times, token expiry, the CDC 30-day window,
the per-minute rate limit) reads it from one ``Clock`` so tests can move time forward instead of
sleeping. Only ``asyncio.sleep`` for injected latency uses real time.

Timestamps are kept as aware ``datetime`` objects internally and rendered the way QBO renders them:
ISO-8601 with seconds precision and the company's local offset (``2026-11-20T09:15:02-08:00``).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """A source of the current instant. ``now()`` must return an aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; thread-safe.

    ``start`` defaults to the real current time so a sandbox built on a manual clock still produces
    plausible dates; tests that need exact values pass a fixed ``start``.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start if start is not None else datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move the clock forward by ``delta`` (a timedelta or seconds) and return the new now."""
        if not isinstance(delta, timedelta):
            delta = timedelta(seconds=delta)
        if delta < timedelta(0):
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now += delta
            return self._now

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (must be aware; may not go backwards)."""
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        with self._lock:
            if instant < self._now:
                raise ValueError("a clock only moves forward")
            self._now = instant


def parse_offset(text: str) -> timezone:
    """``"-08:00"`` -> a fixed-offset timezone."""
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def qbo_timestamp(instant: datetime, tz: timezone) -> str:
    """Render ``instant`` as QBO MetaData does: seconds precision, the company's offset."""
    return instant.astimezone(tz).replace(microsecond=0).isoformat()


def qbo_response_time(instant: datetime, tz: timezone) -> str:
    """The ``time`` member of JSON answers: milliseconds precision, the company's offset."""
    return instant.astimezone(tz).isoformat(timespec="milliseconds")


def parse_instant(text: str, default_tz: timezone) -> datetime:
    """Parse an ISO-8601 date or date-time as an aware datetime.

    A value without an offset is read as the company's local time (``default_tz``) and a bare date as
    local midnight, which is how QBO reads ``changedSince=2026-11-20`` and query literals.
    Raises ``ValueError`` on anything else.
    """
    text = text.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=default_tz)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=default_tz)
