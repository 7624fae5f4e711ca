"""The per-realm limiter: at most N starts in any 60 s window, at most M in flight, pauses for all threads."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.qbo import QboLimiterTimeout, RealmLimiter, RealmLimiterRegistry
from tests.infra.qbo.conftest import REALM, FakeClock, json_response


def registry(clock: FakeClock, *, rpm: int = 500, rps: int | None = None, in_flight: int = 10) -> RealmLimiterRegistry:
    return RealmLimiterRegistry(requests_per_minute=rpm, requests_per_second=rps, max_in_flight=in_flight,
                                clock=clock, sleep=clock.sleep)


def test_the_n_plus_first_request_in_a_minute_waits_for_the_oldest_to_leave_the_window():
    clock = FakeClock(start=0.0)
    limiter = registry(clock, rpm=5).for_realm(REALM)
    for _ in range(5):
        with limiter.slot():
            pass
        clock.sleep(1.0)  # requests start at t = 0, 1, 2, 3, 4
    clock.sleeps.clear()
    with limiter.slot():  # t = 5: must wait until t = 60
        assert clock() == pytest.approx(60.0)
    assert clock.sleeps == [pytest.approx(55.0)]


def test_per_second_window():
    clock = FakeClock(start=0.0)
    limiter = registry(clock, rpm=500, rps=10).for_realm(REALM)
    for _ in range(11):
        with limiter.slot():
            pass
    assert clock.sleeps == [pytest.approx(1.0)]


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(1, 8), window_gaps=st.lists(st.floats(0, 30, allow_nan=False), min_size=1, max_size=60))
def test_never_more_than_n_starts_in_any_window(limit, window_gaps):
    clock = FakeClock(start=0.0)
    limiter = RealmLimiter(REALM, [(limit, 60.0)], max_in_flight=100, clock=clock, sleep=clock.sleep)
    starts = []
    for gap in window_gaps:
        clock.sleep(gap)
        limiter.acquire(timeout=None)
        starts.append(clock())
        limiter.release()
    for t in starts:
        assert sum(1 for s in starts if t <= s < t + 60.0) <= limit


def test_window_wait_longer_than_the_timeout_fails_at_once():
    clock = FakeClock(start=0.0)
    limiter = registry(clock, rpm=1).for_realm(REALM)
    limiter.acquire(timeout=1)
    limiter.release()
    with pytest.raises(QboLimiterTimeout) as info:
        limiter.acquire(timeout=5)
    assert info.value.retry_after_seconds == pytest.approx(60.0) and info.value.realm_id == REALM
    assert clock.sleeps == []


def test_in_flight_cap_blocks_until_timeout():
    clock = FakeClock()
    limiter = registry(clock, in_flight=2).for_realm(REALM)
    limiter.acquire(1)
    limiter.acquire(1)
    with pytest.raises(QboLimiterTimeout):
        limiter.acquire(timeout=0.05)  # both slots held and nobody releases: it gives up instead of waiting on
    limiter.release()
    limiter.acquire(timeout=0.05)  # a released slot is free again
    assert limiter.in_flight == 2


def test_a_release_wakes_a_waiting_thread():
    clock = FakeClock()
    limiter = registry(clock, in_flight=1).for_realm(REALM)
    limiter.acquire(1)
    got = threading.Event()
    waiter = threading.Thread(target=lambda: (limiter.acquire(timeout=5), got.set()))
    waiter.start()
    assert not got.wait(0.05)
    limiter.release()
    assert got.wait(2)
    waiter.join(2)


def test_pause_holds_every_thread_of_the_realm_only():
    clock = FakeClock(start=0.0)
    limiters = registry(clock)
    limiters.pause(REALM, 7.0)
    limiters.pause(REALM, 2.0)  # a shorter pause does not cut the longer one
    assert limiters.for_realm(REALM).paused_for() == pytest.approx(7.0)
    with limiters.slot("other-realm"):
        pass
    assert clock.sleeps == []

    done = threading.Event()
    threading.Thread(target=lambda: (limiters.for_realm(REALM).acquire(10), done.set())).start()
    assert done.wait(2)
    assert clock.sleeps == [pytest.approx(7.0)]


def test_realms_have_separate_budgets():
    clock = FakeClock(start=0.0)
    limiters = registry(clock, rpm=1, in_flight=1)
    limiters.for_realm("a").acquire(1)
    limiters.for_realm("b").acquire(1)
    assert limiters.for_realm("a") is limiters.for_realm("a")
    assert clock.sleeps == []


def test_release_without_acquire_is_an_error():
    with pytest.raises(RuntimeError):
        registry(FakeClock()).for_realm(REALM).release()


def test_threads_never_exceed_max_in_flight_at_the_transport(harness_factory):
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "total": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            state["now"] += 1
            state["total"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.005)
        with lock:
            state["now"] -= 1
        return json_response(200, {"QueryResponse": {}})

    real = RealmLimiterRegistry(requests_per_minute=500, requests_per_second=None, max_in_flight=3)
    h = harness_factory(handler, registry=real)
    errors = []

    def work() -> None:
        try:
            for _ in range(5):
                h.client.query(REALM, "SELECT * FROM Bill")
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and state["total"] == 60
    assert 2 <= state["max"] <= 3
    assert real.for_realm(REALM).in_flight == 0


def test_registry_from_config_uses_the_configured_limits():
    from tests.infra.qbo.conftest import CONFIG

    limiters = RealmLimiterRegistry.from_config(CONFIG)
    assert limiters.windows == ((500, 60.0), (10, 1.0)) and limiters.max_in_flight == 10
