"""Retries: what is retried (reads; writes only with a requestid), how long it waits, what it raises."""

from __future__ import annotations

import logging
import threading

import httpx
import pytest

from infra.interfaces.errors import QboThrottledError, QboUnavailableError, QboValidationError
from infra.qbo import QboLimiterTimeout, QboRequestNotSent
from tests.infra.qbo.conftest import REALM, json_response
from tests.infra.qbo.test_faults import HTML_503, THROTTLE_XML, VALIDATION

OK = {"QueryResponse": {"Bill": [{"Id": "1"}], "startPosition": 1, "maxResults": 1}}
BILL = {"Bill": {"Id": "7", "SyncToken": "0"}, "time": "2025-03-01T04:00:00.000-08:00"}


def sequence(*responses):
    """A data handler answering the given responses (or raising the given exceptions) in turn, then the last."""
    items = list(responses)
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            item = items.pop(0) if len(items) > 1 else items[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def html_503() -> httpx.Response:
    return httpx.Response(503, content=HTML_503.encode(), headers={"Content-Type": "text/html", "intuit_tid": "t503"})


def throttle(retry_after: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/xml", "intuit_tid": "t429"}
    if retry_after:
        headers["Retry-After"] = retry_after
    return httpx.Response(429, content=THROTTLE_XML.encode(), headers=headers)


def test_every_data_request_has_bearer_accept_and_minorversion(harness_factory):
    h = harness_factory(sequence(json_response(200, OK)))
    assert h.client.query(REALM, "SELECT * FROM Bill")["Bill"] == [{"Id": "1"}]
    (request,) = h.qbo.requests
    assert request.headers["Authorization"] == "Bearer access-1"
    assert request.headers["Accept"] == "application/json"
    assert request.url.params["minorversion"] == "75"
    assert request.url.params["query"] == "SELECT * FROM Bill"
    assert request.url.path == f"/v3/company/{REALM}/query"


def test_503_then_200_succeeds_after_one_backoff(harness_factory):
    h = harness_factory(sequence(html_503(), json_response(200, OK)))
    assert h.client.query(REALM, "SELECT * FROM Bill")["Bill"] == [{"Id": "1"}]
    assert len(h.qbo.requests) == 2
    assert len(h.retry_sleeps) == 1 and 0.25 <= h.retry_sleeps[0] <= 0.5


def test_backoff_grows_exponentially_with_jitter_and_stops_after_max_attempts(harness_factory):
    h = harness_factory(sequence(html_503()))
    with pytest.raises(QboUnavailableError) as info:
        h.client.read(REALM, "Bill", "7")
    assert len(h.qbo.requests) == h.config.max_attempts == 5
    assert info.value.status_code == 503 and info.value.intuit_tid == "t503"
    bounds = [(0.25, 0.5), (0.5, 1.0), (1.0, 2.0), (2.0, 4.0)]
    assert len(h.retry_sleeps) == 4
    assert all(lo <= s <= hi for s, (lo, hi) in zip(h.retry_sleeps, bounds, strict=True))


def test_backoff_is_capped(harness_factory):
    h = harness_factory(sequence(html_503()), max_attempts=8, backoff_max_seconds=3.0)
    with pytest.raises(QboUnavailableError):
        h.client.read(REALM, "Bill", "7")
    assert max(h.retry_sleeps) <= 3.0 and min(h.retry_sleeps[-3:]) >= 1.5


def test_429_waits_retry_after_through_the_limiter_then_succeeds(harness_factory):
    h = harness_factory(sequence(throttle("7"), json_response(200, OK)))
    h.client.query(REALM, "SELECT * FROM Bill")
    assert len(h.qbo.requests) == 2
    assert h.clock.sleeps == [7.0]  # the realm pause, slept by the limiter before the second send
    assert h.retry_sleeps == [0.0]  # tenacity adds no backoff on top of the pause


def test_429_without_retry_after_pauses_the_default(harness_factory):
    h = harness_factory(sequence(throttle(), json_response(200, OK)), throttle_default_wait_seconds=2.5)
    h.client.query(REALM, "SELECT * FROM Bill")
    assert h.clock.sleeps == [2.5]


def test_429_pauses_the_realm_for_other_threads(harness_factory):
    h = harness_factory(sequence(throttle("7"), json_response(200, OK)), max_attempts=1)
    with pytest.raises(QboThrottledError) as info:
        h.client.query(REALM, "SELECT * FROM Bill")
    assert info.value.retry_after_seconds == 7 and info.value.fault_code == "3001"
    assert h.registry.for_realm(REALM).paused_for() == pytest.approx(7.0)

    result = {}
    other = threading.Thread(target=lambda: result.update(h.client.query(REALM, "SELECT * FROM Bill")))
    other.start()
    other.join(5)
    assert result["Bill"] == [{"Id": "1"}]
    assert h.clock.sleeps == [pytest.approx(7.0)]  # the other thread waited out the pause before sending
    assert h.registry.for_realm("another-realm").paused_for() == 0  # other realms are not paused


def test_throttled_error_after_retries_run_out(harness_factory):
    h = harness_factory(sequence(throttle("1")))
    with pytest.raises(QboThrottledError) as info:
        h.client.query(REALM, "SELECT * FROM Bill")
    assert len(h.qbo.requests) == 5 and h.clock.sleeps == [1.0] * 4
    assert info.value.status_code == 429 and info.value.intuit_tid == "t429"


def test_pause_longer_than_the_limiter_timeout_fails_fast_without_sending(harness_factory):
    h = harness_factory(sequence(throttle("600"), json_response(200, OK)), limiter_timeout_seconds=120)
    with pytest.raises(QboLimiterTimeout) as info:
        h.client.query(REALM, "SELECT * FROM Bill")
    assert len(h.qbo.requests) == 1 and h.clock.sleeps == []
    assert info.value.retry_after_seconds == pytest.approx(600)


def test_write_without_request_id_is_not_retried_on_503(harness_factory):
    h = harness_factory(sequence(html_503(), json_response(200, BILL)))
    with pytest.raises(QboUnavailableError):
        h.client.create(REALM, "Bill", {"VendorRef": {"value": "1"}})
    assert len(h.qbo.requests) == 1 and h.retry_sleeps == []
    assert "requestid" not in h.qbo.requests[0].url.params


def test_write_without_request_id_is_not_retried_on_read_timeout(harness_factory):
    h = harness_factory(sequence(httpx.ReadTimeout("slow"), json_response(200, BILL)))
    with pytest.raises(QboUnavailableError) as info:
        h.client.create(REALM, "Bill", {"VendorRef": {"value": "1"}})
    assert len(h.qbo.requests) == 1 and isinstance(info.value.__cause__, httpx.ReadTimeout)


def test_write_without_request_id_is_retried_when_the_connection_never_opened(harness_factory):
    h = harness_factory(sequence(httpx.ConnectError("refused"), json_response(200, BILL)))
    assert h.client.create(REALM, "Bill", {"VendorRef": {"value": "1"}})["Id"] == "7"
    assert len(h.qbo.requests) == 2


def test_write_with_request_id_is_retried_with_the_same_requestid(harness_factory):
    h = harness_factory(sequence(html_503(), httpx.ReadTimeout("slow"), json_response(200, BILL)))
    created = h.client.create(REALM, "Bill", {"VendorRef": {"value": "1"}}, request_id="req-123")
    assert created == {"Id": "7", "SyncToken": "0"}
    assert [r.url.params["requestid"] for r in h.qbo.requests] == ["req-123"] * 3
    assert len({r.content for r in h.qbo.requests}) == 1  # the same body every time


def test_400_is_never_retried(harness_factory):
    h = harness_factory(sequence(json_response(400, VALIDATION)))
    with pytest.raises(QboValidationError) as info:
        h.client.create(REALM, "Bill", {"VendorRef": {"value": "1"}}, request_id="req-1")
    assert info.value.fault_code == "610" and len(h.qbo.requests) == 1
    with pytest.raises(QboValidationError):
        h.client.read(REALM, "Bill", "7")
    assert len(h.qbo.requests) == 2 and h.retry_sleeps == []


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"),
                                 httpx.RemoteProtocolError("server disconnected")])
