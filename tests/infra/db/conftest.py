"""Fixtures for the mirror database tests: SQLite files and an isolated PostgreSQL schema.

PostgreSQL tests carry ``@pytest.mark.postgres`` and use ``RUNWAY_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test session works in its own schema
(``search_path``), created at the start and dropped at the end, so parallel runs never collide and a
crashed run leaves nothing that breaks the next one. When the server is unreachable the tests skip, unless
``RUNWAY_REQUIRE_POSTGRES`` is set (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from infra.db.engine import create_engine_for, create_session_factory, sqlite_url
from infra.db.migrate import upgrade_to_head
from infra.db.repositories import (
    SqlBankMirror,
    SqlBillMirror,
    SqlBusinessDirectory,
    SqlInvoiceMirror,
    SqlPaymentMirror,
    SqlPortfolioMirror,
    SqlSyncStateReader,
)
from infra.db.tables import metadata
from infra.db.writer import MirrorWriter
from tests.fixtures.services import service_unavailable

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    return os.environ.get("RUNWAY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _reachable(url: str) -> str | None:
    """None when a connection works, else the reason."""
    sa_url = make_url(url)
    try:
        with psycopg.connect(host=sa_url.host or "127.0.0.1", port=sa_url.port or 5432,
                             user=sa_url.username, password=sa_url.password, dbname=sa_url.database,
                             connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def with_search_path(url: str, schema: str) -> str:
    """``url`` whose connections use ``schema`` first (libpq ``options=-csearch_path=...``)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def require_postgres() -> str:
    """The test PostgreSQL server's URL; skips the test saying how to enable it when the server is not
    reachable (fails instead under RUNWAY_REQUIRE_POSTGRES=1, as in CI)."""
    url = postgres_url()
    reason = _reachable(url)
    if reason is not None:
        message = (f"PostgreSQL not reachable at {url}: start it or set RUNWAY_TEST_POSTGRES_URL to run these "
                   f"tests ({reason})")
        service_unavailable(message, "RUNWAY_REQUIRE_POSTGRES")
    return url


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return require_postgres()


@pytest.fixture(scope="session")
def pg_schema_factory(pg_server_url: str) -> Iterator:
    """Creates uniquely named schemas on demand; drops every one of them at the end of the session."""
    admin = create_engine_for(pg_server_url)
    created: list[str] = []

    def make(prefix: str = "runway_test") -> str:
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        created.append(name)
        return with_search_path(pg_server_url, name)

    yield make
    with admin.begin() as conn:
        for name in created:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_schema_factory) -> Iterator[Engine]:
    """One migrated schema for the session's repository tests (emptied before each test by ``db``)."""
    engine = create_engine_for(pg_schema_factory())
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file, copied for each test (cheaper than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "mirror.db"
    engine = create_engine_for(sqlite_url(path))
    upgrade_to_head(engine)
    with engine.connect() as conn:  # fold the WAL into the main file so a plain copy is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return str(path)


@dataclass
class Db:
    name: str
    engine: Engine
    session_factory: sessionmaker[Session]


def _empty_postgres(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path) -> Iterator[Db]:
    """A migrated, empty mirror on SQLite (a fresh file) or PostgreSQL (the session schema, emptied)."""
    if request.param == "sqlite":
        path = tmp_path / "mirror.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        engine = create_engine_for(sqlite_url(path))
        yield Db("sqlite", engine, create_session_factory(engine))
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        _empty_postgres(engine)
        yield Db("postgres", engine, create_session_factory(engine))


@pytest.fixture
def sqlite_db(tmp_path, sqlite_template) -> Iterator[Db]:
    """SQLite only (for tests about SQLite itself or too slow to repeat on both databases)."""
    path = tmp_path / "mirror.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine_for(sqlite_url(path))
    yield Db("sqlite", engine, create_session_factory(engine))
    engine.dispose()


@pytest.fixture
def writer(db: Db) -> MirrorWriter:
    return MirrorWriter(db.session_factory)


@dataclass
class Repos:
    directory: SqlBusinessDirectory
    sync: SqlSyncStateReader
    bills: SqlBillMirror
    invoices: SqlInvoiceMirror
    payments: SqlPaymentMirror
    bank: SqlBankMirror
    portfolio: SqlPortfolioMirror


@pytest.fixture
def repos(db: Db) -> Repos:
    sf = db.session_factory
    return Repos(SqlBusinessDirectory(sf), SqlSyncStateReader(sf), SqlBillMirror(sf), SqlInvoiceMirror(sf),
                 SqlPaymentMirror(sf), SqlBankMirror(sf), SqlPortfolioMirror(sf))


@dataclass
class Tenants:
    """A firm with two businesses, A and B (the second one of a second firm's is C)."""

    firm_id: int
    a: int
    b: int
    other_firm_id: int
    c: int


@pytest.fixture
def tenants(writer: MirrorWriter) -> Tenants:
    firm = writer.create_firm("Harbor & Pine Advisors")
    a = writer.create_business(firm.id, "Alpha Bakery", "realm-a")
    b = writer.create_business(firm.id, "Beta Plumbing", "realm-b")
    other = writer.create_firm("Other Firm")
    c = writer.create_business(other.id, "Gamma Studio", "realm-c")
    return Tenants(firm.id, a.id, b.id, other.id, c.id)
