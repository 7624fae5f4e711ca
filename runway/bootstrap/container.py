"""``build_container(settings)``: the services of one process over the mirror database named in the
settings, with the QBO client when QBO is configured, and what must be closed when the process ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import timedelta

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from domains.core.clock import Clock, SystemClock
from infra.db.engine import create_engine_for, create_session_factory
from infra.db.migrate import upgrade_to_head
from infra.db.token_store import DbTokenStore
from infra.db.writer import MirrorWriter
from infra.interfaces.patterns import set_guard_mode
from infra.interfaces.ports import QboGateway
from infra.jobs.engine import SyncEngine
from infra.qbo import QboClient, QboLiveGateway
from runway.bootstrap.adapters import build_qbo_client, build_sync_engine, build_token_store, sql_ports
from runway.bootstrap.wiring import wire
from runway.container import Services
from runway.settings import Settings


@dataclass(frozen=True)
class Container(Services):
    """``Services`` plus the process's infra resources: the settings, the engine and session factory, the
    mirror writer (for connecting companies and seeding), the QBO client and token store when QBO is
    configured, and the job engine of the syncs (``RUNWAY_BROKER_URL``). ``close()`` (or leaving a ``with``
    block) releases them."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    writer: MirrorWriter
    gateway: QboGateway | None = None
    qbo_client: QboClient | None = None
    token_store: DbTokenStore | None = None
    sync_engine: SyncEngine | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers.clear()

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_container(settings: Settings | None = None, *, clock: Clock | None = None,
                    gateway: QboGateway | None = None, qbo_transport: httpx.BaseTransport | None = None
                    ) -> Container:
    """Wire every service over the database named in ``settings`` (read from the environment if None).

    The live QBO port is ``gateway`` when given, else built from the QBO settings when they are set;
    without one, the Pattern 2 operations refuse and everything else works from the mirror. Creates the
    engine (no connection is opened until a service is used).
    """
    settings = settings or Settings()
    clock = clock or SystemClock()
    set_guard_mode(settings.guard_mode)
    engine = create_engine_for(settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                               statement_timeout_ms=settings.database_statement_timeout_ms,
                               connect_timeout_seconds=settings.database_connect_timeout_seconds,
                               pool_timeout_seconds=settings.database_pool_timeout_seconds,
                               pool_size=settings.database_pool_size,
                               max_overflow=settings.database_max_overflow)
    closers: list[Callable[[], None]] = [engine.dispose]
    try:
        session_factory = create_session_factory(engine)
        qbo_client = token_store = None
        if gateway is None and settings.qbo_configured:
            token_store = build_token_store(settings, session_factory)
            qbo_client = build_qbo_client(settings, token_store, transport=qbo_transport)
            closers.append(qbo_client.close)
            gateway = QboLiveGateway(qbo_client)
        sync_engine = build_sync_engine(settings, session_factory, clock)
        services = wire(sql_ports(session_factory, settings, clock, gateway=gateway, engine=sync_engine), clock,
                        stale_after=timedelta(hours=settings.stale_after_hours),
                        token_lifetime=timedelta(days=settings.token_lifetime_days))
    except BaseException:
        for close in reversed(closers):
            close()
        raise
    return Container(**{f.name: getattr(services, f.name) for f in fields(Services)},
                     settings=settings, engine=engine, session_factory=session_factory,
                     writer=MirrorWriter(session_factory), gateway=gateway, qbo_client=qbo_client,
                     token_store=token_store, sync_engine=sync_engine, _closers=closers)


def prepare_database(container: Container) -> None:
    """Bring the mirror's schema to the newest migration."""
    upgrade_to_head(container.engine)
