"""Driver errors surface as StorageError (never as SQLAlchemy / sqlite3 / psycopg exceptions)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from infra.db.engine import create_engine_for, create_session_factory, sqlite_url
from infra.db.repositories import SqlBillMirror, SqlBusinessDirectory, SqlPortfolioMirror
from infra.db.token_store import DbTokenStore, generate_encryption_key
from infra.db.writer import MirrorWriter
from infra.interfaces.errors import StorageError
from infra.interfaces.records import Entity


def test_unique_violation_is_a_storage_error(writer, tenants):
    with pytest.raises(StorageError) as caught:
        writer.create_business(tenants.firm_id, "Duplicate", "realm-a")
    assert "create a business" in str(caught.value)
    assert caught.value.__cause__ is not None  # raised "from" the driver error


def test_unmigrated_database_is_a_storage_error(tmp_path):
    engine = create_engine_for(sqlite_url(tmp_path / "empty.db"))
    sf = create_session_factory(engine)
    with pytest.raises(StorageError):
        SqlBusinessDirectory(sf).list_firms()
    with pytest.raises(StorageError):
        MirrorWriter(sf).record_sync_success(1, Entity.BILL, None, datetime(2026, 1, 1, tzinfo=UTC))
    engine.dispose()


def test_unopenable_sqlite_file_is_a_storage_error(tmp_path):
    garbage = tmp_path / "not-a-db.db"
    garbage.write_bytes(b"this is not a SQLite database" * 100)
    for url in (sqlite_url(garbage), sqlite_url(tmp_path / "missing-dir" / "x.db")):
        engine = create_engine_for(url)
        with pytest.raises(StorageError):
            SqlBillMirror(create_session_factory(engine)).ap_summary(1, date(2026, 1, 1), 7)
        engine.dispose()


def test_unreachable_postgres_is_a_storage_error():
    engine = create_engine_for("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2")
    with pytest.raises(StorageError):
        SqlPortfolioMirror(create_session_factory(engine)).business_summaries(None, date(2026, 1, 1),
                                                                             date(2026, 1, 31))
    with pytest.raises(StorageError):
        DbTokenStore(create_session_factory(engine), generate_encryption_key()).load("realm")
    engine.dispose()
