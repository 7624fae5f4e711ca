"""SqlBillMirror against hand-built bills of two businesses that reuse the same QBO ids."""

from __future__ import annotations

from datetime import date

import pytest

from infra.db.repositories import bills as bills_module
from infra.interfaces.errors import RecordNotFound
from tests.infra.db.builders import D, bill, vendor

AS_OF = date(2026, 3, 31)
BUCKETS = [("current", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None)]


@pytest.fixture
def books(writer, tenants):
    a, b = tenants.a, tenants.b
    writer.upsert_vendors([vendor(a, "v1", "Flour Co"), vendor(a, "v2", "Sugar Co"), vendor(b, "v1", "B's Pipes")])
    writer.upsert_bills([
        bill(a, "b1", "100.00", date(2026, 3, 1)),                         # 30 days overdue
        bill(a, "b2", "50.10", date(2026, 3, 30), vendor_qbo_id="v2"),     # 1 day overdue
        bill(a, "b3", "0.00", date(2026, 3, 15), total="80.00"),          # paid
        bill(a, "b4", "200.00", date(2026, 4, 10)),                        # due in 10 days
        bill(a, "b5", "25.00", None),                                      # undated
        bill(a, "b6", "75.25", date(2026, 5, 30)),                         # due in 60 days
        bill(a, "b7", "10.00", date(2025, 12, 1)),                         # 120 days overdue
        bill(a, "b8", "40.00", date(2026, 4, 1), vendor_qbo_id="v-unknown"),  # vendor not mirrored
        # Business B reuses the QBO ids with other amounts: nothing of it may leak into A's answers.
        bill(b, "b1", "999.99", date(2026, 3, 1)),
        bill(b, "b2", "1.00", date(2026, 3, 31)),
        bill(b, "b9", "5.00", None),
    ])
    return tenants


def ids(bills):
    return [b.qbo_id for b in bills]


def test_get_bill_by_id_and_qbo_id(repos, books):
    a, b = books.a, books.b
    found = repos.bills.get_bill_by_qbo_id(a, "b1")
    assert (found.business_id, found.balance, found.vendor_name) == (a, D("100.00"), "Flour Co")
    assert repos.bills.get_bill(a, found.id) == found
    other = repos.bills.get_bill_by_qbo_id(b, "b1")
    assert other.balance == D("999.99") and other.vendor_name == "B's Pipes"
    with pytest.raises(RecordNotFound):
        repos.bills.get_bill(a, other.id)  # B's row, asked for as A's
    with pytest.raises(RecordNotFound):
        repos.bills.get_bill_by_qbo_id(a, "b9")
    assert repos.bills.get_bill_by_qbo_id(a, "b8").vendor_name is None


def test_unpaid_bills_earliest_due_first_undated_last(repos, books):
    assert ids(repos.bills.unpaid_bills(books.a)) == ["b7", "b1", "b2", "b8", "b4", "b6", "b5"]
    assert ids(repos.bills.unpaid_bills(books.a, limit=3)) == ["b7", "b1", "b2"]
    assert ids(repos.bills.unpaid_bills(books.a, limit=7)) == ["b7", "b1", "b2", "b8", "b4", "b6", "b5"]
    assert ids(repos.bills.unpaid_bills(books.b)) == ["b1", "b2", "b9"]
    assert repos.bills.unpaid_bills(books.c) == []


def test_bills_due_between_is_inclusive(repos, books):
    assert ids(repos.bills.bills_due_between(books.a, date(2026, 3, 30), date(2026, 4, 10))) == ["b2", "b8", "b4"]
    assert ids(repos.bills.bills_due_between(books.a, date(2026, 3, 30), date(2026, 4, 10), limit=1)) == ["b2"]
    assert ids(repos.bills.bills_due_between(books.b, date(2026, 3, 1), date(2026, 3, 31))) == ["b1", "b2"]


