"""What the sandbox has seen, for tests to assert on instead of timing things.

All counters are cumulative since start (or the last ``reset()``) and thread-safe. ``snapshot()``
returns plain JSON-ready data (also served at ``GET /_sandbox/counters``).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass


@dataclass
class _RealmCounters:
    requests: int = 0
    throttled: int = 0
    in_flight: int = 0
    max_concurrency: int = 0
    max_per_minute: int = 0


class SandboxCounters:
    """Request, throttle, fault and webhook counters.

    Per realm: ``requests`` (data-API requests received), ``throttled`` (429 answers, injected or not),
    ``in_flight`` (now), ``max_concurrency`` (highest ``in_flight`` seen), ``max_per_minute`` (the most
    requests admitted in one sliding rate window, ``LimitSettings.window_seconds``: Intuit's minute; as the
    limit enforcer counts them, so 0 while limits are off).
    Global: ``responses_by_status``, ``token_requests``, injected faults (``injected_throttles``,
    ``injected_errors``, ``dropped_connections``, ``injected_latency_ms`` total, ``malformed_served``) and
    webhooks (``webhook_posts``, ``webhook_failures``, ``webhook_events``).
    """

    _GLOBAL = ("token_requests", "injected_throttles", "injected_errors", "dropped_connections",
               "malformed_served", "webhook_posts", "webhook_failures", "webhook_events")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero everything except ``in_flight`` (requests running now keep being counted correctly)."""
        with self._lock:
            old = getattr(self, "_realms", {})
            self._realms: dict[str, _RealmCounters] = {
                realm: _RealmCounters(in_flight=c.in_flight, max_concurrency=c.in_flight) for realm, c in old.items()
            }
            self._status: Counter[int] = Counter()
            self._global: Counter[str] = Counter()
            self._latency_ms = 0.0

    # ------------------------------------------------------------------------------------- updates

    def _realm(self, realm_id: str) -> _RealmCounters:
        counters = self._realms.get(realm_id)
        if counters is None:
            counters = self._realms[realm_id] = _RealmCounters()
        return counters

    def count_request(self, realm_id: str) -> None:
        with self._lock:
            self._realm(realm_id).requests += 1

    def count_throttled(self, realm_id: str) -> None:
        with self._lock:
            self._realm(realm_id).throttled += 1

    def enter(self, realm_id: str) -> int:
        """A request starts running; returns the realm's in-flight count including it."""
        with self._lock:
            counters = self._realm(realm_id)
            counters.in_flight += 1
            counters.max_concurrency = max(counters.max_concurrency, counters.in_flight)
            return counters.in_flight

    def note_window(self, realm_id: str, admitted: int) -> None:
        """The realm's sliding minute window now holds ``admitted`` requests (the limit enforcer's count)."""
        with self._lock:
            counters = self._realm(realm_id)
            counters.max_per_minute = max(counters.max_per_minute, admitted)

    def leave(self, realm_id: str) -> None:
        with self._lock:
            self._realm(realm_id).in_flight -= 1

    def count_status(self, status: int) -> None:
        with self._lock:
            self._status[status] += 1

    def add(self, name: str, amount: int = 1) -> None:
        if name not in self._GLOBAL:
            raise KeyError(name)
        with self._lock:
            self._global[name] += amount

    def add_latency(self, milliseconds: float) -> None:
        with self._lock:
            self._latency_ms += milliseconds

    # --------------------------------------------------------------------------------------- reads

    def requests(self, realm_id: str | None = None) -> int:
        with self._lock:
            return self._sum("requests", realm_id)

    def throttled(self, realm_id: str | None = None) -> int:
        """429 answers (injected bursts and real limit hits), for one realm or all."""
        with self._lock:
            return self._sum("throttled", realm_id)

    def in_flight(self, realm_id: str) -> int:
        with self._lock:
            return self._realm(realm_id).in_flight

    def max_concurrency(self, realm_id: str | None = None) -> int:
        with self._lock:
            values = [c.max_concurrency for r, c in self._realms.items() if realm_id in (None, r)]
            return max(values, default=0)

    def max_per_minute(self, realm_id: str | None = None) -> int:
        """The most requests one realm (or the busiest realm) had in one sliding minute window."""
        with self._lock:
            values = [c.max_per_minute for r, c in self._realms.items() if realm_id in (None, r)]
            return max(values, default=0)

    def get(self, name: str) -> int:
        """One global counter by name (see the class docstring)."""
        with self._lock:
            return self._global[name]

    def status(self, status: int) -> int:
        with self._lock:
            return self._status[status]

    def injected_latency_ms(self) -> float:
        with self._lock:
            return self._latency_ms

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "realms": {realm: vars(c).copy() for realm, c in self._realms.items()},
                "responses_by_status": {str(status): n for status, n in sorted(self._status.items())},
                "injected_latency_ms": self._latency_ms,
                **{name: self._global[name] for name in self._GLOBAL},
            }

    def _sum(self, attribute: str, realm_id: str | None) -> int:
        return sum(getattr(c, attribute) for r, c in self._realms.items() if realm_id in (None, r))
