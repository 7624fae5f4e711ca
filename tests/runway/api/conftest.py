"""Fixtures for the HTTP API tests: a real SQLite mirror seeded with the six-client portfolio (small;
tests/fixtures/portfolio_seed.py) plus a second firm with its own client, advisors and tokens for both
firms, and TestClients over the real composition root.

The seeded mirror is built once per session and copied for each test that gets a client, so tests that write
(payments, sync requests, idempotency records) never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from domains.core.clock import FixedClock
from infra.interfaces.records import (
    AccountRecord,
    BillPaymentRecord,
    BillPaymentStatus,
    BillRecord,
    CustomerRecord,
    Entity,
    InvoiceRecord,
    PaymentLine,
    VendorRecord,
)
from runway import bootstrap
from runway.api import create_app
from runway.settings import Settings
from tests.fakes.qbo_gateway import FakeQboGateway
from tests.fixtures.portfolio_seed import seed_container

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
VERIFIER_TOKEN = "test-verifier-token"


@dataclass(frozen=True)
class Portfolio:
    """What the session's template mirror holds."""

    path: Path
    firm_id: int
    firm_name: str
    business_ids: tuple[int, ...]
    stale_business_id: int
    other_firm_id: int
    other_business_id: int
    token: str
    other_token: str
    revoked_token: str
    email: str = "alice@harbor.example"
    other_email: str = "olga@other.example"

    @property
    def business_id(self) -> int:
        return self.business_ids[0]


def _d(n: int) -> date:
    return TODAY + timedelta(days=n)


def seed_other_firm(c, firm_name: str = "Other Firm", realm: str = "realm-other") -> tuple[int, int]:
    """A second firm with one client that has a vendor, a customer, a bank account, an open and an overdue
    bill, an overdue invoice and a bill payment, all synced an hour ago."""
    firm = c.writer.create_firm(firm_name)
    business = c.writer.create_business(firm.id, "Gamma Studio", realm)
    b = business.id
    c.writer.upsert_vendors([VendorRecord(b, "V1", "0", "Gamma Paper Co")])
    c.writer.upsert_customers([CustomerRecord(b, "C1", "0", "Gamma Client", email="pay@gamma.example")])
    c.writer.upsert_accounts([AccountRecord(b, "A1", "0", "Gamma Checking", "Bank", "Checking", Decimal("9000.00"))])
    c.writer.upsert_bills([
        BillRecord(b, "B1", "0", "V1", _d(-20), _d(5), Decimal("400.00"), Decimal("400.00"), doc_number="G-1"),
        BillRecord(b, "B2", "0", "V1", _d(-60), _d(-30), Decimal("250.00"), Decimal("250.00"), doc_number="G-2"),
    ])
    c.writer.upsert_invoices([InvoiceRecord(b, "I1", "0", "C1", _d(-90), _d(-45), Decimal("1200.00"),
                                            Decimal("1200.00"), doc_number="GI-1", bill_email="pay@gamma.example")])
    c.writer.upsert_bill_payments([BillPaymentRecord(b, "P1", "0", "V1", _d(-3), Decimal("100.00"),
                                                     BillPaymentStatus.COMPLETED, bank_account_qbo_id="A1",
                                                     lines=(PaymentLine("B1", Decimal("100.00")),))])
    for entity in Entity:
        c.writer.record_sync_success(b, entity, None, NOW - timedelta(hours=1))
    return firm.id, b


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file so a plain copy of it is complete."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="session")
def portfolio(tmp_path_factory) -> Portfolio:
    path = tmp_path_factory.mktemp("api-template") / "mirror.db"
    seeded = seed_portfolio(f"sqlite:///{path}", path)
    _checkpoint(path)
    return seeded


