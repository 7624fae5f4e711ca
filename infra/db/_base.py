"""What every database adapter in ``infra.db`` shares: short transactions and error translation, and the
read scope that makes every read of one answer share one transaction (``read_scope``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from infra.db.engine import WRITE_OPTIONS
from infra.interfaces.errors import StorageError

T = TypeVar("T")

# SQLite allows 32766 bound parameters per statement; IN lists and VALUES batches stay well below it.
CHUNK = 500


# The options of a read scope's connection on PostgreSQL: one snapshot for the whole answer, and no writes.
READ_SCOPE_OPTIONS = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}

# The session of the read scope the current thread (or task) is in, if any: see ``read_scope``.
_read_session: ContextVar[Session | None] = ContextVar("runway_read_session", default=None)


@contextmanager
def read_scope(session_factory: sessionmaker[Session]) -> Iterator[None]:
    """Every read of the mirror inside the block (every adapter's ``transaction()`` without ``write``) runs
    in one transaction: one connection, one snapshot (PostgreSQL ``REPEATABLE READ, READ ONLY``; a SQLite
    read transaction is a snapshot in WAL mode). Writes inside it still get their own transactions. Nested
    scopes join the outer one. SQLAlchemy errors become ``StorageError``."""
    if _read_session.get() is not None:
        yield
        return
    try:
        with session_factory() as session:
            if session.get_bind().dialect.name == "postgresql":
                # psycopg then opens the transaction with ``BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY``:
                # no statement of its own (a ``SET TRANSACTION`` cost a round trip per answer). Setting and
                # resetting these options (when the pool takes the connection back) sends nothing.
                session.connection(execution_options=READ_SCOPE_OPTIONS)
            token = _read_session.set(session)
            try:
                yield
            except BaseException:
                _read_session.reset(token)
                session.rollback()
                raise
            _read_session.reset(token)
            # COMMIT, not ROLLBACK, although nothing was written: psycopg forgets every statement it prepared
            # on the connection at each ROLLBACK (and counts executions afresh), so a scope ending in one
            # would have PostgreSQL plan each of its statements on every answer.
            session.commit()
    except SQLAlchemyError as exc:
        raise StorageError(f"mirror database failed to read: {_describe(exc)}") from exc


class SessionScoped:
    """Base of the adapters: each public method runs in one short transaction from ``transaction()``, or in
    the enclosing ``read_scope``'s when it only reads."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """The sessions this adapter works with (another adapter over the same database can share them)."""
        return self._session_factory

    @contextmanager
    def transaction(self, what: str, *, write: bool = False) -> Iterator[Session]:
        """A session in a transaction, committed on success and rolled back on error; SQLAlchemy errors
        become ``StorageError`` (``what`` names the operation in the message). ``write=True`` takes SQLite's
        write lock when the transaction starts (``BEGIN IMMEDIATE``). A read inside a ``read_scope`` over the
        same database uses the scope's session (nothing is committed); so does a write when the database has
        only one connection (in-memory SQLite), and it is committed with the scope."""
        scoped = _read_session.get()
        bind = self._session_factory.kw.get("bind")
        if scoped is not None and scoped.get_bind() is bind and (not write or _one_connection(bind)):
            try:
                yield scoped
            except SQLAlchemyError as exc:
                raise StorageError(f"mirror database failed to {what}: {_describe(exc)}") from exc
            return
        try:
            with self._session_factory.begin() as session:
                if write:
                    session.connection(execution_options=WRITE_OPTIONS)
                yield session
        except StorageError:
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"mirror database failed to {what}: {_describe(exc)}") from exc


def _one_connection(bind: object) -> bool:
    """Whether every session of ``bind`` shares one connection (in-memory SQLite): there a write cannot have a
    transaction of its own inside a read scope's (SQLite refuses the nested BEGIN, and rolling the failure
    back would end the scope's transaction too)."""
    return isinstance(getattr(bind, "pool", None), StaticPool)


def _describe(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    return f"{type(exc).__name__}: {text.strip().splitlines()[0] if text.strip() else ''}"


def dialect_insert(session: Session, table: Table) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support for the session's dialect (SQLite or PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise StorageError(f"unsupported database dialect {name!r} (use SQLite or PostgreSQL)")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def check_sync_token(token: str | None, what: str) -> str:
    """SyncTokens are compared as integers: refuse one that is not a non-negative integer string."""
    if token is None or not str(token).isdigit():
        raise StorageError(f"{what}: SyncToken must be a non-negative integer string, got {token!r}")
    return str(token)
