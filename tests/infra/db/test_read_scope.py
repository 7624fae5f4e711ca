"""The read scope (one transaction per answer) on the databases themselves."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import text

from infra.db._base import SessionScoped, read_scope
from infra.db.engine import create_engine_for, create_session_factory

PROBE = text("SELECT CAST(:n AS integer) + 1 AS runway_prepared_probe")


@pytest.mark.postgres
def test_statements_of_successive_read_scopes_stay_prepared_on_postgresql(pg_schema_factory):
    """psycopg prepares a statement on the server after a few executions on a connection, but forgets
    them all at every ROLLBACK: scopes ending in one would have PostgreSQL plan every statement of every
    answer. Each scope here runs the probe once, on the pool's one connection."""
    engine = create_engine_for(pg_schema_factory("runway_read_scope"))
    try:
        adapter = SessionScoped(create_session_factory(engine))
        for n in range(8):
            with read_scope(adapter.session_factory), adapter.transaction("probe") as session:
                assert session.execute(PROBE, {"n": n}).scalar() == n + 1
        with read_scope(adapter.session_factory), adapter.transaction("look") as session:
            prepared = session.execute(text("SELECT count(*) FROM pg_prepared_statements "
                                            "WHERE statement LIKE '%runway_prepared_probe%'")).scalar()
        assert prepared == 1
        assert engine.pool.checkedin() == 1  # one connection served every scope
    finally:
        engine.dispose()


@pytest.mark.parametrize("fails", [False, True])
def test_a_read_scope_ends_its_transaction_either_way(db, fails):
    adapter = SessionScoped(db.session_factory)
    expected = pytest.raises(RuntimeError) if fails else contextlib.nullcontext()
    with expected, read_scope(db.session_factory), adapter.transaction("probe") as session:
        session.execute(PROBE, {"n": 1})
        if fails:
            raise RuntimeError("the answer failed")
    assert db.engine.pool.checkedout() == 0



@pytest.mark.postgres
def test_a_postgresql_read_scope_sends_only_its_reads(pg_schema_factory):
    """Repeatable read and read only go on psycopg's BEGIN: a ``SET TRANSACTION`` would be one more round
    trip per answer."""
    from sqlalchemy import event

    engine = create_engine_for(pg_schema_factory("runway_read_scope"))
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: sent.append(statement))
    try:
        adapter = SessionScoped(create_session_factory(engine))
        with read_scope(adapter.session_factory), adapter.transaction("probe") as session:
            isolation = session.execute(text("SHOW transaction_isolation")).scalar()
            read_only = session.execute(text("SHOW transaction_read_only")).scalar()
        assert (isolation, read_only) == ("repeatable read", "on")
        assert sent == ["SHOW transaction_isolation", "SHOW transaction_read_only"]
    finally:
        engine.dispose()


def test_a_write_inside_a_read_scope_lands_on_in_memory_sqlite():
    """In-memory SQLite has one connection for every session: a write of its own inside the scope failed
    (a BEGIN inside the scope's transaction) and its rollback ended the scope's transaction. It joins the
    scope's (as authentication's last-used stamp does on read routes)."""
    from infra.db.migrate import upgrade_to_head
    from infra.db.repositories.advisors import SqlAdvisorDirectory

    engine = create_engine_for("sqlite://")
    try:
        upgrade_to_head(engine)
        directory = SqlAdvisorDirectory(create_session_factory(engine))
        with read_scope(directory.session_factory):
            assert directory.find_firm_by_name("Harbor & Pine") is None  # the scope's transaction is open
            firm = directory.create_firm("Harbor & Pine")
            assert directory.find_firm_by_name("Harbor & Pine") == firm
        assert directory.find_firm_by_name("Harbor & Pine") == firm
    finally:
        engine.dispose()
