"""Intuit's throttling: at most 10 concurrent requests and 500 per minute per realm (429 / fault 3001).
The per-second and batch limits are pinned in test_fidelity_limits.py."""

from __future__ import annotations

import asyncio

import httpx

from qbo_sandbox import LimitSettings, ManualClock, SandboxCounters
from qbo_sandbox.limits import LimitEnforcer


def _assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429
    error = response.json()["Fault"]["Error"][0]
    assert error["code"] == "3001"
    assert error["Message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"


async def _wait_for(condition, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def test_the_eleventh_concurrent_request_is_throttled(sandbox) -> None:
    state, realm_id = sandbox.state, sandbox.realm_id
    # A long injected delay holds requests open; turning it off releases them (no real waiting).
    state.faults.set_latency(fixed_ms=30_000)

    async def scenario() -> tuple[httpx.Response, list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=str(sandbox.client.base_url), headers=sandbox.client.headers,
                                     timeout=10) as client:
            held = [asyncio.create_task(client.get("bill/1")) for _ in range(10)]
            await _wait_for(lambda: state.counters.in_flight(realm_id) == 10)
            eleventh = await client.get("bill/1")
            state.faults.set_latency(0)
            return eleventh, await asyncio.gather(*held)

    eleventh, held = asyncio.run(scenario())

    _assert_throttled(eleventh)
    assert [response.status_code for response in held] == [200] * 10
    assert state.counters.max_concurrency(realm_id) == 10
    assert state.counters.throttled(realm_id) == 1
    assert state.counters.in_flight(realm_id) == 0


def test_the_request_rate_is_limited_over_a_sliding_window(make_sandbox) -> None:
    # The minute window alone (the per-second one would refuse the 11th request of an instant first).
    sandbox = make_sandbox(limits=LimitSettings(requests_per_minute=20, requests_per_second=None))
    statuses = []
    for _ in range(10):
        statuses.append(sandbox.client.get("bill/1").status_code)
    sandbox.clock.advance(30)
    for _ in range(11):
        statuses.append(sandbox.client.get("bill/1").status_code)

    sandbox.clock.advance(30)  # 60 s after the first ten: they leave the window, the later ten stay
    after_first_window = [sandbox.client.get("bill/1").status_code for _ in range(11)]

    assert statuses == [200] * 20 + [429]
    assert after_first_window == [200] * 10 + [429]
    assert sandbox.state.counters.throttled(sandbox.realm_id) == 2
    assert sandbox.state.counters.requests(sandbox.realm_id) == 32


def test_the_default_limit_admits_500_requests_per_minute() -> None:
    clock = ManualClock()
    # Only the minute window here (the per-second one is pinned in test_fidelity_limits.py).
    limits = LimitEnforcer(LimitSettings(requests_per_second=None), clock, SandboxCounters())
    for _ in range(500):
        assert limits.admit("1") is None
        limits.release("1")

    refused = limits.admit("1")
    other_realm = limits.admit("2")
    clock.advance(60)

    assert refused is not None and "500 requests per 60 s" in refused
    assert other_realm is None
    assert limits.admit("1") is None


def test_the_counters_keep_each_realms_busiest_minute() -> None:
    clock, counters = ManualClock(), SandboxCounters()
    limits = LimitEnforcer(LimitSettings(requests_per_second=None, requests_per_minute=20), clock, counters)

    def send(realm: str, n: int) -> None:
        for _ in range(n):
            assert limits.admit(realm) is None
            limits.release(realm)

    send("1", 12)
    clock.advance(30)
    send("1", 5)  # 17 in the window
    clock.advance(31)
    send("1", 8)  # the first twelve have left: 13
    send("2", 3)
    assert (counters.max_per_minute("1"), counters.max_per_minute("2"), counters.max_per_minute()) == (17, 3, 17)

    send("1", 7)  # the window is full: 20
    assert limits.admit("1") is not None  # refused, so not counted
    assert counters.max_per_minute("1") == 20
    assert counters.snapshot()["realms"]["1"]["max_per_minute"] == 20


def test_throttling_can_answer_with_intuits_xml_body(sandbox) -> None:
    sandbox.state.limits.configure(xml_throttle_body=True)
    sandbox.state.faults.throttle_next(1)

    response = sandbox.client.get("bill/1")

    assert response.status_code == 429
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.startswith("<?xml")
    assert ('<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; '
            'statusCode=429</Message></Error></Fault></IntuitResponse>') in response.text


def test_limits_can_be_switched_off(make_sandbox) -> None:
    sandbox = make_sandbox(limits=LimitSettings(enabled=False, requests_per_minute=5))

    statuses = {sandbox.client.get("bill/1").status_code for _ in range(12)}

    assert statuses == {200}
    assert sandbox.state.counters.throttled() == 0
