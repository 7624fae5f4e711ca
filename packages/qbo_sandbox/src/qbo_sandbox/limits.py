"""Intuit's per-realm throttling: a sliding-window request rate and a concurrency cap.

A data request is *admitted* (and counted as running until ``release``) or refused with the reason
to put in the 429 fault. The rate window is a log of admission times read from the injected clock,
so tests can fill a window and then advance the clock past it instead of waiting a minute.
Refused requests do not enter the window (Intuit counts served requests).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict, deque

from .clock import Clock
from .config import LimitSettings
from .counters import SandboxCounters


class LimitEnforcer:
    """Admission control per realm. ``settings`` can be changed at run time with ``configure``."""

    def __init__(self, settings: LimitSettings, clock: Clock, counters: SandboxCounters) -> None:
        self._settings = settings
        self._clock = clock
        self._counters = counters
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = defaultdict(int)
        self._window: dict[str, deque[float]] = defaultdict(deque)

    @property
    def settings(self) -> LimitSettings:
        return self._settings

    def configure(self, **changes: object) -> LimitSettings:
        """Change some settings (names as in ``LimitSettings``); returns the new settings."""
        with self._lock:
            self._settings = dataclasses.replace(self._settings, **changes)
            return self._settings

    def reset_windows(self) -> None:
        """Forget the request history (the rate window), e.g. between tests."""
        with self._lock:
            self._window.clear()

    def admit(self, realm_id: str) -> str | None:
        """Admit a request (None) or say why it is throttled. An admitted request must be released."""
        with self._lock:
            settings = self._settings
            if settings.enabled:
                if self._in_flight[realm_id] >= settings.max_concurrent:
                    return f"Too many concurrent requests: at most {settings.max_concurrent} per company at a time"
                now = self._clock.now().timestamp()
                window = self._window[realm_id]
                while window and window[0] <= now - settings.window_seconds:
                    window.popleft()
                if len(window) >= settings.requests_per_minute:
                    return (f"Request rate exceeded: at most {settings.requests_per_minute} requests per "
                            f"{settings.window_seconds:g} s per company")
                window.append(now)
            self._in_flight[realm_id] += 1
            self._counters.enter(realm_id)
            return None

    def release(self, realm_id: str) -> None:
        with self._lock:
            self._in_flight[realm_id] -= 1
            self._counters.leave(realm_id)
