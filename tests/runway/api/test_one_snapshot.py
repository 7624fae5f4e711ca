"""One read transaction per answer: a read route's figures and freshness come from one snapshot, and the
sync state behind its freshness is read once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event

ROUTES = ["digest", "tray", "runway", "bills", "aging", "payments"]


def _count(api, url: str) -> Counter:
    seen: Counter = Counter()
    engine = api.container.engine

    def on_begin(conn):
        seen["transactions"] += 1

    def on_execute(conn, cursor, statement, *args):
        text = statement.lstrip().upper()
        if text.startswith("SELECT"):
            seen["selects"] += 1
            if "FROM SYNC_STATE" in text:
                seen["sync_state_reads"] += 1

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = api.get(url)
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_execute)
    assert response.status_code == 200, response.text
    return seen


@pytest.mark.parametrize("route", ROUTES)
def test_a_read_answer_is_one_transaction_authentication_included(api, route):
    api.get("/v1/console")  # the token's last_used_at is stamped now, not during the measured request
    seen = _count(api, f"/v1/businesses/{api.portfolio.business_id}/{route}")
    # authentication and the tenancy check run in the answer's own transaction (they had one each)
    assert seen["transactions"] == 1, seen
    assert seen["sync_state_reads"] == 1, seen


def test_the_console_is_one_transaction_of_three_reads(api):
    api.get("/v1/console")
    seen = _count(api, "/v1/console")
    assert (seen["transactions"], seen["selects"]) == (1, 3), seen  # the token, the businesses, the totals


def test_the_digest_reads_a_handful_of_queries(api):
    api.get("/v1/console")
    seen = _count(api, f"/v1/businesses/{api.portfolio.business_id}/digest")
    # it was 17 transactions, 7 of them the same sync-state read; then 3 transactions of 12 statements (the
    # business read twice)
    assert seen["selects"] <= 10, seen



@pytest.mark.postgres
def test_on_postgresql_the_read_scope_is_one_repeatable_read_read_only_transaction(pg_portfolio):
    from sqlalchemy import text

    from infra.db.repositories.bills import SqlBillMirror
    from runway import bootstrap
    from runway.settings import Settings

    url, _ = pg_portfolio
    with bootstrap.build_container(Settings(database_url=url)) as c:
        with c.read_scope():
            seen = []
            repository = SqlBillMirror(c.session_factory)
            for _ in range(2):
                with repository.transaction("probe") as session:  # what every repository read joins
                    seen.append((session.execute(text("SHOW transaction_isolation")).scalar(),
                                 session.execute(text("SHOW transaction_read_only")).scalar(),
                                 session.execute(text("SELECT txid_current_if_assigned() IS NULL, "
                                                      "pg_backend_pid()")).one()))
            assert seen[0] == seen[1] and seen[0][:2] == ("repeatable read", "on")
        with c.engine.connect() as conn:  # the pool's connections are left as they were
            assert conn.execute(text("SHOW transaction_isolation")).scalar() == "read committed"
