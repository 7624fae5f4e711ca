"""Intuit's per-realm throttling: request rates per second and per minute, a batch rate and a concurrency cap.

A data request is *admitted* (and counted as running until ``release``) or refused with the reason to
put in the 429 fault. Each rate is a sliding window: a log of admission times read from the injected
clock, so tests can fill a window and then advance the clock past it instead of waiting. A request is
admitted only when every window has room; an entry leaves its window ``window`` seconds after it was
admitted (an entry exactly that old no longer counts). Refused requests do not enter the windows
(Intuit counts served requests).

Checked in this order, and the first limit hit is the one the fault names: in flight, per second, per
minute, batch per minute.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict, deque

from .clock import Clock
from .config import LimitSettings
from .counters import SandboxCounters

SECOND = 1.0


class _RealmWindows:
    """The admission logs of one realm."""

    def __init__(self) -> None:
        self.second: deque[float] = deque()
        self.minute: deque[float] = deque()
        self.batch: deque[float] = deque()


def _room(log: deque[float], limit: int | None, window: float, now: float) -> bool:
    """Drop entries that left the window; True when one more fits under ``limit`` (None: unlimited)."""
    while log and log[0] <= now - window:
        log.popleft()
    return limit is None or len(log) < limit


class LimitEnforcer:
    """Admission control per realm. ``settings`` can be changed at run time with ``configure``."""

    def __init__(self, settings: LimitSettings, clock: Clock, counters: SandboxCounters) -> None:
        self._settings = settings
        self._clock = clock
        self._counters = counters
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = defaultdict(int)
        self._windows: dict[str, _RealmWindows] = defaultdict(_RealmWindows)

    @property
    def settings(self) -> LimitSettings:
        return self._settings

    def configure(self, **changes: object) -> LimitSettings:
        """Change some settings (names as in ``LimitSettings``); returns the new settings."""
        with self._lock:
            self._settings = dataclasses.replace(self._settings, **changes)
            return self._settings

    def reset_windows(self) -> None:
        """Forget the request history (every rate window), e.g. between tests."""
        with self._lock:
            self._windows.clear()

    def admit(self, realm_id: str, *, batch: bool = False) -> str | None:
        """Admit a request (None) or say which limit it hits. An admitted request must be released."""
        with self._lock:
            settings = self._settings
            if settings.enabled:
                refusal = self._refusal(realm_id, settings, batch)
                if refusal is not None:
                    return refusal
                self._counters.note_window(realm_id, len(self._windows[realm_id].minute))
            self._in_flight[realm_id] += 1
            self._counters.enter(realm_id)
            return None

    def _refusal(self, realm_id: str, settings: LimitSettings, batch: bool) -> str | None:
        if settings.max_concurrent is not None and self._in_flight[realm_id] >= settings.max_concurrent:
            return f"Too many concurrent requests: at most {settings.max_concurrent} per company at a time"
        now = self._clock.now().timestamp()
        logs = self._windows[realm_id]
        minute = settings.window_seconds
        if not _room(logs.second, settings.requests_per_second, SECOND, now):
            return f"Request rate exceeded: at most {settings.requests_per_second} requests per second per company"
        if not _room(logs.minute, settings.requests_per_minute, minute, now):
            return (f"Request rate exceeded: at most {settings.requests_per_minute} requests per "
                    f"{minute:g} s per company")
        if batch and not _room(logs.batch, settings.batch_per_minute, minute, now):
            return (f"Batch rate exceeded: at most {settings.batch_per_minute} batch requests per "
                    f"{minute:g} s per company")
        logs.second.append(now)
        logs.minute.append(now)
        if batch:
            logs.batch.append(now)
        return None

    def release(self, realm_id: str) -> None:
        with self._lock:
            self._in_flight[realm_id] -= 1
            self._counters.leave(realm_id)
