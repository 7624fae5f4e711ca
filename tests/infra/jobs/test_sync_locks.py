"""One sync at a time per business: a second sync of a business being synced is skipped (threads, and
processes: a second engine on the same database), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import platform
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, make_url, select, text

from infra.db.engine import create_engine_for, create_session_factory
from infra.db.sync_locks import BusinessLocks, advisory_key
from infra.db.sync_tables import sync_locks
from infra.jobs import SyncService
from tests.infra.db.conftest import postgres_url, with_search_path
from tests.infra.jobs.conftest import SYNC_CONFIG, Db, World
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox
from tests.runway.api.tcp_proxy import PausableProxy


def _second_engine(db: Db) -> tuple:
    """Another engine on the same database: as another process would connect."""
    engine = create_engine_for(db.url)
    return engine, create_session_factory(engine)


def test_two_concurrent_syncs_of_one_business_one_runs_and_the_other_is_skipped(world: World) -> None:
    business = world.business()
    engine, sessions = _second_engine(world.db)
    other = SyncService(sessions, world.client, clock=world.clock.now, config=SYNC_CONFIG)
    first_page = threading.Event()
    second_done = threading.Event()
    results = {}

    def hold(*_args) -> None:  # the first sync waits, holding the lock, until the second one tried
        first_page.set()
        second_done.wait(10)

    thread = threading.Thread(target=lambda: results.setdefault("first", world.service.sync_business(
        business, progress=hold)))
    thread.start()
    try:
        assert first_page.wait(10)
        # The first sync holds the lock until this call returns: a second sync queued behind the lock
        # would run only after that (and not be skipped), so "skipped" below proves it was refused.
        results["second"] = other.sync_business(business)
        results["other business"] = other.sync_business(world.business(1))  # other businesses are not held
    finally:
        second_done.set()
        thread.join(30)

    assert results["second"].skipped and results["second"].entities == {}
    assert results["first"].ok and not results["first"].skipped
    assert results["other business"].ok
    again = other.sync_business(business)  # released: the next sync runs
    assert again.ok and not again.skipped
    assert_mirror_matches_sandbox(world.db.session_factory, business, world.realm())
    engine.dispose()


def test_a_lock_is_held_across_engines_until_released(db: Db, make_world) -> None:
    world = make_world(db)
    business = world.business()
    engine, sessions = _second_engine(db)
    mine, theirs = BusinessLocks(db.session_factory), BusinessLocks(sessions)

    held = mine.try_acquire(business)
    assert held is not None
    assert theirs.try_acquire(business) is None
    assert mine.try_acquire(business) is None  # not re-entrant either: a second sync in this process waits
    other = theirs.try_acquire(world.business(1))
    assert other is not None
    other.release()
    held.release()
    taken = theirs.try_acquire(business)
    assert taken is not None
    taken.release()
    engine.dispose()


@pytest.mark.postgres
def test_postgres_locks_of_mirrors_in_other_schemas_do_not_collide(sync_pg_url: str) -> None:
    """Advisory locks are per database: the key includes the schema, so business 1 of this mirror and
    business 1 of another schema's mirror are locked independently."""
    admin = create_engine_for(postgres_url())
    other = f"runway_sync_other_{os.getpid()}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{other}"'))
    mine_engine = create_engine_for(sync_pg_url)
    theirs_engine = create_engine_for(with_search_path(postgres_url(), other))
    try:
        mine = BusinessLocks(create_session_factory(mine_engine)).try_acquire(1)
        theirs = BusinessLocks(create_session_factory(theirs_engine)).try_acquire(1)
        assert mine is not None and theirs is not None
        assert BusinessLocks(create_session_factory(mine_engine)).try_acquire(1) is None
        mine.release()
        theirs.release()
        assert advisory_key("a") != advisory_key("b") and -(2**31) <= advisory_key("public") < 2**31
    finally:
        mine_engine.dispose()
        theirs_engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{other}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_a_postgres_lock_whose_database_stops_answering_is_lost_within_its_ttl_and_then_free(
        sync_pg_url: str) -> None:
    """A server that accepts connections but answers nothing (a paused TCP proxy in front of it): the lock is
    lost within its ttl although the check hangs, ``release`` returns at once instead of waiting on the
    server, and once the server answers again the dropped session has freed the lock for another worker."""
    target = make_url(sync_pg_url)
    proxy = PausableProxy(target.host or "127.0.0.1", target.port or 5432)
    proxied = create_engine_for(target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    direct = create_engine_for(sync_pg_url)
    try:
        held = BusinessLocks(create_session_factory(proxied), ttl=timedelta(seconds=0.6)).try_acquire(7)
        assert held is not None
        assert BusinessLocks(create_session_factory(direct)).try_acquire(7) is None  # held, across engines
        proxy.pause()
        deadline = time.monotonic() + 5
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.lost  # no answer for longer than the ttl
        started = time.monotonic()
        held.release()
        assert time.monotonic() - started < 1.0  # dropped, not awaited
        proxy.resume()
        deadline = time.monotonic() + 5
        taken = None
        while taken is None and time.monotonic() < deadline:
            taken = BusinessLocks(create_session_factory(direct)).try_acquire(7)
            time.sleep(0.05)
        assert taken is not None  # the dropped session ended, and the lock with it
        taken.release()
    finally:
        proxy.close()
        proxied.dispose()
        direct.dispose()


def test_sqlite_lock_rows_of_dead_processes_or_past_their_expiry_are_taken_over(sqlite_world: World) -> None:
    world = sqlite_world
    business, other = world.business(), world.business(1)
    host = platform.node()
    now = datetime.now(UTC)
    dead = _dead_pid()
    with world.db.session_factory.begin() as session:
        session.execute(insert(sync_locks), [
            {"business_id": business, "owner": f"{host}:{dead}:x", "acquired_at": now,
             "expires_at": now + timedelta(hours=1)},
            {"business_id": other, "owner": "elsewhere:1:x", "acquired_at": now - timedelta(hours=2),
             "expires_at": now - timedelta(hours=1)},
            {"business_id": world.business(2), "owner": "elsewhere:1:y", "acquired_at": now,
             "expires_at": now + timedelta(hours=1)},
        ])
    locks = BusinessLocks(world.db.session_factory)

    for business_id in (business, other):  # the holder's process is gone / the lock expired
        held = locks.try_acquire(business_id)
        assert held is not None
        held.release()
    assert locks.try_acquire(world.business(2)) is None  # alive elsewhere, not expired: respected


def test_a_held_sqlite_lock_is_renewed_while_its_sync_runs(sqlite_world: World) -> None:
    world = sqlite_world
    locks = BusinessLocks(world.db.session_factory, ttl=timedelta(seconds=0.3))
    held = locks.try_acquire(world.business())
    assert held is not None
    time.sleep(0.7)  # twice the ttl: renewed every 0.1 s meanwhile

    assert BusinessLocks(world.db.session_factory).try_acquire(world.business()) is None
    assert not held.lost
    held.release()
    with world.db.session_factory() as session:
        assert session.execute(select(sync_locks)).all() == []


class _StoppedDatabase:
    """The SQLite mirror stops answering writers: another connection holds its write lock until resumed
    (every write, the lock's renewals included, waits out the busy timeout and fails)."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)

    def stop(self) -> None:
        self._connection.execute("BEGIN EXCLUSIVE")

    def resume(self) -> None:
        self._connection.execute("ROLLBACK")
        self._connection.close()


def _sqlite_path(world: World) -> str:
    return world.db.engine.url.database or ""


def test_a_lock_whose_database_stops_answering_is_lost_within_its_ttl_and_then_free(sqlite_world: World) -> None:
    world = sqlite_world
    locks = BusinessLocks(world.db.session_factory, ttl=timedelta(seconds=0.5))
    held = locks.try_acquire(world.business())
    assert held is not None
    database = _StoppedDatabase(_sqlite_path(world))
    database.stop()
    try:
        deadline = time.monotonic() + 5
        while not held.lost and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.lost  # no renewal for longer than the ttl, although the renewal itself still hangs
        held.release()  # gives up at once: the lease expires on its own
    finally:
        database.resume()
    time.sleep(0.1)
    taken = BusinessLocks(world.db.session_factory).try_acquire(world.business())
    assert taken is not None  # the expired lease is taken over
    taken.release()


def test_a_sync_whose_database_stops_answering_gives_up_and_frees_its_lock(sqlite_world: World) -> None:
    world = sqlite_world
    locks = BusinessLocks(world.db.session_factory, ttl=timedelta(seconds=0.5))
    service = world.new_service(locks=locks)
    database = _StoppedDatabase(_sqlite_path(world))
    stopped = threading.Event()

    def stop_after_the_first_page(*_args) -> None:
        if not stopped.is_set():
            stopped.set()
            database.stop()
            threading.Timer(3.0, database.resume).start()  # answers again later: too late for this run

    result = service.sync_business(world.business(), progress=stop_after_the_first_page)

    assert stopped.is_set() and not result.ok
    assert any("lock was lost" in (r.error or "") for r in result.entities.values()), result
    time.sleep(3.2)
    again = service.sync_business(world.business())  # the lock is free: the next run converges
    assert again.ok, again


def _dead_pid() -> int:
    """A process id that no process has (a child that exited and was reaped)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid
