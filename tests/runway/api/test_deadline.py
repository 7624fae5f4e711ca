"""The request deadline on SQLite (the PostgreSQL pause is tests/runway/api/test_timeouts.py): a handler that
does not answer in time is answered 503 by the deadline, and the server keeps answering others."""

from __future__ import annotations

import time

import httpx

from runway.api import create_app
from runway.api.limits import ApiLimits
from runway.api.server import serving_in_thread
from tests.runway.api.conftest import auth


def test_a_read_that_hangs_is_answered_503_at_its_deadline(api, monkeypatch):
    def hang(*args, **kwargs):
        time.sleep(3)
        raise AssertionError("answered after the deadline")

    monkeypatch.setattr(api.container.console, "console", hang)
    app = create_app(api.container, limits=ApiLimits(request_timeout_seconds=0.5))
    with serving_in_thread(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        started = time.monotonic()
        response = client.get("/v1/console", headers=auth(api.portfolio.token))
        assert time.monotonic() - started < 2.0
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert response.json()["code"] == "storage_unavailable"
        assert client.get("/health").status_code == 200
        digest = client.get(f"/v1/businesses/{api.portfolio.business_id}/digest",
                            headers=auth(api.portfolio.token))
        assert digest.status_code == 200  # others are answered meanwhile


def test_requests_that_wait_on_quickbooks_get_the_longer_deadline():
    limits = ApiLimits(request_timeout_seconds=1, live_request_timeout_seconds=9)
    assert limits.deadline("GET", "/v1/console") == 1
    assert limits.deadline("GET", "/v1/businesses/3/digest") == 1
    assert limits.deadline("POST", "/v1/businesses/3/bills/7/payments") == 9
    assert limits.deadline("GET", "/v1/businesses/3/cash") == 9
