"""Pattern 2 operations: live cash position, paying a bill, sending a reminder (over the fake gateway)."""

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from domains.bank.services.balance import CashSource
from domains.core.errors import ActionRefused, InvalidInput, LiveDataUnavailable, NotFound
from infra.interfaces.errors import QboReconnectRequired, QboUnavailableError
from infra.interfaces.records import AccountRecord, BillPaymentStatus
from tests.fakes.world import NOW, small_world, wire_world


@pytest.fixture
def world():
    mirror, ids = small_world()
    s = wire_world(mirror)
    bakery = mirror.businesses[ids["bakery"]]
    realm = bakery.qbo_realm_id
    s.gateway.accounts[realm] = [AccountRecord(0, "A1", "7", "Checking", "Bank", current_balance=Decimal("11111.11"))]
    for b in mirror.bills:
        if b.business_id == bakery.id:
            s.gateway.bills[(realm, b.qbo_id)] = b
    for i in mirror.invoices:
        if i.business_id == bakery.id:
            s.gateway.invoices[(realm, i.qbo_id)] = dataclasses.replace(i, bill_email="ap@bluecafe.example")
    return s, ids


# -- live cash position -----------------------------------------------------------------------


def test_live_cash_position_reads_qbo_caches_and_writes_through(world):
    s, ids = world
    first = s.balances.current_cash_position(ids["bakery"])
    assert first.source == CashSource.LIVE and first.position.total == Decimal("11111.11")
    assert not first.fell_back and first.freshness.source == "live"
    again = s.balances.current_cash_position(ids["bakery"])
    assert again.source == CashSource.LIVE_CACHED
    assert s.gateway.calls.count("bank_accounts") == 1
    assert s.balances.mirrored_cash_position(ids["bakery"]).data.total == Decimal("13611.61")  # A1 replaced
    s.clock.advance(seconds=61)
    assert s.balances.current_cash_position(ids["bakery"]).source == CashSource.LIVE
    assert s.gateway.calls.count("bank_accounts") == 2


@pytest.mark.parametrize("error, reason", [
    (QboUnavailableError("HTTP 503 from QuickBooks"), "QuickBooks unavailable: HTTP 503 from QuickBooks"),
    (QboReconnectRequired("invalid_grant"), "QuickBooks must be reconnected for this company"),
])
def test_live_cash_position_falls_back_to_the_mirror_marked_stale_with_its_age(world, error, reason):
    s, ids = world
    s.gateway.fail_next(error)
    answer = s.balances.current_cash_position(ids["bakery"])
    assert answer.fell_back and answer.fallback_reason == reason
    assert answer.source == CashSource.MIRROR_FALLBACK
    assert answer.position.total == Decimal("12500.50")
    assert answer.freshness.stale and answer.freshness.age == timedelta(hours=2)
    assert answer.freshness.last_synced_at == NOW - timedelta(hours=2)


def test_live_cash_position_of_an_unknown_business(world):
    s, _ = world
    with pytest.raises(NotFound):
        s.balances.current_cash_position(424242)


# -- paying a bill ----------------------------------------------------------------------------


def test_record_bill_payment_pays_in_qbo_then_pattern_1_reads_see_it_at_once(world):
    s, ids = world
    b = ids["bakery"]
    result = s.payments.record_bill_payment(b, "4", "400.00", "A1", idempotency_key="pay-4")
    assert result.payment.status is BillPaymentStatus.COMPLETED and result.payment.total_amount == Decimal("400.00")
    assert not result.replayed
    assert s.bills.get_bill_by_qbo_id(b, "4").data.balance == Decimal("500.00")
    completed = s.payments.bill_payments(b, status="completed").data
    assert result.payment.qbo_id in [p.qbo_id for p in completed]


def test_a_repeated_request_with_the_same_key_never_pays_twice(world):
    s, ids = world
    b = ids["bakery"]
    first = s.payments.record_bill_payment(b, "4", "400.00", "A1", idempotency_key="k1")
    again = s.payments.record_bill_payment(b, "4", "400.00", "A1", idempotency_key="k1")
    assert again.replayed and again.payment.qbo_id == first.payment.qbo_id
    assert len(s.gateway.created_payments) == 1
    assert s.gateway.calls.count("create_bill_payment") == 1


