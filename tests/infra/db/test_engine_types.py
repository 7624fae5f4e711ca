"""Engine set-up and the exact column types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from infra.db.engine import (
    DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
    create_engine_for,
    create_session_factory,
    normalize_url,
    sqlite_url,
)
from infra.db.types import from_cents, to_cents


def test_urls(tmp_path):
    assert sqlite_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert sqlite_url("sqlite:///x.db") == "sqlite:///x.db"
    assert sqlite_url(":memory:") == "sqlite://"
    assert normalize_url(str(tmp_path / "b.db")) == f"sqlite:///{tmp_path / 'b.db'}"
    assert normalize_url("postgresql://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"
    assert normalize_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalize_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


def test_sqlite_engine_pragmas(tmp_path):
    engine = create_engine_for(str(tmp_path / "p.db"))  # a plain path works too
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == DEFAULT_SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()


def test_sqlite_transactions_roll_back(tmp_path):
    engine = create_engine_for(sqlite_url(tmp_path / "t.db"))
    sf = create_session_factory(engine)
    with sf.begin() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    with pytest.raises(RuntimeError), sf.begin() as session:
        session.execute(text("INSERT INTO t VALUES (1)"))
        raise RuntimeError("abort")
    with sf() as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()


def test_in_memory_sqlite_is_shared_between_sessions():
    engine = create_engine_for(":memory:")
    sf = create_session_factory(engine)
    with sf.begin() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (7)"))
    with sf() as session:
        assert session.execute(text("SELECT x FROM t")).scalar() == 7
    engine.dispose()


def test_instants_come_back_aware_utc(repos, writer, tenants):
    from infra.interfaces.records import Entity

    at = datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-7)))
    writer.record_sync_success(tenants.a, Entity.BILL, "c", at)
    state = repos.sync.sync_states(tenants.a, [Entity.BILL])[0]
    assert state.last_success_at == at
    assert state.last_success_at.tzinfo == UTC
    assert state.last_success_at.isoformat() == "2026-07-01T16:30:15.123456+00:00"


@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_cents_round_trip(cents):
    amount = from_cents(cents)
    assert amount.as_tuple().exponent == -2
    assert to_cents(amount) == cents
    assert from_cents(Decimal(cents)) == amount  # PostgreSQL's SUM(bigint) comes back as numeric


@settings(max_examples=200)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**9, max_value=10**9))
def test_sub_cent_amounts_are_refused_not_rounded(value):
    if value == value.quantize(Decimal("0.01")):
        assert from_cents(to_cents(value)) == value
    else:
        with pytest.raises(ValueError):
            to_cents(value)


def test_to_cents_refuses_floats_and_bools():
    for bad in (0.1, True, "abc"):
        with pytest.raises(ValueError):
            to_cents(bad)
    assert to_cents(3) == 300 and to_cents("2.50") == 250
