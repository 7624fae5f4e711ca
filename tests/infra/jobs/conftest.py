"""Fixtures of the sync tests: one in-process QBO sandbox (``SandboxServer`` on a free port, on a
``ManualClock``; from ``sandbox_pool``, tests/fixtures/sandbox.py), a real ``QboClient`` wired to it over
HTTP with an in-memory token store, and a migrated mirror on SQLite or PostgreSQL.

The sandbox is re-seeded and its faults cleared before every test. The sync service's clock is the
sandbox's clock, so cursors and the CDC window are judged on the time QBO (the sandbox) runs on.
PostgreSQL: ``RUNWAY_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``),
each session in its own schema; unreachable means skip, or fail when ``RUNWAY_REQUIRE_POSTGRES`` is set.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

import infra.db.sync_tables  # noqa: F401  (registers the sync tables on metadata, for truncation)
from infra.db.engine import create_engine_for, create_session_factory, sqlite_url
from infra.db.migrate import upgrade_to_head
from infra.db.sync_store import SyncStore
from infra.db.tables import metadata
from infra.db.writer import MirrorWriter
from infra.jobs import SyncConfig, SyncService
from infra.qbo import OAuthTokens, QboClient, QboClientConfig, RealmLimiterRegistry
from qbo_sandbox import LimitSettings, ManualClock, SandboxConfig, SandboxServer, SandboxState
from qbo_sandbox.store import RealmStore
from tests.fakes.qbo_tokens import InMemoryTokenStore
from tests.fixtures.sandbox import SandboxPool, SandboxSetup
from tests.infra.db.conftest import require_postgres, with_search_path

START = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
#: Three small companies (about 160 entities each): big enough for several pages of 25 rows.
SANDBOX_CONFIG = SandboxConfig(realms=3, seed=11, size=160, as_of=AS_OF,
                               limits=LimitSettings(requests_per_second=None, requests_per_minute=1_000_000,
                                                    max_concurrent=10))
#: Fast retries, a short pause after a 429 (the sandbox sends no Retry-After), generous client limits.
CLIENT_SETTINGS: dict = {"backoff_base_seconds": 0.002, "backoff_max_seconds": 0.01, "max_attempts": 5,
                         "throttle_default_wait_seconds": 0.01, "limiter_timeout_seconds": 30.0,
                         "requests_per_minute": 1_000_000, "requests_per_second": None,
                         "read_timeout_seconds": 10.0}
SANDBOX_SETUP = SandboxSetup(SANDBOX_CONFIG, start=START)
SYNC_CONFIG = SyncConfig(page_size=25, ids_per_query=40)


# -- the sandbox ---------------------------------------------------------------------------------------

@pytest.fixture
def sandbox(sandbox_pool: SandboxPool) -> SandboxServer:
    """The session's sandbox of these tests (tests/fixtures/sandbox.py), re-seeded, with no faults, its
    limits and zeroed counters."""
    return sandbox_pool.fresh(SANDBOX_SETUP)


# -- the mirror ----------------------------------------------------------------------------------------

@dataclass
class Db:
    name: str
    engine: Engine
    session_factory: sessionmaker[Session]
    url: str


@pytest.fixture(scope="session")
def sync_sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sync-sqlite-template") / "mirror.db"
    engine = create_engine_for(sqlite_url(path))
    upgrade_to_head(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return str(path)


@pytest.fixture(scope="session")
def sync_pg_url() -> Iterator[str]:
    """A migrated schema of its own for the session's PostgreSQL sync tests (dropped at the end)."""
    url = require_postgres()
    schema = f"runway_sync_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine_for(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    schema_url = with_search_path(url, schema)
    engine = create_engine_for(schema_url)
    upgrade_to_head(engine)
    engine.dispose()
    yield schema_url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _sqlite_db(tmp_path, template: str) -> Db:
    path = tmp_path / f"mirror-{uuid.uuid4().hex[:6]}.db"
    shutil.copyfile(template, path)
    url = sqlite_url(path)
    engine = create_engine_for(url)
    return Db("sqlite", engine, create_session_factory(engine), url)


