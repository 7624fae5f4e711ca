"""SqlPortfolioMirror.business_summaries: one row per business, computed set-based."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from infra.interfaces.records import BillPaymentStatus, Entity
from tests.infra.db.builders import D, account, bill, bill_payment, customer_payment, invoice

START, END = date(2026, 3, 1), date(2026, 3, 31)
NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def test_business_summaries(repos, writer, tenants):
    a, b, c = tenants.a, tenants.b, tenants.c
    writer.upsert_accounts([
        account(a, "1", "Checking", "1000.10"), account(a, "2", "Savings", "0.20"),
        account(a, "3", "Closed", "50.00", active=False), account(a, "4", "Card", "75.00", account_type="Credit Card"),
        account(b, "1", "Checking", "3.00"),
    ])
    writer.upsert_invoices([invoice(a, "i1", "100.00", date(2026, 4, 1)), invoice(a, "i2", "0.00", END, total="5"),
                            invoice(a, "i3", "0.05", None), invoice(b, "i1", "9.00", END)])
    writer.upsert_bills([bill(a, "b1", "40.00", END), bill(a, "b2", "0.00", END, total="1"),
                         bill(b, "b1", "2.50", END)])
    writer.upsert_customer_payments([
        customer_payment(a, "p1", "10.00", START), customer_payment(a, "p2", "20.00", END),
        customer_payment(a, "p3", "99.00", START - timedelta(days=1)),  # before the window
        customer_payment(b, "p1", "1.00", END),
    ])
    writer.upsert_bill_payments([
        bill_payment(a, "q1", "30.00", START), bill_payment(a, "q2", "0.00", END, status=BillPaymentStatus.VOIDED),
        bill_payment(a, "q3", "7.00", END + timedelta(days=1)),  # after the window
        bill_payment(b, "q1", "4.00", END),
    ])
    for entity in Entity:
        writer.record_sync_success(a, entity, "c", NOW - timedelta(hours=1 if entity is Entity.BILL else 0))
    writer.record_sync_success(b, Entity.BILL, "c", NOW)
    writer.record_sync_failure(b, Entity.INVOICE, "boom", NOW)  # never synced

    rows = repos.portfolio.business_summaries(tenants.firm_id, START, END)
    assert [r.business.id for r in rows] == [a, b]
    ra, rb = rows
    assert (ra.cash, ra.open_ar, ra.open_ap) == (D("1000.30"), D("100.05"), D("40.00"))
    assert (ra.received_last_window, ra.paid_last_window) == (D("30.00"), D("30.00"))
    assert ra.last_success_at == NOW - timedelta(hours=1)  # the oldest entity
    assert ra.synced_entities == frozenset(Entity)
    assert (rb.cash, rb.open_ar, rb.open_ap, rb.received_last_window, rb.paid_last_window) == (
        D("3.00"), D("9.00"), D("2.50"), D("1.00"), D("4.00"))
    assert rb.last_success_at is None  # Invoice was never synced
    assert rb.synced_entities == frozenset({Entity.BILL})

    everyone = repos.portfolio.business_summaries(None, START, END)
    assert [r.business.id for r in everyone] == [a, b, c]
    rc = everyone[2]
    assert (rc.cash, rc.open_ar, rc.open_ap, rc.last_success_at, rc.synced_entities) == (
        D("0"), D("0"), D("0"), None, frozenset())
    assert repos.portfolio.business_summaries(999_999, START, END) == []


def _aggregate_loops(plan: dict) -> list[tuple[str, int]]:
    """(node type, actual loops) of every aggregate node of an ``EXPLAIN (ANALYZE, FORMAT JSON)`` plan."""
    found = [(plan["Node Type"], plan["Actual Loops"])] if plan["Node Type"] == "Aggregate" else []
    for child in plan.get("Plans", ()):
        found += _aggregate_loops(child)
    return found


@pytest.mark.postgres
@pytest.mark.parametrize("db", ["postgres"], indirect=True)  # about PostgreSQL's plans: no SQLite run
def test_each_table_is_summed_once_per_console_on_postgresql(db, repos, writer, tenants):
    """Without statistics (a freshly loaded mirror; autovacuum off) PostgreSQL planned the former join of
    per-table aggregates to the businesses as nested loops that summed each table once per business."""
    from infra.db.repositories.portfolio import _summary_statements

    a, b = tenants.a, tenants.b
    writer.upsert_invoices([invoice(x, f"i{n}", "10.00", END) for x in (a, b) for n in range(20)])
    writer.upsert_bills([bill(x, f"b{n}", "5.00", END) for x in (a, b) for n in range(20)])
    writer.upsert_customer_payments([customer_payment(x, f"p{n}", "1.00", END) for x in (a, b) for n in range(20)])
    writer.upsert_bill_payments([bill_payment(x, f"q{n}", "2.00", END) for x in (a, b) for n in range(20)])
    params = {"firm_id": tenants.firm_id, "window_start": START, "window_end": END}
    with db.engine.connect() as conn:
        for statement in _summary_statements(True):
            compiled = statement.compile(dialect=conn.dialect)
            plan = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}",
                                        compiled.construct_params(params)).scalar_one()
            loops = _aggregate_loops(plan[0]["Plan"])
            assert all(n == 1 for _, n in loops), loops
    assert [r.open_ar for r in repos.portfolio.business_summaries(tenants.firm_id, START, END)] == [
        D("200.00"), D("200.00")]
