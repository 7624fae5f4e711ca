"""BillService answers from the mirror, scoped to one business, with its freshness."""

from datetime import timedelta
from decimal import Decimal

import pytest

from domains.core.errors import InvalidInput, NotFound
from tests.fakes.world import NOW, small_world, wire_world


@pytest.fixture
def world():
    mirror, ids = small_world()
    return wire_world(mirror), ids


def qbo_ids(rows):
    return [r.qbo_id for r in rows]


def test_unpaid_bills_are_earliest_due_first_with_undated_last_and_only_this_business(world):
    s, ids = world
    answer = s.bills.unpaid_bills(ids["bakery"])
    assert qbo_ids(answer.data) == ["1", "2", "3", "4", "6"]
    assert all(b.business_id == ids["bakery"] for b in answer.data)


def test_bills_due_within_n_days_excludes_overdue_and_later_bills(world):
    s, ids = world
    assert qbo_ids(s.bills.bills_due_within(ids["bakery"], 7).data) == ["3"]
    assert qbo_ids(s.bills.bills_due_within(ids["bakery"], 30).data) == ["3", "4"]
    assert qbo_ids(s.bills.bills_due_within(ids["bakery"], 30, limit=1).data) == ["3"]


def test_overdue_bills_most_overdue_first(world):
    s, ids = world
    assert qbo_ids(s.bills.overdue_bills(ids["bakery"]).data) == ["1", "2"]


def test_payment_ready_takes_smallest_first_and_stops_at_the_first_that_does_not_fit(world):
    s, ids = world
    selection = s.bills.payment_ready_bills(ids["bakery"], Decimal("400")).data
    assert qbo_ids(selection.bills) == ["3", "6", "1"]
    assert selection.total == Decimal("200.00")
    assert selection.remaining == Decimal("200.00")


def test_payment_ready_within_a_due_horizon_leaves_out_undated_and_later_bills(world):
    s, ids = world
    selection = s.bills.payment_ready_bills(ids["bakery"], "400.00", due_within_days=14).data
    assert qbo_ids(selection.bills) == ["3", "1", "2"]
    assert selection.total == Decimal("390.00")


@pytest.mark.parametrize("cap", [-1, 1.5, "12.345", "abc"])
def test_payment_ready_refuses_a_bad_cap_naming_the_field(world, cap):
    s, ids = world
    with pytest.raises(InvalidInput) as err:
        s.bills.payment_ready_bills(ids["bakery"], cap)
    assert err.value.field == "cash_cap"


def test_lookups_by_id_and_qbo_id_are_tenant_scoped(world):
    s, ids = world
    by_qbo = s.bills.get_bill_by_qbo_id(ids["bakery"], "1").data
    assert by_qbo.balance == Decimal("100.00")
    assert s.bills.get_bill(ids["bakery"], by_qbo.id).data == by_qbo
    with pytest.raises(NotFound):
        s.bills.get_bill(ids["other"], by_qbo.id)
    with pytest.raises(NotFound):
        s.bills.get_bill_by_qbo_id(ids["studio"], "1")


def test_ap_summary_counts_open_overdue_and_due_soon(world):
    s, ids = world
    summary = s.bills.ap_summary(ids["bakery"], due_within_days=7).data
    assert (summary.open_count, summary.open_total) == (5, Decimal("1350.00"))
    assert (summary.overdue_count, summary.overdue_total) == (2, Decimal("350.00"))
    assert (summary.due_soon_count, summary.due_soon_total) == (1, Decimal("40.00"))


def test_answers_carry_freshness_and_flag_data_older_than_24_hours(world):
    s, ids = world
    fresh = s.bills.unpaid_bills(ids["bakery"]).freshness
    assert fresh.last_synced_at == NOW - timedelta(hours=2)
    assert not fresh.stale
    stale = s.bills.unpaid_bills(ids["studio"]).freshness
    assert stale.stale and stale.age == timedelta(hours=30)
    never = s.bills.unpaid_bills(ids["other"]).freshness
    assert never.stale and never.last_synced_at is None


def test_invalid_arguments_name_the_field(world):
    s, ids = world
    for call, field in [(lambda: s.bills.bills_due_within(ids["bakery"], -1), "days"),
                        (lambda: s.bills.unpaid_bills(ids["bakery"], limit=0), "limit"),
                        (lambda: s.bills.payment_ready_bills(ids["bakery"], 1, due_within_days=-2), "due_within_days")]:
        with pytest.raises(InvalidInput) as err:
            call()
        assert err.value.field == field
