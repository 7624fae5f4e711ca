"""PaymentService and BalanceService (Pattern 1 reads)."""

from decimal import Decimal

import pytest

from domains.core.errors import InvalidInput
from infra.interfaces.records import BillPaymentStatus
from tests.fakes.world import days, small_world, wire_world


@pytest.fixture
def world():
    mirror, ids = small_world()
    return wire_world(mirror), ids


def test_bill_payments_filter_by_status_and_date(world):
    s, ids = world
    b = ids["bakery"]
    assert [p.qbo_id for p in s.payments.bill_payments(b).data] == [None, "P1", "P2"]
    assert [p.request_id for p in s.payments.bill_payments(b, status="pending").data] == ["r-1"]
    completed = s.payments.bill_payments(b, status=BillPaymentStatus.COMPLETED, start=days(-30), end=days(0)).data
    assert [p.qbo_id for p in completed] == ["P1"]


def test_bill_payments_refuse_an_unknown_status_and_a_reversed_range(world):
    s, ids = world
    with pytest.raises(InvalidInput) as err:
        s.payments.bill_payments(ids["bakery"], status="lost")
    assert err.value.field == "status" and "pending, completed, voided" in err.value.message
    with pytest.raises(InvalidInput):
        s.payments.bill_payments(ids["bakery"], start=days(1), end=days(0))


def test_cash_flow_counts_completed_bill_payments_and_customer_payments_in_the_window(world):
    s, ids = world
    flow = s.payments.cash_flow(ids["bakery"], 90).data
    assert (flow.paid, flow.received, flow.days) == (Decimal("9000.00"), Decimal("1800.10"), 90)
    week = s.payments.cash_flow(ids["bakery"], 7).data
    assert (week.paid, week.received) == (Decimal("9000.00"), Decimal("0.10"))


def test_mirrored_cash_position_sums_active_bank_accounts_only(world):
    s, ids = world
    position = s.balances.mirrored_cash_position(ids["bakery"]).data
    assert [a.name for a in position.accounts] == ["Checking", "Savings"]
    assert position.total == Decimal("12500.50")
