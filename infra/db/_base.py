"""What every database adapter in ``infra.db`` shares: short transactions and error translation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from infra.db.engine import WRITE_OPTIONS
from infra.interfaces.errors import StorageError

T = TypeVar("T")

# SQLite allows 32766 bound parameters per statement; IN lists and VALUES batches stay well below it.
CHUNK = 500


class SessionScoped:
    """Base of the adapters: each public method runs in one short transaction from ``transaction()``."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    @contextmanager
    def transaction(self, what: str, *, write: bool = False) -> Iterator[Session]:
        """A session in a transaction, committed on success and rolled back on error; SQLAlchemy errors
        become ``StorageError`` (``what`` names the operation in the message). ``write=True`` takes SQLite's
        write lock when the transaction starts (``BEGIN IMMEDIATE``)."""
        try:
            with self._session_factory.begin() as session:
                if write:
                    session.connection(execution_options=WRITE_OPTIONS)
                yield session
        except StorageError:
            raise
        except SQLAlchemyError as exc:
            raise StorageError(f"mirror database failed to {what}: {_describe(exc)}") from exc


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
