"""The shared QBO limiter on a real Redis: several registries (as several processes would hold) draw from
one budget per realm. Limits are scaled down so windows fill within a second or two."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from infra.qbo.errors import QboLimiterTimeout, QboRequestNotSent
from infra.qbo.redis_limiter import RedisRealmLimiterRegistry


def _registry(url: str, prefix: str, **limits) -> RedisRealmLimiterRegistry:
    options = {"requests_per_minute": 1000, "requests_per_second": None, "max_in_flight": 3, **limits}
    return RedisRealmLimiterRegistry(redis.Redis.from_url(url), prefix=prefix, **options)


def test_in_flight_is_capped_across_registries(redis_server: str, redis_prefix: str) -> None:
    registries = [_registry(redis_server, redis_prefix) for _ in range(4)]  # four "processes"
    running = peak = 0
    lock = threading.Lock()

    def work(registry: RedisRealmLimiterRegistry) -> None:
        nonlocal running, peak
        for _ in range(5):
            with registry.slot("realm-1", timeout=30):
                with lock:
                    running += 1
                    peak = max(peak, running)
                time.sleep(0.01)
                with lock:
                    running -= 1

    threads = [threading.Thread(target=work, args=(registries[i % 4],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 3
    assert registries[0].in_flight("realm-1") == 0


def test_a_window_limit_holds_across_registries_and_realms_are_independent(redis_server: str,
                                                                           redis_prefix: str) -> None:
    first, second = (_registry(redis_server, redis_prefix, requests_per_second=5, max_in_flight=10)
                     for _ in range(2))
    started = time.monotonic()
    for index in range(10):  # 10 requests at 5 per second: the 6th waits for the 1st to leave the window
        with (first if index % 2 else second).slot("realm-1", timeout=10):
            pass
    assert time.monotonic() - started >= 0.9
    started = time.monotonic()
    for _ in range(5):
        with first.slot("realm-2", timeout=10):
            pass
    assert time.monotonic() - started < 0.5  # another realm's budget is its own


def test_a_pause_after_a_429_holds_every_process_and_a_timeout_raises(redis_server: str, redis_prefix: str
                                                                      ) -> None:
    first, second = (_registry(redis_server, redis_prefix) for _ in range(2))
    first.pause("realm-1", 5)
    with pytest.raises(QboLimiterTimeout) as raised:
        second.acquire("realm-1", timeout=0.2)
    assert raised.value.retry_after_seconds is not None and raised.value.retry_after_seconds > 4


def test_batch_requests_have_their_own_budget(redis_server: str, redis_prefix: str) -> None:
    registry = _registry(redis_server, redis_prefix, batch_per_minute=2, max_in_flight=10)
    for _ in range(2):
        with registry.slot("realm-1", timeout=1, batch=True):
            pass
    with pytest.raises(QboLimiterTimeout):
        registry.acquire("realm-1", timeout=0.2, batch=True)
    with registry.slot("realm-1", timeout=1):  # plain requests are not held by the batch limit
        pass


def test_a_killed_holder_frees_its_slot_when_its_lease_expires(redis_server: str, redis_prefix: str) -> None:
    registry = _registry(redis_server, redis_prefix, max_in_flight=1, lease_seconds=0.3)
    registry.acquire("realm-1")  # never released, as by a process killed mid-request
    with pytest.raises(QboLimiterTimeout):
        registry.acquire("realm-1", timeout=0.1)
    time.sleep(0.35)
    registry.release("realm-1", registry.acquire("realm-1", timeout=1))


def test_an_unreachable_redis_means_the_request_is_not_sent() -> None:
    registry = RedisRealmLimiterRegistry(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2))
    with pytest.raises(QboRequestNotSent):
        registry.acquire("realm-1", timeout=1)