def _pg_db(url: str) -> Db:
    engine = create_engine_for(url)
    names = ", ".join(f'"{t.name}"' for t in reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return Db("postgres", engine, create_session_factory(engine), url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path, sync_sqlite_template) -> Iterator[Db]:
    """A migrated, empty mirror on SQLite (a fresh file) or PostgreSQL (the session schema, emptied)."""
    made = (_sqlite_db(tmp_path, sync_sqlite_template) if request.param == "sqlite"
            else _pg_db(request.getfixturevalue("sync_pg_url")))
    yield made
    made.engine.dispose()


@pytest.fixture
def sqlite_db(tmp_path, sync_sqlite_template) -> Iterator[Db]:
    made = _sqlite_db(tmp_path, sync_sqlite_template)
    yield made
    made.engine.dispose()


@pytest.fixture
def new_sqlite_db(tmp_path, sync_sqlite_template) -> Iterator[Callable[[], Db]]:
    """Factory of fresh migrated SQLite mirrors (for tests that need several)."""
    made: list[Db] = []

    def make() -> Db:
        made.append(_sqlite_db(tmp_path, sync_sqlite_template))
        return made[-1]

    yield make
    for db in made:
        db.engine.dispose()


# -- a client, businesses and the sync service ----------------------------------------------------------

@dataclass
class World:
    """The sandbox, a mirror with one business per sandbox realm, a client and a ``SyncService``."""

    server: SandboxServer
    db: Db
    client: QboClient
    tokens: InMemoryTokenStore
    service: SyncService
    store: SyncStore
    writer: MirrorWriter
    business_ids: dict[str, int]  # realm id -> business id
    realm_ids: list[str] = field(default_factory=list)

    @property
    def state(self) -> SandboxState:
        return self.server.state

    @property
    def clock(self) -> ManualClock:
        clock = self.server.state.clock
        assert isinstance(clock, ManualClock)
        return clock

    def realm(self, index: int = 0) -> RealmStore:
        return self.state.realm(self.realm_ids[index])

    def business(self, index: int = 0) -> int:
        return self.business_ids[self.realm_ids[index]]

    def cursor(self, business_id: int, entity: str) -> str | None:
        with self.db.session_factory() as session:
            return session.execute(text("SELECT cursor FROM sync_state WHERE business_id = :b AND entity = :e"),
                                   {"b": business_id, "e": entity}).scalar()

    def set_cursor(self, business_id: int, entity: str, cursor: str) -> None:
        with self.db.session_factory.begin() as session:
            session.execute(text("UPDATE sync_state SET cursor = :c WHERE business_id = :b AND entity = :e"),
                            {"c": cursor, "b": business_id, "e": entity})

    def new_service(self, **changes) -> SyncService:
        options = {"clock": self.clock.now, "config": SYNC_CONFIG, **changes}
        return SyncService(self.db.session_factory, self.client, **options)


def make_client(server: SandboxServer, tokens: InMemoryTokenStore, transport: httpx.BaseTransport | None = None,
                **changes) -> QboClient:
    state = server.state
    config = QboClientConfig(api_base_url=server.api_base_url, token_url=server.token_url,
                             client_id=state.config.client_id, client_secret=state.config.client_secret,
                             **{**CLIENT_SETTINGS, **changes})
    return QboClient(config, tokens, RealmLimiterRegistry.from_config(config), transport, now=state.clock.now)


def connect_all(server: SandboxServer) -> InMemoryTokenStore:
    state = server.state
    return InMemoryTokenStore(*(OAuthTokens(realm_id=realm, refresh_token=state.connect_realm(realm))
                                for realm in state.realm_ids))


@pytest.fixture
def make_world(sandbox: SandboxServer) -> Iterator[Callable[..., World]]:
    made: list[World] = []

    def make(db: Db, transport: httpx.BaseTransport | None = None, **service_options) -> World:
        tokens = connect_all(sandbox)
        client = make_client(sandbox, tokens, transport)
        writer = MirrorWriter(db.session_factory)
        firm = writer.create_firm("Harbor & Pine Advisors")
        realm_ids = list(sandbox.state.realm_ids)
        business_ids = {realm: writer.create_business(firm.id, f"Client {i}", realm).id
                        for i, realm in enumerate(realm_ids)}
        service = SyncService(db.session_factory, client, clock=sandbox.state.clock.now,
                              **{"config": SYNC_CONFIG, **service_options})
        world = World(sandbox, db, client, tokens, service, SyncStore(db.session_factory), writer, business_ids,
                      realm_ids)
        made.append(world)
        return world

    yield make
    for world in made:
        world.client.close()


@pytest.fixture
def world(make_world, db: Db) -> World:
    return make_world(db)


@pytest.fixture
def sqlite_world(make_world, sqlite_db: Db) -> World:
    return make_world(sqlite_db)
