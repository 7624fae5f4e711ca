"""QBO's per-realm limits held across every process on every machine: a limiter whose state is in Redis.

``RedisRealmLimiterRegistry`` has the interface of ``RealmLimiterRegistry`` (``slot``, ``pause``,
``max_in_flight``) and applies the same rules (see ``infra.qbo.limiter``), but each realm's budget lives in
Redis, so sync workers in several processes and the API's live calls draw from one budget:

- at most ``max_in_flight`` requests of the realm are running (a sorted set of slot tokens; each slot is a
  *lease* that expires after ``lease_seconds``, so a process killed mid-request frees its slots);
- for every (limit, window), fewer than ``limit`` requests finished within the last ``window`` seconds,
  counting the running ones (a request counts in a window until ``window`` after its answer: QBO counts
  it on arrival, somewhere between our start and the answer);
- batch requests (``slot(..., batch=True)``) also obey ``batch_per_minute``;
- a 429 pauses the realm for every process (``pause``).

Each decision is one Lua script, run atomically by Redis and timed by Redis's own clock (``TIME``), so the
hosts' clocks never matter. A request that cannot be admitted waits the time the script names (or polls
every ``poll_seconds`` when it waits for a running request to finish), until its timeout, when it raises
``QboLimiterTimeout``. Redis being unreachable raises ``QboRequestNotSent``: nothing was sent.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

import redis

from infra.qbo.config import QboClientConfig
from infra.qbo.errors import QboLimiterTimeout, QboRequestNotSent

__all__ = ["RedisRealmLimiterRegistry"]

# KEYS: in-flight leases, pause, finished (every request), finished batch requests.
# ARGV: token, lease ms, max in flight, is batch (0/1), batch limit (0: none), batch window ms, then
#       (limit, window ms) pairs. Returns 0 (admitted), a wait in ms, or -1 (a running request must end).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
local running = redis.call('ZCARD', KEYS[1])
if running >= tonumber(ARGV[3]) then return -1 end
local function window_wait(key, limit, window)
  local room = limit - running
  if room <= 0 then return -1 end
  local recent = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
  if recent < room then return 0 end
  local item = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT',
                          recent - room, 1)
  return tonumber(item[2]) + window - now + 1
end
local wait = 0
for i = 7, #ARGV, 2 do
  local w = window_wait(KEYS[3], tonumber(ARGV[i]), tonumber(ARGV[i + 1]))
  if w < 0 then return -1 end
  if w > wait then wait = w end
end
if ARGV[4] == '1' and tonumber(ARGV[5]) > 0 then
  local w = window_wait(KEYS[4], tonumber(ARGV[5]), tonumber(ARGV[6]))
  if w < 0 then return -1 end
  if w > wait then wait = w end
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 0
"""

# KEYS: in-flight leases, finished, finished batch. ARGV: token, is batch, keep ms (the longest window).
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
local keep = tonumber(ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - keep)
redis.call('PEXPIRE', KEYS[2], keep * 2)
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[3], now, ARGV[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - keep)
  redis.call('PEXPIRE', KEYS[3], keep * 2)
end
return 0
"""

# KEYS: pause. ARGV: ms. A longer pause already set wins.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untill = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untill > current then redis.call('SET', KEYS[1], untill, 'PX', tonumber(ARGV[1]) + 1000) end
return 0
"""


