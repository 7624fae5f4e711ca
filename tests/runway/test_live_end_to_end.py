"""Pattern 2 end to end: the real composition root, a SQLite mirror, the real QBO client, the local sandbox
(``sandbox_company``, tests/fixtures/sandbox.py).

Each live operation is driven through the domain services the CLI and API use, and checked against
what the sandbox itself holds, including under injected faults.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from domains.core.errors import LiveDataUnavailable
from infra.interfaces.records import BillPaymentStatus


@pytest.fixture
def live(sandbox_company):
    """The container wired to the sandbox, the connected business and the sandbox's own data for it."""
    return sandbox_company.container, sandbox_company.business, sandbox_company.store


@pytest.fixture
def sandbox(sandbox_company):
    return sandbox_company.sandbox


def _open_bill(store):
    return next(b for b in store.all_entities("Bill", decimal=True) if b["Balance"] > Decimal("50"))


def _bank_account(store):
    return next(a for a in store.all_entities("Account", decimal=True) if a["AccountType"] == "Bank")


def test_live_cash_position_is_what_qbo_holds_now(live):
    c, business, store = live
    expected = sum((a["CurrentBalance"] for a in store.all_entities("Account", decimal=True)
                    if a["AccountType"] == "Bank" and a.get("Active", True)), Decimal("0"))
    answer = c.balances.current_cash_position(business.id)
    assert answer.source == "live" and not answer.fell_back
    assert answer.position.total == expected


def test_live_cash_position_falls_back_when_qbo_keeps_failing(live, sandbox):
    c, business, _ = live
    sandbox.state.faults.fail_next(10, status=503)
    answer = c.balances.current_cash_position(business.id)
    assert answer.fell_back and answer.source == "mirror (QuickBooks unavailable)"
    assert "QuickBooks unavailable" in answer.fallback_reason
    sandbox.state.faults.fail_next(10, status=503)
    digest = c.runway.weekly_digest(business.id, live_cash=True)
    assert digest.cash_source == "mirror (QuickBooks unavailable)"
    assert digest.cash_fallback_reason.startswith("QuickBooks unavailable")


def test_a_payment_whose_answer_is_lost_is_made_once(live, sandbox):
    c, business, store = live
    bill, bank = _open_bill(store), _bank_account(store)
    payments_before = len(store.all_entities("BillPayment"))
    sandbox.state.faults.drop_next(1, after_processing=True)  # QBO pays, the answer never arrives
    result = c.payments.record_bill_payment(business.id, bill["Id"], "25.00", bank["Id"], idempotency_key="pay-1")
    assert result.payment.status is BillPaymentStatus.COMPLETED
    assert len(store.all_entities("BillPayment")) == payments_before + 1
    assert store.get("Bill", bill["Id"], decimal=True)["Balance"] == bill["Balance"] - Decimal("25.00")
    assert c.bills.get_bill_by_qbo_id(business.id, bill["Id"]).data.balance == bill["Balance"] - Decimal("25.00")
    again = c.payments.record_bill_payment(business.id, bill["Id"], "25.00", bank["Id"], idempotency_key="pay-1")
    assert again.replayed and again.payment.qbo_id == result.payment.qbo_id
    assert len(store.all_entities("BillPayment")) == payments_before + 1


def test_qbo_down_during_a_payment_leaves_nothing_paid_and_a_retry_pays_once(live, sandbox):
    c, business, store = live
    bill, bank = _open_bill(store), _bank_account(store)
    payments_before = len(store.all_entities("BillPayment"))
    sandbox.state.faults.fail_next(10, status=503)
    with pytest.raises(LiveDataUnavailable):
        c.payments.record_bill_payment(business.id, bill["Id"], "10.00", bank["Id"], idempotency_key="pay-2")
    sandbox.state.faults.clear()
    assert len(store.all_entities("BillPayment")) == payments_before
    done = c.payments.record_bill_payment(business.id, bill["Id"], "10.00", bank["Id"], idempotency_key="pay-2")
    assert done.payment.status is BillPaymentStatus.COMPLETED
    assert len(store.all_entities("BillPayment")) == payments_before + 1


def test_send_reminder_goes_through_qbo_invoice_send(live, sandbox):
    c, business, store = live
    overdue = c.collections.overdue_invoices(business.id, limit=1).data[0].invoice
    sent = c.collections.send_reminder(business.id, overdue.qbo_id, send_to="ap@client.example")
    assert sent.email_status == "EmailSent"
    assert store.get("Invoice", overdue.qbo_id)["EmailStatus"] == "EmailSent"
    sent_mail = [(m.invoice_id, m.to) for m in sandbox.state.outbox(business.qbo_realm_id)]
    assert (overdue.qbo_id, "ap@client.example") in sent_mail