def test_a_lost_answer_then_a_retry_with_the_same_key_pays_once(world):
    s, ids = world
    b = ids["bakery"]
    s.gateway.lose_next_answer(QboUnavailableError("read timeout"))
    with pytest.raises(LiveDataUnavailable) as err:
        s.payments.record_bill_payment(b, "4", "400.00", "A1", idempotency_key="k2")
    assert "will not pay twice" in str(err.value)
    assert [p.status for p in s.payments.bill_payments(b, status="pending").data].count(BillPaymentStatus.PENDING) == 2
    retried = s.payments.record_bill_payment(b, "4", "400.00", "A1", idempotency_key="k2")
    assert retried.replayed
    assert len(s.gateway.created_payments) == 1
    assert s.bills.get_bill_by_qbo_id(b, "4").data.balance == Decimal("500.00")


def test_qbo_refusal_discards_the_pending_payment(world):
    s, ids = world
    b = ids["bakery"]
    s.gateway.bills[(s.mirror.businesses[b].qbo_realm_id, "4")] = dataclasses.replace(
        s.gateway.bills[(s.mirror.businesses[b].qbo_realm_id, "4")], balance=Decimal("10.00"))
    with pytest.raises(ActionRefused):
        s.payments.record_bill_payment(b, "4", "400.00", "A1", idempotency_key="k3")
    assert [p.request_id for p in s.payments.bill_payments(b, status="pending").data] == ["r-1"]
    assert s.bills.get_bill_by_qbo_id(b, "4").data.balance == Decimal("900.00")


@pytest.mark.parametrize("amount, field", [("0", "amount"), ("-5", "amount"), ("1.001", "amount"),
                                           ("900.01", "amount")])
def test_record_bill_payment_refuses_bad_amounts_before_calling_qbo(world, amount, field):
    s, ids = world
    with pytest.raises(InvalidInput) as err:
        s.payments.record_bill_payment(ids["bakery"], "4", amount, "A1")
    assert err.value.field == field
    assert "create_bill_payment" not in s.gateway.calls


def test_record_bill_payment_for_another_tenants_bill_is_not_found(world):
    s, ids = world
    with pytest.raises(NotFound):
        s.payments.record_bill_payment(ids["studio"], "4", "1.00", "A1")


# -- reminders --------------------------------------------------------------------------------


def test_send_reminder_for_an_overdue_invoice_updates_the_mirror(world):
    s, ids = world
    b = ids["bakery"]
    sent = s.collections.send_reminder(b, "10")
    assert sent.email_status == "EmailSent"
    assert s.gateway.sent == [(s.mirror.businesses[b].qbo_realm_id, "10", None)]
    assert s.mirror.get_invoice_by_qbo_id(b, "10").email_status == "EmailSent"


def test_send_reminder_refuses_invoices_that_are_not_overdue_or_addresses_that_are_not(world):
    s, ids = world
    b = ids["bakery"]
    with pytest.raises(InvalidInput, match="not overdue"):
        s.collections.send_reminder(b, "17", send_to="x@y.example")
    with pytest.raises(InvalidInput) as err:
        s.collections.send_reminder(b, "10", send_to="not an address")
    assert err.value.field == "send_to"
    with pytest.raises(NotFound):
        s.collections.send_reminder(b, "999")
    assert s.gateway.sent == []


def test_send_reminder_when_qbo_is_down_sends_nothing_and_says_so(world):
    s, ids = world
    s.gateway.fail_next(QboUnavailableError("HTTP 503"))
    with pytest.raises(LiveDataUnavailable):
        s.collections.send_reminder(ids["bakery"], "10", send_to="ap@bluecafe.example")
    assert s.mirror.get_invoice_by_qbo_id(ids["bakery"], "10").email_status is None
