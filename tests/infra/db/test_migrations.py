"""The Alembic migrations build exactly ``infra.db.tables.metadata``, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import infra.db.api_tables  # noqa: F401  (registers the HTTP API's access tables on metadata)
import infra.db.sync_tables  # noqa: F401  (registers the sync machinery's tables on metadata)
from infra.db.engine import create_engine_for, sqlite_url
from infra.db.migrate import current_revision, downgrade_to, upgrade_to_head
from infra.db.tables import metadata

HEAD = "0004"
EXPECTED_TABLES = {
    "firms", "businesses", "vendors", "customers", "accounts", "bills", "invoices", "bill_payments",
    "bill_payment_lines", "customer_payments", "customer_payment_lines", "sync_state", "qbo_connections",
    "sync_quarantine", "sync_locks", "sync_requests", "worker_heartbeat",
    "advisors", "api_tokens", "idempotency_records",
}


def _differences(engine) -> list:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), metadata)


def _check_round_trip(url: str) -> None:
    engine = create_engine_for(url)
    try:
        assert current_revision(engine) is None
        upgrade_to_head(engine)
        assert current_revision(engine) == HEAD
        assert set(inspect(engine).get_table_names()) == EXPECTED_TABLES | {"alembic_version"}
        assert _differences(engine) == []
        upgrade_to_head(engine)  # idempotent
        downgrade_to(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_to_head(engine)
        assert _differences(engine) == []
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("bills")}
        assert {"ix_bills_open_due", "ix_bills_open_balance"} <= indexes
        if engine.dialect.name == "postgresql":  # compare_metadata does not look at index predicates
            with engine.connect() as conn:
                definitions = dict(conn.exec_driver_sql(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()").all())
            assert definitions["ix_bills_open_due"].endswith("WHERE (balance > 0)")
            assert definitions["ix_invoices_open_due"].endswith("WHERE (balance > 0)")
            assert definitions["ix_bills_open_balance"].endswith("WHERE (balance >= 1)")
    finally:
        engine.dispose()


def test_sqlite_migrations_match_the_models(tmp_path) -> None:
    _check_round_trip(sqlite_url(tmp_path / "m.db"))


@pytest.mark.postgres
def test_postgres_migrations_match_the_models(pg_schema_factory) -> None:
    _check_round_trip(pg_schema_factory("runway_migrate"))


def test_upgrade_accepts_a_plain_sqlite_path(tmp_path) -> None:
    path = tmp_path / "plain.db"
    upgrade_to_head(str(path))
    assert current_revision(str(path)) == HEAD


def test_partial_indexes_have_their_predicates_on_sqlite(tmp_path) -> None:
    """compare_metadata does not look at index predicates: check the ones the planner depends on."""
    engine = create_engine_for(sqlite_url(tmp_path / "p.db"))
    upgrade_to_head(engine)
    with engine.connect() as conn:
        sql = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all())
    engine.dispose()
    assert sql["ix_bills_open_due"].endswith("WHERE balance > 0")
    assert sql["ix_invoices_open_due"].endswith("WHERE balance > 0")
    assert sql["ix_bills_open_balance"].endswith("WHERE balance >= 1")
