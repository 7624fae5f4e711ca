"""The Alembic migrations build exactly ``infra.db.tables.metadata``, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError

import infra.db.api_tables  # noqa: F401  (registers the HTTP API's access tables on metadata)
import infra.db.sync_tables  # noqa: F401  (registers the sync machinery's tables on metadata)
from infra.db.engine import create_engine_for, sqlite_url
from infra.db.migrate import current_revision, downgrade_to, upgrade_to, upgrade_to_head
from infra.db.tables import metadata

HEAD = "0005"
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


# -- 0005: a realm shared by several firms --------------------------------------------------------------------

def _seed_0004(engine: Engine) -> None:
    """At 0004: two firms, one business on realm R1 with a vendor (a mirror row referencing the business)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO firms (id, name) VALUES (1, 'Harbor'), (2, 'Pine')")
        conn.exec_driver_sql("INSERT INTO businesses (id, firm_id, name, qbo_realm_id) VALUES (1, 1, 'Acme', 'R1')")
        conn.exec_driver_sql(
            "INSERT INTO vendors (business_id, qbo_id, sync_token, display_name, active, balance) "
            "VALUES (1, '7', '0', 'Paper Co', true, 1250)")


def _insert_business(engine: Engine, business_id: int, firm_id: int, realm: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO businesses (id, firm_id, name, qbo_realm_id) "
                             f"VALUES ({business_id}, {firm_id}, 'Acme', '{realm}')")


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())


def _check_shared_realm_upgrade(url: str) -> None:
    engine = create_engine_for(url)
    try:
        upgrade_to(engine, "0004")
        _seed_0004(engine)
        with pytest.raises(IntegrityError):  # before: one business per realm, whatever the firm
            _insert_business(engine, 2, 2, "R1")

        upgrade_to_head(engine)

        assert _count(engine, "vendors") == 1  # the rebuild of businesses cascaded nothing away
        _insert_business(engine, 2, 2, "R1")  # another firm connects the same QBO company
        with pytest.raises(IntegrityError):  # but one firm connects a company once
            _insert_business(engine, 3, 1, "R1")
        with pytest.raises(Exception, match="connected by more than one firm"):
            downgrade_to(engine, "0004")
        assert current_revision(engine) == HEAD  # the refused downgrade changed nothing

        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM businesses WHERE id = 2")
        downgrade_to(engine, "0004")
        assert current_revision(engine) == "0004" and _count(engine, "vendors") == 1
        with pytest.raises(IntegrityError):
            _insert_business(engine, 2, 2, "R1")
    finally:
        engine.dispose()


def test_sqlite_upgrade_to_0005_lets_firms_share_a_realm_and_keeps_the_mirror(tmp_path) -> None:
    _check_shared_realm_upgrade(sqlite_url(tmp_path / "shared.db"))


@pytest.mark.postgres
def test_postgres_upgrade_to_0005_lets_firms_share_a_realm_and_keeps_the_mirror(pg_schema_factory) -> None:
    _check_shared_realm_upgrade(pg_schema_factory("runway_shared_realm"))


def test_0005_refuses_a_sqlite_connection_that_enforces_foreign_keys(tmp_path) -> None:
    """Rebuilding ``businesses`` with foreign keys enforced would delete every mirror row (ON DELETE CASCADE):
    the migration refuses rather than lose them."""
    from alembic import command

    from infra.db.migrate import alembic_config

    engine = create_engine_for(sqlite_url(tmp_path / "guard.db"))
    try:
        upgrade_to(engine, "0004")
        _seed_0004(engine)
        with engine.begin() as conn:  # foreign keys on, as every connection of create_engine_for has them
            config = alembic_config()
            config.attributes["connection"] = conn
            with pytest.raises(RuntimeError, match="cascade-delete"):
                command.upgrade(config, "0005")
        assert _count(engine, "vendors") == 1
    finally:
        engine.dispose()


def test_a_sqlite_migration_leaving_dangling_foreign_keys_is_rolled_back(tmp_path) -> None:
    """Migrations run with SQLite's foreign keys off (so a table rebuild cascades nothing), and are checked
    before commit instead; the connection goes back to the pool enforcing them again."""
    from infra.db.migrate import migration_transaction

    engine = create_engine_for(sqlite_url(tmp_path / "dangling.db"))
    try:
        upgrade_to_head(engine)
        with pytest.raises(RuntimeError, match="foreign keys point nowhere"), migration_transaction(engine) as conn:
            conn.exec_driver_sql("INSERT INTO vendors (business_id, qbo_id, sync_token, display_name, active, "
                                 "balance) VALUES (999, '1', '0', 'Orphan', 1, 0)")
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'next'")  # as a migration would
        assert current_revision(engine) == HEAD and _count(engine, "vendors") == 0
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