class RedisRealmLimiterRegistry:
    """Per-realm QBO budgets in Redis, shared by every process (see the module docstring)."""

    def __init__(self, client: redis.Redis, *, prefix: str = "runway:qbo-limits", requests_per_minute: int = 500,
                 requests_per_second: int | None = 10, max_in_flight: int = 10, batch_per_minute: int | None = 40,
                 lease_seconds: float = 180.0, poll_seconds: float = 0.01,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic
                 ) -> None:
        if min(max_in_flight, requests_per_minute, requests_per_second or 1, batch_per_minute or 1) < 1:
            raise ValueError("limits must be positive")
        windows = [(requests_per_minute, 60.0)]
        if requests_per_second is not None:
            windows.append((requests_per_second, 1.0))
        self.windows: tuple[tuple[int, float], ...] = tuple(windows)
        self.max_in_flight = max_in_flight
        self.batch_per_minute = batch_per_minute
        self._redis = client
        self._prefix = prefix
        self._lease_ms = int(lease_seconds * 1000)
        self._keep_ms = int(max(window for _, window in windows) * 1000)
        self._poll = poll_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._pause = client.register_script(_PAUSE)

    @classmethod
    def from_config(cls, config: QboClientConfig, client: redis.Redis, *, prefix: str = "runway:qbo-limits"
                    ) -> RedisRealmLimiterRegistry:
        """A registry with the limits of a ``QboClientConfig``; leases outlive the longest request."""
        lease = config.read_timeout_seconds + config.connect_timeout_seconds + config.write_timeout_seconds + 30
        return cls(client, prefix=prefix, requests_per_minute=config.requests_per_minute,
                   requests_per_second=config.requests_per_second, max_in_flight=config.max_in_flight,
                   lease_seconds=lease)

    def _keys(self, realm_id: str) -> tuple[str, str, str, str]:
        base = f"{self._prefix}:{{{realm_id}}}"  # one hash slot per realm (Redis Cluster)
        return f"{base}:in-flight", f"{base}:paused", f"{base}:finished", f"{base}:batch"

    def _run(self, script: Any, keys: list[str], args: list[Any]) -> int:
        try:
            return int(script(keys=keys, args=args))
        except redis.RedisError as exc:
            raise QboRequestNotSent(f"the shared QBO limiter (Redis) is unreachable: {type(exc).__name__}: {exc}"
                                    ) from exc

    def acquire(self, realm_id: str, timeout: float | None = None, *, batch: bool = False) -> str:
        """Block until the realm may send one more request; returns the slot's token (for ``release``)."""
        token = uuid.uuid4().hex
        in_flight, paused, finished, batches = self._keys(realm_id)
        args: list[Any] = [token, self._lease_ms, self.max_in_flight, "1" if batch else "0",
                           self.batch_per_minute or 0, 60_000]
        for limit, window in self.windows:
            args.extend((limit, int(window * 1000)))
        deadline = None if timeout is None else self._monotonic() + timeout
        while True:
            wait_ms = self._run(self._acquire, [in_flight, paused, finished, batches], args)
            if wait_ms == 0:
                return token
            delay = self._poll if wait_ms < 0 else wait_ms / 1000
            if deadline is not None:
                remaining = deadline - self._monotonic()
                if remaining <= 0 or (wait_ms > 0 and delay > remaining):
                    what = (f"next one in {delay:.1f} s" if wait_ms > 0
                            else f"{self.max_in_flight} requests still in flight")
                    raise QboLimiterTimeout(f"realm {realm_id}: no request slot within {timeout:g} s ({what})",
                                            retry_after_seconds=delay if wait_ms > 0 else None,
                                            realm_id=realm_id)
                delay = min(delay, remaining)
            self._sleep(delay)

    def release(self, realm_id: str, token: str, *, batch: bool = False) -> None:
        in_flight, _, finished, batches = self._keys(realm_id)
        self._run(self._release, [in_flight, finished, batches], [token, "1" if batch else "0", self._keep_ms])

    @contextmanager
    def slot(self, realm_id: str, timeout: float | None = None, *, batch: bool = False) -> Iterator[None]:
        """Hold one request slot of the realm (released, and counted as finished, on leaving)."""
        token = self.acquire(realm_id, timeout, batch=batch)
        try:
            yield
        finally:
            # Redis gone: the lease expires on its own, and the answer must not be lost for this.
            with suppress(QboRequestNotSent):
                self.release(realm_id, token, batch=batch)

    def pause(self, realm_id: str, seconds: float) -> None:
        """Hold every request of the realm, in every process, for ``seconds`` from now."""
        _, paused, _, _ = self._keys(realm_id)
        self._run(self._pause, [paused], [max(1, int(seconds * 1000))])

    def in_flight(self, realm_id: str) -> int:
        """Requests of the realm running now, in every process (leases not expired)."""
        in_flight = self._keys(realm_id)[0]
        try:
            now_ms = int(self._redis.time()[0]) * 1000
            return int(self._redis.zcount(in_flight, f"({now_ms}", "+inf"))
        except redis.RedisError as exc:
            raise QboRequestNotSent(f"the shared QBO limiter (Redis) is unreachable: {exc}") from exc
