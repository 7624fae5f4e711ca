"""CollectionsService: overdue invoices with priority, aging, payment history, all from the mirror."""

from decimal import Decimal

import pytest

from domains.ar.services.collections import Priority, priority_for
from domains.core.errors import NotFound
from tests.fakes.world import small_world, wire_world


@pytest.fixture
def world():
    mirror, ids = small_world()
    return wire_world(mirror), ids


@pytest.mark.parametrize("days, balance, expected", [
    (91, "1", Priority.CRITICAL), (90, "5000.01", Priority.CRITICAL), (90, "5000", Priority.HIGH),
    (61, "1", Priority.HIGH), (60, "2000.01", Priority.HIGH), (60, "2000", Priority.MEDIUM),
    (31, "1", Priority.MEDIUM), (30, "500.01", Priority.MEDIUM), (30, "500", Priority.LOW), (1, "0.01", Priority.LOW),
])
def test_priority_rule_boundaries(days, balance, expected):
    assert priority_for(days, Decimal(balance)) is expected


def test_overdue_invoices_are_ordered_by_priority_then_balance(world):
    s, ids = world
    rows = s.collections.overdue_invoices(ids["bakery"]).data
    assert [(r.invoice.qbo_id, r.priority.value, r.days_overdue) for r in rows] == [
        ("10", "critical", 5), ("11", "critical", 95), ("12", "high", 10), ("13", "high", 61),
        ("14", "medium", 1), ("15", "medium", 31), ("16", "low", 2)]
    for r in rows:
        assert r.priority is priority_for(r.days_overdue, r.invoice.balance)
    assert len(s.collections.overdue_invoices(ids["bakery"], limit=3).data) == 3


def test_aging_report_has_every_bucket_in_order(world):
    s, ids = world
    report = s.collections.aging_report(ids["bakery"]).data
    assert [(b.label, b.count, b.total) for b in report.buckets] == [
        ("current", 1, Decimal("700.00")), ("1-30", 4, Decimal("9200.00")), ("31-60", 1, Decimal("100.00")),
        ("61-90", 1, Decimal("100.00")), ("90+", 1, Decimal("100.00"))]
    assert report.total == Decimal("10200.00")
    empty = s.collections.aging_report(ids["other"]).data
    assert [b.count for b in empty.buckets] == [0, 0, 0, 0, 0]


def test_customer_payment_history_newest_first_and_exact_total(world):
    s, ids = world
    history = s.collections.customer_payment_history(ids["bakery"], "C1").data
    assert [p.qbo_id for p in history.payments] == ["CP2", "CP1"]
    assert history.total_paid == Decimal("1800.10")
    with pytest.raises(NotFound):
        s.collections.customer_payment_history(ids["studio"], "C1")


def test_payment_history_freshness_covers_customers_and_payments(world):
    s, ids = world
    fresh = s.collections.customer_payment_history(ids["bakery"], "C1").freshness
    assert {e.value for e in fresh.entities} == {"Customer", "Payment"}