def test_transport_errors_are_retried_then_mapped(harness_factory, exc):
    h = harness_factory(sequence(exc))
    with pytest.raises(QboUnavailableError) as info:
        h.client.read(REALM, "Bill", "7")
    assert len(h.qbo.requests) == 5 and len(h.retry_sleeps) == 4
    assert info.value.__cause__ is exc and info.value.realm_id == REALM
    assert isinstance(info.value, QboRequestNotSent) == isinstance(exc, httpx.ConnectError)


def test_transport_error_then_success(harness_factory):
    h = harness_factory(sequence(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), json_response(200, BILL)))
    assert h.client.read(REALM, "Bill", "7")["Id"] == "7"
    assert len(h.qbo.requests) == 3


def test_a_200_that_is_not_json_is_unavailable_and_not_retried(harness_factory):
    h = harness_factory(sequence(httpx.Response(200, content=b"<html>maintenance</html>",
                                                headers={"intuit_tid": "t"})))
    with pytest.raises(QboUnavailableError) as info:
        h.client.read(REALM, "Bill", "7")
    assert info.value.status_code == 200 and len(h.qbo.requests) == 1


def test_every_request_is_logged_with_method_path_status_tid_and_duration(harness_factory, caplog):
    h = harness_factory(sequence(html_503(), json_response(200, OK, tid="tid-ok")))
    with caplog.at_level(logging.INFO, logger="infra.qbo"):
        h.client.query(REALM, "SELECT * FROM Bill")
    sent = [r for r in caplog.records if r.name == "infra.qbo" and hasattr(r, "duration_ms")]
    assert [(r.method, r.path, r.status, r.intuit_tid) for r in sent] == [
        ("GET", f"/company/{REALM}/query", 503, "t503"), ("GET", f"/company/{REALM}/query", 200, "tid-ok")]
    assert [r.levelno for r in sent] == [logging.WARNING, logging.INFO]
    assert "intuit_tid=tid-ok" in sent[1].getMessage()