def seed_portfolio(database_url: str, path: Path) -> Portfolio:
    """Migrate the mirror at ``database_url`` and seed the API tests' portfolio into it."""
    with bootstrap.build_container(Settings(database_url=database_url), clock=FixedClock(NOW)) as c:
        bootstrap.prepare_database(c)
        summary = seed_container(c, scale="small")
        other_firm_id, other_business_id = seed_other_firm(c)
        c.advisors.create_advisor(summary.firm.name, "Alice@Harbor.example", "Alice")
        c.advisors.create_advisor("Other Firm", "olga@other.example", "Olga")
        token = c.advisors.create_token("alice@harbor.example", "tests").token
        other_token = c.advisors.create_token("olga@other.example").token
        revoked = c.advisors.create_token("alice@harbor.example", "revoked")
        c.advisors.revoke_token("alice@harbor.example", revoked.record.id)
        stale = next(b.business.id for b in summary.businesses if b.last_synced_at < NOW - timedelta(hours=24))
        ids = tuple(b.business.id for b in summary.businesses)
    return Portfolio(path, summary.firm.id, summary.firm.name, ids, stale, other_firm_id, other_business_id,
                     token, other_token, revoked.token)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Api:
    """A TestClient over a container on its own copy of the template mirror."""

    client: TestClient
    app: FastAPI
    container: object
    portfolio: Portfolio
    gateway: FakeQboGateway | None

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.portfolio.token)

    @property
    def other_headers(self) -> dict[str, str]:
        return auth(self.portfolio.other_token)

    def get(self, url: str, **kwargs):
        return self.client.get(url, headers=kwargs.pop("headers", self.headers), **kwargs)

    def post(self, url: str, **kwargs):
        return self.client.post(url, headers=kwargs.pop("headers", self.headers), **kwargs)


ApiFactory = Callable[..., Api]


@pytest.fixture
def make_api(portfolio: Portfolio, tmp_path) -> Iterator[ApiFactory]:
    """Builds ``Api``s: each on a fresh copy of the template, with a ``FakeQboGateway`` as the live port
    (``gateway=None`` for a deployment without QuickBooks)."""
    containers = []

    def make(*, gateway: FakeQboGateway | None | str = "fake", raise_server_exceptions: bool = True,
             database_url: str | None = None, **settings) -> Api:
        if database_url is None:
            path = tmp_path / f"mirror-{len(containers)}.db"
            shutil.copyfile(portfolio.path, path)
            database_url = f"sqlite:///{path}"
        fake = FakeQboGateway() if gateway == "fake" else gateway
        settings.setdefault("qbo_webhook_verifier_token", VERIFIER_TOKEN)
        container = bootstrap.build_container(Settings(database_url=database_url, **settings),
                                              clock=FixedClock(NOW), gateway=fake)
        containers.append(container)
        app = create_app(container)
        client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
        return Api(client, app, container, portfolio, fake)

    yield make
    for container in containers:
        container.close()


@pytest.fixture
def api(make_api: ApiFactory) -> Api:
    return make_api()


@pytest.fixture(scope="session")
def pg_portfolio(tmp_path_factory) -> Iterator[tuple[str, Portfolio]]:
    """The portfolio seeded into a schema of its own on the test PostgreSQL server (dropped at the end);
    skips (fails under RUNWAY_REQUIRE_POSTGRES=1) when the server is not reachable."""
    from sqlalchemy import text

    from infra.db.engine import create_engine_for
    from tests.infra.db.conftest import require_postgres, with_search_path

    server = require_postgres()
    schema = f"runway_api_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine_for(server)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = with_search_path(server, schema)
    try:
        yield url, seed_portfolio(url, tmp_path_factory.mktemp("pg-api"))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_api(request, make_api: ApiFactory) -> Api:
    """The API over the SQLite copy, then over PostgreSQL (tests that only read or are refused)."""
    if request.param == "sqlite":
        return make_api()
    url, pg = request.getfixturevalue("pg_portfolio")
    api = make_api(database_url=url)
    api.portfolio = pg
    return api


def app_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app answers, included routers flattened (FastAPI >= 0.16x keeps
    included routers as nodes of ``app.routes``; ``iter_route_contexts`` walks them)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes is flat already
        contexts = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    found = []
    for route in contexts:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and methods:
            found.extend((method, path) for method in sorted(methods) if method != "HEAD")
    return found


def business_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route whose path names a business."""
    return [(m, p) for m, p in app_routes(app) if "{business_id}" in p]
