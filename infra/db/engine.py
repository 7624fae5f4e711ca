"""Engines and session factories for the mirror database (SQLite or PostgreSQL).

Nothing here runs at import time: the composition root calls ``create_engine_for(url)`` and
``create_session_factory(engine)`` with a URL it read from its settings.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5_000
# PostgreSQL: a statement running longer is cancelled by the server; a connection attempt longer fails; a
# pool checkout waiting longer for a free connection fails. Each surfaces as StorageError (answered 503).
DEFAULT_STATEMENT_TIMEOUT_MS = 15_000
DEFAULT_CONNECT_TIMEOUT_SECONDS = 5
DEFAULT_POOL_TIMEOUT_SECONDS = 5.0
# PostgreSQL connections kept open per process, and how many more a burst may open. The overflow ones are
# closed as soon as they are handed back while the pool is full, so a pool smaller than the usual number of
# requests in flight opens and closes a server process (fork, authentication, and every statement planned
# afresh on the new connection) for a large share of requests: at 32 clients with SQLAlchemy's default of
# 5 + 10, about 35 new PostgreSQL sessions a second.
DEFAULT_POOL_SIZE = 20
DEFAULT_MAX_OVERFLOW = 10
SQLITE_BEGIN_OPTION = "runway_sqlite_begin"
# Execution options of a connection that will write (ignored by PostgreSQL).
WRITE_OPTIONS = {SQLITE_BEGIN_OPTION: "IMMEDIATE"}


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """The SQLAlchemy URL of a SQLite file (``":memory:"`` for an in-memory database)."""
    text = os.fspath(path)
    if text.startswith("sqlite:"):
        return text
    if text in ("", ":memory:"):
        return "sqlite://"
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def normalize_url(url: str | os.PathLike[str]) -> str:
    """Accept ``sqlite:///...``, a plain SQLite file path, ``postgresql://`` / ``postgres://`` (given the
    psycopg 3 driver) or any full SQLAlchemy URL."""
    text = os.fspath(url)
    if "://" not in text:
        return sqlite_url(text)
    scheme, rest = text.split("://", 1)
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return text


def create_engine_for(url: str | os.PathLike[str], *, echo: bool = False,
                      sqlite_busy_timeout_ms: int = DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
                      statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
                      connect_timeout_seconds: int = DEFAULT_CONNECT_TIMEOUT_SECONDS,
                      pool_timeout_seconds: float = DEFAULT_POOL_TIMEOUT_SECONDS,
                      pool_size: int = DEFAULT_POOL_SIZE, max_overflow: int = DEFAULT_MAX_OVERFLOW) -> Engine:
    """An engine for the mirror.

    SQLite: WAL journal (file databases), foreign keys enforced, ``busy_timeout``, usable from several
    threads, and real transactions (``BEGIN`` is emitted by SQLAlchemy rather than guessed by the
    ``sqlite3`` module). PostgreSQL: psycopg 3 with pre-ping, ``connect_timeout``, a server-side
    ``statement_timeout`` on every connection (0 disables it), a bounded wait for a pooled connection and
    ``pool_size`` connections kept open (``max_overflow`` more during a burst).
    """
    sa_url = make_url(normalize_url(url))
    if sa_url.get_backend_name() == "sqlite":
        return _sqlite_engine(sa_url, echo=echo, busy_timeout_ms=sqlite_busy_timeout_ms)
    options = sa_url.query.get("options")
    options = " ".join(options) if isinstance(options, tuple) else (options or "")
    if statement_timeout_ms > 0:
        options = f"{options} -c statement_timeout={int(statement_timeout_ms)}".strip()
    connect_args: dict = {"connect_timeout": max(1, int(connect_timeout_seconds))}
    if options:
        connect_args["options"] = options
    return create_engine(sa_url, echo=echo, pool_pre_ping=True, pool_timeout=pool_timeout_seconds,
                         pool_size=pool_size, max_overflow=max_overflow, connect_args=connect_args)


def _sqlite_engine(sa_url, *, echo: bool, busy_timeout_ms: int) -> Engine:
    database = sa_url.database or ""
    in_memory = database in ("", ":memory:") or sa_url.query.get("mode") == "memory"
    kwargs: dict = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # One shared connection, or every session would see its own empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(sa_url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy drive transactions (see "Serializable isolation / Savepoints / Transactional
        # DDL" in the SQLAlchemy SQLite docs); the sqlite3 module's implicit BEGIN is switched off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Writers ask for BEGIN IMMEDIATE (see ``WRITE_OPTIONS``): they take the write lock up front and wait
        # for it (busy_timeout) instead of failing with SQLITE_BUSY when a read transaction turns into a write
        # after another connection has written.
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    return engine


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)
