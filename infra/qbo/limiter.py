"""Per-realm request limiter shared by every thread of the process.

QBO allows each company (realm) 500 requests per minute, 10 per second and 10 in flight per app. One
``RealmLimiterRegistry`` is created by the composition root and handed to every client, so all the
threads of a process draw from the same budget per realm. Each realm's limiter:

- admits a request only when fewer than ``max_in_flight`` are running for the realm,
- and fewer than ``limit`` requests may have reached QBO in the last ``window`` seconds, for every
  (limit, window),
- and the realm is not paused: a 429 pauses it for every thread for the wait QBO asked for.

QBO counts a request when it *arrives*, which is some time between our start and the answer: network and
scheduling delays move arrivals closer together than the starts were. So a request counts in a window
until ``window`` seconds after its answer came back, and a request still running counts as if it arrived
now. Pacing that way keeps the arrivals under the limit whatever the delays (a start-based window let 11
arrivals fall within one second when the first of them was delayed), at the cost of one round trip per
window at full speed.

A request that cannot be admitted blocks until it can, or until its timeout, when it raises
``QboLimiterTimeout`` (raised at once when the wait it would need is already known to be too long).
Time is injectable (``clock`` in seconds, monotonic; ``sleep``), so windows and pauses can be tested
without sleeping. Waiting for an in-flight slot uses a condition variable (woken by ``release``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from infra.qbo.config import QboClientConfig
from infra.qbo.errors import QboLimiterTimeout

__all__ = ["LimiterRegistry", "RealmLimiter", "RealmLimiterRegistry"]

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class LimiterRegistry(Protocol):
    """What the QBO client needs of a limiter: this process's ``RealmLimiterRegistry``, or the one shared
    by every process through Redis (``infra.qbo.redis_limiter.RedisRealmLimiterRegistry``)."""

    max_in_flight: int

    def slot(self, realm_id: str, timeout: float | None = None) -> AbstractContextManager[None]:
        """Hold one request slot of the realm for the duration of the ``with`` block."""
        ...

    def pause(self, realm_id: str, seconds: float) -> None:
        """Hold every request of the realm for ``seconds`` (after a 429)."""
        ...


class RealmLimiter:
    """The budget of one realm: sliding windows, an in-flight cap and a pause."""

    def __init__(self, realm_id: str, windows: Sequence[tuple[int, float]], max_in_flight: int,
                 *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        if max_in_flight < 1 or any(limit < 1 or window <= 0 for limit, window in windows):
            raise ValueError("limits and windows must be positive")
        self.realm_id = realm_id
        self.max_in_flight = max_in_flight
        self._windows = tuple((int(limit), float(window)) for limit, window in windows)
        # When recent requests finished (answer received or failed): enough to judge the largest limit.
        self._finished: deque[float] = deque(maxlen=max((limit for limit, _ in self._windows), default=1))
        self._clock = clock
        self._sleep = sleep
        self._cond = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._paused_until = float("-inf")

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        with self._cond:
            return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every request of the realm for ``seconds`` from now (a longer pause already set wins)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def _window_wait(self, now: float) -> tuple[float, bool]:
        """(seconds until every window has room for one more request started at ``now``, whether a running
        request must finish first). Running requests count as arriving now (see the module docstring)."""
        wait, needs_release = 0.0, False
        finished = self._finished
        for limit, window in self._windows:
            room = limit - self._in_flight
            if room <= 0:
                needs_release = True
            elif len(finished) >= room:
                # The room-th most recently finished request must be out of the window.
                wait = max(wait, finished[-room] + window - now)
        return wait, needs_release

    def acquire(self, timeout: float | None = None) -> None:
        """Block until the realm may send one more request and count it as started and in flight."""
        deadline = None if timeout is None else self._clock() + timeout
        self._cond.acquire()
        try:
            while True:
                now = self._clock()
                window_delay, needs_release = self._window_wait(now)
                delay = max(self._paused_until - now, window_delay)
                if delay > 0:
                    if deadline is not None and now + delay > deadline:
                        raise QboLimiterTimeout(
                            f"realm {self.realm_id}: no request slot within {timeout:g} s "
                            f"(next one in {delay:.1f} s)", retry_after_seconds=delay, realm_id=self.realm_id)
                    self._cond.release()
                    try:
                        self._sleep(delay)
                    finally:
                        self._cond.acquire()
                    continue
                if needs_release or self._in_flight >= self.max_in_flight:
                    remaining = None if deadline is None else deadline - now
                    if (remaining is not None and remaining <= 0) or not self._cond.wait(remaining):
                        raise QboLimiterTimeout(
                            f"realm {self.realm_id}: {self._in_flight} requests still in flight after "
                            f"{timeout:g} s", realm_id=self.realm_id)
                    continue
                self._in_flight += 1
                return
        finally:
            self._cond.release()

    def release(self) -> None:
        """Mark one request of the realm as finished."""
        with self._cond:
            if self._in_flight <= 0:
                raise RuntimeError("release() without a matching acquire()")
            self._in_flight -= 1
            self._finished.append(self._clock())
            self._cond.notify_all()  # every waiter re-checks: the woken one may still be held by a window

    @contextmanager
    def slot(self, timeout: float | None = None) -> Iterator[None]:
        self.acquire(timeout)
        try:
            yield
        finally:
            self.release()


class RealmLimiterRegistry:
    """One ``RealmLimiter`` per realm, created on first use; one registry per process."""

    def __init__(self, *, requests_per_minute: int = 500, requests_per_second: int | None = 10,
                 max_in_flight: int = 10, clock: Clock = time.monotonic, sleep: Sleep = time.sleep) -> None:
        windows = [(requests_per_minute, 60.0)]
        if requests_per_second is not None:
            windows.append((requests_per_second, 1.0))
        self.windows: tuple[tuple[int, float], ...] = tuple(windows)
        self.max_in_flight = max_in_flight
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._limiters: dict[str, RealmLimiter] = {}
        RealmLimiter("check", self.windows, max_in_flight)  # validate the numbers now, not on first use

    @classmethod
    def from_config(cls, config: QboClientConfig, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
                    ) -> RealmLimiterRegistry:
        """A registry with the limits of a ``QboClientConfig``."""
        return cls(requests_per_minute=config.requests_per_minute,
                   requests_per_second=config.requests_per_second,
                   max_in_flight=config.max_in_flight, clock=clock, sleep=sleep)

    def for_realm(self, realm_id: str) -> RealmLimiter:
        with self._lock:
            limiter = self._limiters.get(realm_id)
            if limiter is None:
                limiter = RealmLimiter(realm_id, self.windows, self.max_in_flight,
                                       clock=self._clock, sleep=self._sleep)
                self._limiters[realm_id] = limiter
            return limiter

    def slot(self, realm_id: str, timeout: float | None = None):
        """Context manager holding one request slot of the realm."""
        return self.for_realm(realm_id).slot(timeout)

    def pause(self, realm_id: str, seconds: float) -> None:
        self.for_realm(realm_id).pause(seconds)
