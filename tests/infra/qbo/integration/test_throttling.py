"""Intuit's limits, enforced by the sandbox, honoured by the client's per-realm limiter.

The limiter's time is the sandbox's clock (``VirtualTime`` in conftest): when the limiter waits for a
window or a 429 pause, the sandbox clock moves by the same amount, at no real cost. Assertions are on the
sandbox's counters and on how far virtual time moved, never on wall-clock time.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from infra.interfaces.errors import QboThrottledError

THREADS = 40
READS_PER_THREAD = 5


def _consecutive_429s(qbo) -> int:
    statuses = [e.status for e in qbo.transport.data()]
    return sum(1 for a, b in zip(statuses, statuses[1:], strict=False) if a == b == 429)


@pytest.mark.slow  # forty threads against the sandbox
def test_forty_threads_through_one_client_never_exceed_the_realm_limits(qbo) -> None:
    # A little latency keeps requests open in the sandbox, so concurrency is real there too.
    qbo.state.faults.set_latency(fixed_ms=20)
    bills = qbo.realm.all_entities("Bill", decimal=True)
    started = qbo.clock.now()
    barrier = threading.Barrier(THREADS)

    def work(worker: int) -> list[str]:
        barrier.wait()
        ids = []
        for i in range(READS_PER_THREAD):
            bill = bills[(worker * READS_PER_THREAD + i) % len(bills)]
            ids.append(qbo.client.read(qbo.realm_id, "Bill", bill["Id"])["Id"])
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))

    total = THREADS * READS_PER_THREAD
    assert [len(ids) for ids in results] == [READS_PER_THREAD] * THREADS
    assert qbo.counters.throttled() == 0
    assert qbo.counters.requests(qbo.realm_id) == total  # no request was repeated: nothing failed
    seen = qbo.counters.max_concurrency(qbo.realm_id)
    assert 2 <= seen <= 10, f"the sandbox saw {seen} concurrent requests"
    assert qbo.limiters.for_realm(qbo.realm_id).in_flight == 0 and qbo.counters.in_flight(qbo.realm_id) == 0
    # 10 requests per second: 200 requests cannot all start within less than 19 s (of the shared virtual time).
    assert (qbo.clock.now() - started).total_seconds() >= (total / 10) - 1


def test_a_limiter_matching_a_lowered_window_is_never_throttled(make_qbo) -> None:
    qbo = make_qbo(requests_per_minute=30)
    qbo.state.limits.configure(requests_per_minute=30)
    started = qbo.clock.now()

    for i in range(75):
        qbo.client.read(qbo.realm_id, "Bill", str(1 + i % 50))

    assert qbo.counters.throttled() == 0 and qbo.counters.requests(qbo.realm_id) == 75
    # 75 requests at 30 per minute: the limiter waited out two full windows.
    assert (qbo.clock.now() - started).total_seconds() >= 120
    assert qbo.retry_sleeps == []


def test_an_injected_429_is_waited_out_once_and_then_succeeds(make_qbo) -> None:
    qbo = make_qbo(requests_per_minute=30)
    qbo.state.limits.configure(requests_per_minute=30)
    for i in range(40):
        qbo.client.read(qbo.realm_id, "Bill", str(i + 1))
    qbo.time.sleeps.clear()
    qbo.state.faults.throttle_next(1)

    bill = qbo.client.read(qbo.realm_id, "Bill", "7")

    assert bill["Id"] == "7"
    assert qbo.counters.throttled(qbo.realm_id) == 1 and qbo.counters.get("injected_throttles") == 1
    assert [e.status for e in qbo.transport.data()[-2:]] == [429, 200]
    assert _consecutive_429s(qbo) == 0
    # The wait was the limiter's realm pause (Intuit asks for 60 s), not tenacity's backoff.
    assert qbo.retry_sleeps == [0.0]
    assert any(abs(sleep - 60.0) < 1e-6 for sleep in qbo.time.sleeps), qbo.time.sleeps
    assert qbo.limiters.for_realm(qbo.realm_id).paused_for() == 0


def test_a_client_over_the_sandbox_window_gets_one_429_per_window_never_two_in_a_row(make_qbo) -> None:
    qbo = make_qbo()  # 500 per minute: more than the sandbox allows now
    qbo.state.limits.configure(requests_per_minute=30)

    for i in range(70):
        qbo.client.read(qbo.realm_id, "Bill", str(1 + i % 50))

    # Request 31 finds the window full; the realm pause (60 s) empties it, and so on for request 61.
    assert qbo.counters.throttled(qbo.realm_id) == 2
    assert qbo.counters.requests(qbo.realm_id) == 72
    assert _consecutive_429s(qbo) == 0
    assert sum(1 for sleep in qbo.time.sleeps if abs(sleep - 60.0) < 1e-6) == 2


def test_a_429_pauses_the_realm_for_every_thread(make_qbo) -> None:
    qbo = make_qbo(max_attempts=1)
    qbo.client.read(qbo.realm_id, "Bill", "1")
    qbo.state.faults.throttle_next(1)
    with pytest.raises(QboThrottledError):
        qbo.client.read(qbo.realm_id, "Bill", "1")  # one attempt only: the 429 is raised, the pause stays
    throttled_at = qbo.clock.now()

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda i: qbo.client.read(qbo.realm_id, "Bill", str(i))["Id"], range(1, 25)))

    assert ids == [str(i) for i in range(1, 25)]
    assert qbo.counters.throttled(qbo.realm_id) == 1
    after = qbo.transport.data()[2:]
    assert len(after) == 24 and all(e.status == 200 for e in after)
    # Not one of the eight threads sent anything before the 60 s pause was over.
    assert min(e.sent_at for e in after) - throttled_at >= timedelta(seconds=60)


def test_retries_run_out_on_a_persistent_throttle(make_qbo) -> None:
    qbo = make_qbo(max_attempts=3)
    qbo.state.faults.throttle_next(5)

    with pytest.raises(QboThrottledError) as caught:
        qbo.client.read(qbo.realm_id, "Bill", "1")

    error = caught.value
    assert error.fault_code == "3001" and error.status_code == 429 and error.intuit_tid
    assert error.retry_after_seconds == 60.0
    assert qbo.counters.throttled(qbo.realm_id) == 3 and len(qbo.transport.data()) == 3
    assert sum(1 for sleep in qbo.time.sleeps if abs(sleep - 60.0) < 1e-6) == 2