def test_overdue_bills_most_overdue_first(repos, books):
    assert ids(repos.bills.overdue_bills(books.a, AS_OF)) == ["b7", "b1", "b2"]
    assert ids(repos.bills.overdue_bills(books.a, AS_OF, limit=2)) == ["b7", "b1"]
    assert ids(repos.bills.overdue_bills(books.b, AS_OF)) == ["b1"]


def test_bills_fitting_cap_takes_the_smallest_first(repos, books):
    a = books.a
    # open balances smallest first: b7 10.00, b5 25.00, b8 40.00, b2 50.10, b6 75.25, b1 100.00, b4 200.00
    assert ids(repos.bills.bills_fitting_cap(a, D("125.10"))) == ["b7", "b5", "b8", "b2"]
    assert ids(repos.bills.bills_fitting_cap(a, D("125.09"))) == ["b7", "b5", "b8"]
    assert ids(repos.bills.bills_fitting_cap(a, D("125.109"))) == ["b7", "b5", "b8", "b2"]  # whole cents fit
    assert ids(repos.bills.bills_fitting_cap(a, D("9.99"))) == []
    assert repos.bills.bills_fitting_cap(a, D("0")) == []
    assert ids(repos.bills.bills_fitting_cap(a, D("1000000"))) == ["b7", "b5", "b8", "b2", "b6", "b1", "b4"]
    # Only bills due on or before the date (undated ones never qualify).
    assert ids(repos.bills.bills_fitting_cap(a, D("160.10"), due_on_or_before=AS_OF)) == ["b7", "b2", "b1"]
    assert ids(repos.bills.bills_fitting_cap(books.b, D("10"))) == ["b2", "b9"]


def test_bills_fitting_cap_breaks_ties_by_id_and_grows_its_window(repos, writer, tenants, monkeypatch):
    monkeypatch.setattr(bills_module, "FIRST_WINDOW", 2)  # force several rounds
    writer.upsert_bills([bill(tenants.a, f"t{n}", "10.00", date(2026, 4, 1)) for n in range(9)])
    chosen = repos.bills.bills_fitting_cap(tenants.a, D("75.00"))
    assert len(chosen) == 7
    assert [b.id for b in chosen] == sorted(b.id for b in chosen)
    assert len(repos.bills.bills_fitting_cap(tenants.a, D("90.00"))) == 9
    assert len(repos.bills.bills_fitting_cap(tenants.a, D("80.00"))) == 8


def test_ap_summary(repos, books):
    summary = repos.bills.ap_summary(books.a, AS_OF, 14)
    assert (summary.open_count, summary.open_total) == (7, D("500.35"))
    assert (summary.overdue_count, summary.overdue_total) == (3, D("160.10"))
    assert (summary.due_soon_count, summary.due_soon_total) == (2, D("240.00"))  # b8 (Apr 1), b4 (Apr 10)
    assert repos.bills.ap_summary(books.a, AS_OF, 0).due_soon_count == 0
    other = repos.bills.ap_summary(books.b, AS_OF, 0)
    assert (other.open_count, other.open_total, other.overdue_total) == (3, D("1005.99"), D("999.99"))
    assert (other.due_soon_count, other.due_soon_total) == (1, D("1.00"))  # due on as_of counts as due soon
    empty = repos.bills.ap_summary(books.c, AS_OF, 14)
    assert (empty.open_count, empty.open_total, empty.overdue_total) == (0, D("0"), D("0"))


def test_aging_buckets(repos, books):
    rows = repos.bills.aging(books.a, AS_OF, BUCKETS)
    assert [(r.label, r.count, r.total) for r in rows] == [
        ("current", 4, D("340.25")),  # b8, b4, b6 and the undated b5
        ("1-30", 2, D("150.10")),
        ("31-60", 0, D("0")),
        ("61-90", 0, D("0")),
        ("90+", 1, D("10.00")),
    ]
    assert [(r.min_days, r.max_days) for r in rows] == [(lo, hi) for _, lo, hi in BUCKETS]
    assert repos.bills.aging(books.a, AS_OF, []) == []
    assert sum(r.total for r in repos.bills.aging(books.b, AS_OF, BUCKETS)) == D("1005.99")
