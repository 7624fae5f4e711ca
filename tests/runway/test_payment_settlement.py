"""Money writes leave no ghosts: a payment QBO made whose answer was lost is settled by the next sync, and
a pending payment QBO never made is resolved after the bound (the real client, the local QBO sandbox)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domains.core.errors import LiveDataUnavailable
from infra.interfaces.records import BillPaymentRecord, BillPaymentStatus, PaymentLine
from runway import bootstrap


def _open_bill(store):
    return next(b for b in store.all_entities("Bill", decimal=True) if b["Balance"] > Decimal("50"))


def _bank_account(store):
    return next(a for a in store.all_entities("Account", decimal=True) if a["AccountType"] == "Bank")


def _pending_payments_of(company, now: datetime):
    """Adds a pending payment of 5.00 on an open bill, stored ``since`` (as if its answer never came)."""
    c, business, store = company.container, company.business, company.store
    bill, bank = _open_bill(store), _bank_account(store)

    def pending(request_id: str, since: datetime) -> None:
        c.payments._payments.add_pending_bill_payment(BillPaymentRecord(
            business.id, None, None, bill["VendorRef"]["value"], now.date(), Decimal("5.00"),
            BillPaymentStatus.PENDING, bank_account_qbo_id=bank["Id"],
            lines=(PaymentLine(bill["Id"], Decimal("5.00")),), request_id=request_id, pending_since=since))

    return pending


def _mirrored(c, business_id: int) -> list[BillPaymentRecord]:
    return c.payments.bill_payments(business_id).data


def test_a_lost_answer_payment_followed_by_a_sync_leaves_exactly_one_payment(sandbox_company):
    c, business, store, sandbox = (sandbox_company.container, sandbox_company.business, sandbox_company.store,
                                   sandbox_company.sandbox)
    bill, bank = _open_bill(store), _bank_account(store)
    in_qbo_before = len(store.all_entities("BillPayment"))
    # QBO makes the payment, and every answer (the first and each retry's replay) is lost.
    sandbox.state.faults.drop_next(10, after_processing=True)
    with pytest.raises(LiveDataUnavailable):
        c.payments.record_bill_payment(business.id, bill["Id"], "17.00", bank["Id"], idempotency_key="lost-1")
    sandbox.state.faults.clear()
    assert len(store.all_entities("BillPayment")) == in_qbo_before + 1  # QBO did pay

    results = bootstrap.sync_now(c, business_ids=[business.id])
    assert [r.ok for r in results] == [True], results

    mirrored = _mirrored(c, business.id)
    assert len(mirrored) == len(store.all_entities("BillPayment"))  # one row per QBO payment
    ours = [p for p in mirrored if p.total_amount == Decimal("17.00") and p.lines
            and p.lines[0].txn_qbo_id == bill["Id"]]
    assert len(ours) == 1 and ours[0].status is BillPaymentStatus.COMPLETED and ours[0].request_id
    assert not [p for p in mirrored if p.status is BillPaymentStatus.PENDING]
    # A retry of the same request now answers that payment, and pays nothing more.
    again = c.payments.record_bill_payment(business.id, bill["Id"], "17.00", bank["Id"], idempotency_key="lost-1")
    assert again.replayed and again.payment.qbo_id == ours[0].qbo_id
    assert len(store.all_entities("BillPayment")) == in_qbo_before + 1


def test_pending_payments_qbo_never_made_are_resolved_after_the_bound(sandbox_company):
    c, business = sandbox_company.container, sandbox_company.business
    now = datetime.now(UTC)
    pending = _pending_payments_of(sandbox_company, now)

    pending("never-made-old", now - timedelta(days=3))
    pending("never-made-young", now - timedelta(minutes=1))
    bootstrap.sync_now(c, business_ids=[business.id])
    left = {p.request_id for p in _mirrored(c, business.id) if p.status is BillPaymentStatus.PENDING}
    assert left == {"never-made-young"}  # the old one was never paid: removed (and logged); the young one waits


def test_settling_on_demand_records_a_lost_answer_payment_as_made(sandbox_company):
    c, business, store, sandbox = (sandbox_company.container, sandbox_company.business, sandbox_company.store,
                                   sandbox_company.sandbox)
    bill, bank = _open_bill(store), _bank_account(store)
    sandbox.state.faults.drop_next(10, after_processing=True)
    with pytest.raises(LiveDataUnavailable):
        c.payments.record_bill_payment(business.id, bill["Id"], "9.00", bank["Id"], idempotency_key="lost-2")
    sandbox.state.faults.clear()
    (report,) = bootstrap.settle_payments(c, business_ids=[business.id])
    assert len(report.settled) == 1 and not report.discarded and report.error is None
    (made,) = [p for p in _mirrored(c, business.id) if p.request_id == report.settled[0]]
    assert made.status is BillPaymentStatus.COMPLETED and made.qbo_id is not None
    assert store.get("BillPayment", made.qbo_id)["PrivateNote"].endswith(made.request_id)


def test_the_bound_is_the_setting_for_the_sync_and_for_settling_on_demand(sandbox_company):
    c, business = sandbox_company.container, sandbox_company.business
    now = datetime.now(UTC)
    pending = _pending_payments_of(sandbox_company, now)

    def still_pending() -> set[str | None]:
        return {p.request_id for p in _mirrored(c, business.id) if p.status is BillPaymentStatus.PENDING}

    pending("three-hours", now - timedelta(hours=3))
    pending("five-hours", now - timedelta(hours=5))
    assert [r.ok for r in bootstrap.sync_now(c, business_ids=[business.id])] == [True]
    assert still_pending() == {"three-hours", "five-hours"}  # the default bound is 24 h

    # A second sync right after the first may meet the sandbox's 10-a-second limit: wait it out as QBO asks.
    shorter = c.settings.model_copy(update={"pending_payment_give_up_hours": 4.0, "qbo_throttle_wait_seconds": 1.1})
    with bootstrap.build_container(shorter) as four_hours:
        assert [r.ok for r in bootstrap.sync_now(four_hours, business_ids=[business.id])] == [True]
        assert still_pending() == {"three-hours"}
    shortest = c.settings.model_copy(update={"pending_payment_give_up_hours": 2.0})
    with bootstrap.build_container(shortest) as two_hours:
        (report,) = bootstrap.settle_payments(two_hours, business_ids=[business.id])
    assert report.discarded == ["three-hours"] and still_pending() == set()


@pytest.mark.parametrize("hours", [0, 0.5, 24 * 31])
def test_a_bound_out_of_range_is_refused(hours):
    from pydantic import ValidationError

    from runway.settings import Settings
    with pytest.raises(ValidationError, match="pending_payment_give_up_hours"):
        Settings(pending_payment_give_up_hours=hours)
