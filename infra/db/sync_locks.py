"""One sync at a time per business, across threads, processes and machines: ``BusinessLocks``.

Split out of ``infra.db.sync_store``; used by ``infra.jobs.sync`` whatever job engine runs the syncs.
"""

from __future__ import annotations

import logging
import os
import platform
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from infra.clock import utc_now
from infra.db._base import SessionScoped
from infra.db.sync_tables import sync_locks
from infra.interfaces.errors import StorageError

__all__ = ["ADVISORY_NAMESPACE", "BusinessLocks", "HeldLock", "advisory_key"]

logger = logging.getLogger("infra.db.sync_locks")

Now = Callable[[], datetime]


#: PostgreSQL advisory locks are per database, not per schema: their first key is this namespace
#: ("RUNW") mixed with a hash of the mirror's schema, so mirrors in several schemas of one database (tests,
#: staging next to production) never lock each other's businesses; the second key is the business id.
ADVISORY_NAMESPACE = 0x52554E57


def advisory_key(schema: str) -> int:
    """The first advisory-lock key for the mirror in ``schema``: a signed 32-bit integer."""
    value = (ADVISORY_NAMESPACE ^ zlib.crc32(schema.encode())) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


class HeldLock:
    """A business's sync lock, held until ``release()`` (also a context manager).

    A lock with a ``renew`` check (every ``renew_every`` seconds, on a thread of its own) is *lost* when a
    check finds it taken over, or when no check has succeeded for ``max_silence`` seconds: the database
    stopped answering (or the machine slept), so a SQLite lease has expired and another worker may take
    it, and a PostgreSQL session may be gone. The time bound holds even while a check hangs on a database
    that accepts connections but never answers. The holder must then stop writing (the sync checks
    ``lost`` between pages) and release: ``release`` never waits on the database longer than it must
    (PostgreSQL: the lock's connection is dropped, which ends its session and so frees the lock).
    """

    def __init__(self, business_id: int, owner: str, release: Callable[[], None],
                 renew: Callable[[], bool] | None = None, renew_every: float | None = None, *,
                 max_silence: float | None = None, abandon: Callable[[], None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.business_id = business_id
        self.owner = owner
        self._release = release
        self._abandon = abandon
        self._renew = renew
        self._stop = threading.Event()
        self._taken_over = False
        self._monotonic = monotonic
        self._last_renewed = monotonic()
        self._max_silence = max_silence
        self._thread: threading.Thread | None = None
        if renew is not None and renew_every:
            self._thread = threading.Thread(target=self._renew_loop, args=(renew_every,), daemon=True,
                                            name=f"sync-lock-{business_id}")
            self._thread.start()

    @property
    def lost(self) -> bool:
        """True once the lock cannot be relied on any more (see the class docstring)."""
        if self._taken_over:
            return True
        if self._max_silence is not None and self._monotonic() - self._last_renewed > self._max_silence:
            self._taken_over = True  # once expired, always: another holder may have come and gone meanwhile
        return self._taken_over

    def _renew_loop(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                renewed = self._renew is not None and self._renew()
                if self.lost:  # the renewal came back too late: the lease had expired meanwhile
                    logger.error("sync lock of business %s is lost: the database did not answer for %.0f s",
                                 self.business_id, self._monotonic() - self._last_renewed)
                    return
                if not renewed:
                    self._taken_over = True
                    logger.error("sync lock of business %s was taken over by another holder", self.business_id)
                    return
                self._last_renewed = self._monotonic()
            except StorageError as exc:  # keep trying until max_silence says the lock is gone
                logger.warning("could not renew the sync lock of business %s: %s", self.business_id, exc)
            if self.lost:
                logger.error("sync lock of business %s is lost: the database has not answered for %.0f s",
                             self.business_id, self._monotonic() - self._last_renewed)
                return

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(0 if self.lost else 5)
        if self.lost and self._abandon is not None:
            self._abandon()
            return
        try:
            self._release()
        except StorageError as exc:  # a lease frees itself at expiry; a dropped session frees its lock
            logger.warning("releasing the sync lock of business %s failed: %s", self.business_id, exc)
            if self._abandon is not None:
                self._abandon()

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.release()


class BusinessLocks(SessionScoped):
    """One sync at a time per business, across threads and processes.

    PostgreSQL: ``pg_try_advisory_lock(advisory_key(schema), business_id)`` on a dedicated connection in
    autocommit mode (no transaction stays open), held until release; the server frees it if the process
    dies. SQLite: a ``sync_locks`` row naming its owner (``host:pid:uuid``) with an expiry, renewed by a
    background thread every ``ttl / 3``; an expired row, or one whose owner process on this host is gone
    (a killed sync), is taken over. Each acquisition has its own owner id, so two threads of one process
    exclude each other too.
    """

    def __init__(self, session_factory: sessionmaker[Session], *, ttl: timedelta = timedelta(minutes=5),
                 now: Now = utc_now) -> None:
        super().__init__(session_factory)
        self.ttl = ttl
        self._now = now
        self._host = platform.node() or "localhost"

    @property
    def _engine(self) -> Engine:
        bind = self._session_factory.kw.get("bind")
        if not isinstance(bind, Engine):
            raise StorageError("BusinessLocks needs a session factory bound to an Engine")
        return bind

    def try_acquire(self, business_id: int) -> HeldLock | None:
        """The lock of ``business_id``, or None when another sync holds it."""
        owner = f"{self._host}:{os.getpid()}:{uuid.uuid4().hex}"
        if self._engine.dialect.name == "postgresql":
            return self._acquire_advisory(business_id, owner)
        return self._acquire_row(business_id, owner)

    def _acquire_advisory(self, business_id: int, owner: str) -> HeldLock | None:
        try:
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot open a connection for the sync lock: {exc}") from exc
        try:
            schema = connection.execute(text("SELECT current_schema()")).scalar() or "public"
            params = {"ns": advisory_key(schema), "id": int(business_id)}
            got = connection.execute(text("SELECT pg_try_advisory_lock(:ns, :id)"), params).scalar()
        except SQLAlchemyError as exc:
            connection.close()
            raise StorageError(f"cannot take the sync lock of business {business_id}: {exc}") from exc
        if not got:
            connection.close()
            return None

        def release() -> None:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), params)
            except SQLAlchemyError as exc:  # the connection is gone: so is the lock
                logger.warning("releasing the sync lock of business %s failed: %s", business_id, exc)
            finally:
                connection.close()

        def renew() -> bool:
            """The session holding the lock still answers (the lock lives as long as it does)."""
            try:
                connection.execute(text("SELECT 1"))
            except SQLAlchemyError as exc:
                raise StorageError(f"the sync lock's connection does not answer: {exc}") from exc
            return True

        def abandon() -> None:
            """Drop the connection without a word to the server: its session ends, and the lock with it,
            as soon as the server notices (at once when it answers again)."""
            try:
                connection.invalidate()
            except Exception as exc:  # it is going away either way
                logger.warning("dropping the sync lock connection of business %s: %s", business_id, exc)

        return HeldLock(business_id, owner, release, renew, max(0.05, self.ttl.total_seconds() / 3),
                        max_silence=self.ttl.total_seconds(), abandon=abandon)

    def _acquire_row(self, business_id: int, owner: str) -> HeldLock | None:
        now = self._now()
        with self.transaction("take a sync lock", write=True) as session:
            row = session.execute(select(sync_locks).where(sync_locks.c.business_id == business_id)).first()
            values = {"owner": owner, "acquired_at": now, "expires_at": now + self.ttl}
            if row is None:
                session.execute(insert(sync_locks).values(business_id=business_id, **values))
            elif row.expires_at <= now or self._owner_is_gone(row.owner):
                logger.warning("taking over the sync lock of business %s from %s (expired or its process is gone)",
                               business_id, row.owner)
                session.execute(update(sync_locks).where(sync_locks.c.business_id == business_id,
                                                         sync_locks.c.owner == row.owner).values(**values))
            else:
                return None

        def release() -> None:
            with self.transaction("release a sync lock", write=True) as session:
                session.execute(delete(sync_locks).where(sync_locks.c.business_id == business_id,
                                                         sync_locks.c.owner == owner))

        def renew() -> bool:
            with self.transaction("renew a sync lock", write=True) as session:
                result = session.execute(update(sync_locks).where(
                    sync_locks.c.business_id == business_id, sync_locks.c.owner == owner
                ).values(expires_at=self._now() + self.ttl))
                return bool(result.rowcount)

        return HeldLock(business_id, owner, release, renew, max(0.05, self.ttl.total_seconds() / 3),
                        max_silence=self.ttl.total_seconds())

    def _owner_is_gone(self, owner: str) -> bool:
        """True when ``owner`` is a process of this host that no longer runs."""
        host, _, rest = owner.partition(":")
        pid_text = rest.partition(":")[0]
        if host != self._host or not pid_text.isdigit():
            return False
        pid = int(pid_text)
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed child not yet reaped still answers ``kill(pid, 0)``: look at its state on Linux."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


