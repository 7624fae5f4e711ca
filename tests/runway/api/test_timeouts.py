"""A database that accepts connections but stops answering: requests answer 503 within the bound, /health
answers at once (PostgreSQL behind a TCP proxy the test pauses)."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy.engine import make_url

from domains.core.clock import FixedClock
from runway import bootstrap
from runway.api.server import serving_in_thread
from runway.bootstrap.api import create_api
from runway.settings import Settings
from tests import network_guard
from tests.runway.api.conftest import NOW, auth
from tests.runway.api.tcp_proxy import PausableProxy

pytestmark = pytest.mark.postgres

BOUND_SECONDS = 2.0


def test_a_paused_database_answers_503_within_the_bound_while_health_answers(pg_portfolio):
    url, portfolio = pg_portfolio
    sa_url = make_url(url)
    proxy = PausableProxy(sa_url.host or "127.0.0.1", sa_url.port or 5432)
    network_guard.allow_address("127.0.0.1", proxy.port)
    proxied = sa_url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = Settings(database_url=proxied, request_timeout_seconds=BOUND_SECONDS,
                        database_pool_timeout_seconds=BOUND_SECONDS)
    container = bootstrap.build_container(settings, clock=FixedClock(NOW))
    try:
        with serving_in_thread(create_api(container)) as base, httpx.Client(base_url=base, timeout=30) as client:
            headers = auth(portfolio.token)
            assert client.get("/v1/console", headers=headers).status_code == 200
            proxy.pause()
            for path in ("/v1/console", f"/v1/businesses/{portfolio.business_id}/digest", "/ready"):
                started = time.monotonic()
                response = client.get(path, headers=headers)
                elapsed = time.monotonic() - started
                assert response.status_code == 503, (path, response.text)
                assert response.json()["code"] == "storage_unavailable" and response.headers["retry-after"]
                assert elapsed < BOUND_SECONDS + 1.5, (path, elapsed)
                started = time.monotonic()
                assert client.get("/health").json() == {"status": "ok"}
                assert time.monotonic() - started < 0.5
            proxy.resume()
            deadline = time.monotonic() + 10
            while client.get("/v1/console", headers=headers).status_code != 200:  # recovers by itself
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        proxy.resume()
        container.close()
        proxy.close()


def test_postgres_connections_carry_the_configured_statement_timeout(pg_portfolio):
    url, _ = pg_portfolio
    settings = Settings(database_url=url, database_statement_timeout_ms=1234)
    with bootstrap.build_container(settings) as c, c.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1234ms"
        assert conn.exec_driver_sql("SHOW search_path").scalar().startswith("runway_api_")  # URL options kept
