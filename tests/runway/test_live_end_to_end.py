"""Pattern 2 end to end: the real composition root, a SQLite mirror, the real QBO client, the local sandbox.

Each live operation is driven through the domain services the CLI and API use, and checked against
what the sandbox itself holds, including under injected faults.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from domains.core.errors import LiveDataUnavailable
from infra.interfaces.records import BillPaymentStatus
from infra.qbo import to_record
from qbo_sandbox import SandboxConfig, SandboxServer
from runway import bootstrap
from runway.settings import Settings


@pytest.fixture(scope="module")
def sandbox():
    with SandboxServer(SandboxConfig(realms=1, seed=3, size=400)) as server:
        yield server


@pytest.fixture
def live(sandbox, tmp_path):
    """A container wired to the sandbox, with the sandbox company connected and its data mirrored."""
    sandbox.state.faults.clear()
    # Each test wires a new client whose limiter knows nothing of the previous test's requests: start with an
    # empty rate window, so Intuit's limits (enforced by the sandbox) apply to this test's client alone.
    sandbox.state.limits.reset_windows()
    realm = sandbox.state.realm_ids[0]
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'mirror.db'}", qbo_api_base_url=sandbox.api_base_url,
                        qbo_token_url=sandbox.token_url, qbo_client_id=sandbox.state.config.client_id,
                        qbo_client_secret=sandbox.state.config.client_secret,
                        token_encryption_key=bootstrap.generate_encryption_key(),
                        qbo_backoff_base_seconds=0.01, qbo_max_attempts=3, qbo_throttle_wait_seconds=0.05)
    with bootstrap.build_container(settings) as c:
        bootstrap.prepare_database(c)
        business = bootstrap.connect_company(c, firm_name="Test Firm", business_name="Sandbox Co",
                                             realm_id=realm, refresh_token=sandbox.state.connect_realm(realm))
        _mirror_company(c, business.id, realm)
        yield c, business, sandbox.state.realm(realm)


def _mirror_company(c, business_id: int, realm: str) -> None:
    # Until the background sync exists this copies the company the way a sync would: query, map, upsert.
    for entity, upsert in [("Vendor", c.writer.upsert_vendors), ("Account", c.writer.upsert_accounts),
                           ("Bill", c.writer.upsert_bills), ("Customer", c.writer.upsert_customers),
                           ("Invoice", c.writer.upsert_invoices)]:
        where = "Active IN (true, false)" if entity in ("Vendor", "Account", "Customer") else None
        upsert([to_record(entity, business_id, row) for row in c.qbo_client.query_all(realm, entity, where=where)])


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
    digest = c.runway.weekly_digest(business.id)
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
