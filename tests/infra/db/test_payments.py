"""SqlPaymentMirror: bill payments, cash flow and the write-through of payments made in QBO."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import func, select

from infra.db.tables import bill_payment_lines
from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.records import BillPaymentStatus, PaymentLine
from tests.infra.db.builders import D, bill, bill_payment, customer_payment

COMPLETED, PENDING, VOIDED = BillPaymentStatus.COMPLETED, BillPaymentStatus.PENDING, BillPaymentStatus.VOIDED


@pytest.fixture
def books(writer, tenants, repos):
    a, b = tenants.a, tenants.b
    writer.upsert_bill_payments([
        bill_payment(a, "bp1", "100.00", date(2026, 3, 1), lines=(("b1", "60.00"), ("b2", "40.00"))),
        bill_payment(a, "bp2", "0.00", date(2026, 3, 10), status=VOIDED, token="3"),
        bill_payment(a, "bp3", "20.25", date(2026, 3, 31)),
        bill_payment(a, "bp4", "5.00", date(2026, 2, 28)),
        bill_payment(b, "bp1", "777.77", date(2026, 3, 15)),
    ])
    repos.payments.add_pending_bill_payment(
        bill_payment(a, None, "12.34", date(2026, 3, 20), status=PENDING, token=None, request_id="req-1",
                     lines=(("b3", "12.34"),)))
    writer.upsert_customer_payments([
        customer_payment(a, "cp1", "0.10", date(2026, 3, 1)),
        customer_payment(a, "cp2", "0.20", date(2026, 3, 31)),
        customer_payment(a, "cp3", "1000.00", date(2026, 4, 1)),
        customer_payment(b, "cp1", "55.00", date(2026, 3, 2)),
    ])
    return tenants


def test_list_bill_payments_filters_and_orders(repos, books):
    a = books.a
    assert [p.qbo_id for p in repos.payments.list_bill_payments(a)] == ["bp3", None, "bp2", "bp1", "bp4"]
    assert [p.qbo_id for p in repos.payments.list_bill_payments(a, status=COMPLETED)] == ["bp3", "bp1", "bp4"]
    assert [p.request_id for p in repos.payments.list_bill_payments(a, status=PENDING)] == ["req-1"]
    window = repos.payments.list_bill_payments(a, start=date(2026, 3, 1), end=date(2026, 3, 10))
    assert [p.qbo_id for p in window] == ["bp2", "bp1"]
    assert [p.qbo_id for p in repos.payments.list_bill_payments(a, limit=2)] == ["bp3", None]
    bp1 = repos.payments.list_bill_payments(a, start=date(2026, 3, 1), end=date(2026, 3, 1))[0]
    assert bp1.lines == (PaymentLine("b1", D("60.00")), PaymentLine("b2", D("40.00")))
    assert (bp1.status, bp1.total_amount, bp1.pay_type) == (COMPLETED, D("100.00"), "Check")
    assert [p.total_amount for p in repos.payments.list_bill_payments(books.b)] == [D("777.77")]


def test_cash_flow_counts_completed_payments_in_the_window(repos, books):
    flow = repos.payments.cash_flow(books.a, date(2026, 3, 1), date(2026, 3, 31))
    assert flow.received == D("0.30")  # 0.10 + 0.20, exactly
    assert flow.paid == D("120.25")    # bp1 + bp3; the voided and the pending one do not count
    assert flow.days == 31
    assert repos.payments.cash_flow(books.b, date(2026, 3, 1), date(2026, 3, 31)).paid == D("777.77")
    empty = repos.payments.cash_flow(books.c, date(2026, 3, 1), date(2026, 3, 31))
    assert (empty.received, empty.paid) == (D("0"), D("0"))


def test_pending_payment_is_found_by_request_id_per_business(repos, books):
    found = repos.payments.find_bill_payment_by_request_id(books.a, "req-1")
    assert found is not None
    assert (found.status, found.qbo_id, found.total_amount) == (PENDING, None, D("12.34"))
    assert found.lines == (PaymentLine("b3", D("12.34")),)
    assert repos.payments.find_bill_payment_by_request_id(books.b, "req-1") is None
    assert repos.payments.find_bill_payment_by_request_id(books.a, "nope") is None


def test_a_request_id_is_unique_per_business(repos, books):
    pending = bill_payment(books.a, None, "1.00", date(2026, 3, 20), status=PENDING, token=None,
                           request_id="req-1")
    with pytest.raises(StorageError):  # the unique constraint, translated
        repos.payments.add_pending_bill_payment(pending)
    stored = repos.payments.add_pending_bill_payment(dataclasses.replace(pending, business_id=books.b))
    assert stored.id is not None and stored.business_id == books.b
    with pytest.raises(StorageError):
        repos.payments.add_pending_bill_payment(dataclasses.replace(pending, request_id=None))


def test_complete_bill_payment_updates_payment_and_bills_together(repos, writer, books):
    a = books.a
    writer.upsert_bills([bill(a, "b3", "50.00", date(2026, 4, 1), token="2"),
                         bill(a, "b4", "8.00", date(2026, 4, 1), token="5")])
    pending = repos.payments.find_bill_payment_by_request_id(a, "req-1")
    created = bill_payment(a, "bp9", "12.34", date(2026, 3, 21), token="0", lines=(("b3", "12.34"),),
                           qbo_updated_at="2026-03-21T10:00:00-07:00", bank_account_qbo_id="35")
    done = repos.payments.complete_bill_payment(a, "req-1", created, [
        bill(a, "b3", "37.66", date(2026, 4, 1), total="50.00", token="3"),
        bill(a, "b4", "0.00", date(2026, 4, 1), total="8.00", token="4"),  # older than stored: ignored
    ])
    assert (done.id, done.status, done.qbo_id, done.request_id) == (pending.id, COMPLETED, "bp9", "req-1")
    assert (done.sync_token, done.bank_account_qbo_id, done.txn_date) == ("0", "35", date(2026, 3, 21))
    assert done.lines == (PaymentLine("b3", D("12.34")),)
    assert repos.bills.get_bill_by_qbo_id(a, "b3").balance == D("37.66")
    assert repos.bills.get_bill_by_qbo_id(a, "b4").balance == D("8.00")
    assert repos.payments.cash_flow(a, date(2026, 3, 21), date(2026, 3, 21)).paid == D("12.34")
    # Completing again (a retry) changes nothing.
    again = repos.payments.complete_bill_payment(a, "req-1", created, [])
    assert again == done
    with pytest.raises(RecordNotFound):
        repos.payments.complete_bill_payment(books.b, "req-1", created, [])


def test_complete_bill_payment_folds_in_a_row_the_sync_already_mirrored(repos, writer, books):
    a = books.a
    created = bill_payment(a, "bp9", "12.34", date(2026, 3, 21), lines=(("b3", "12.34"),))
    writer.upsert_bill_payments([created])  # the sync got there first
    done = repos.payments.complete_bill_payment(a, "req-1", created, [])
    rows = [p for p in repos.payments.list_bill_payments(a) if p.qbo_id == "bp9"]
    assert len(rows) == 1 and rows[0].id == done.id and rows[0].request_id == "req-1"


def test_complete_bill_payment_rolls_back_on_failure(repos, books):
    a = books.a
    created = bill_payment(a, "bp9", "12.34", date(2026, 3, 21))
    with pytest.raises(StorageError):
        repos.payments.complete_bill_payment(a, "req-1", created, [bill(a, "b3", "1.005", date(2026, 4, 1))])
    assert repos.payments.find_bill_payment_by_request_id(a, "req-1").status == PENDING


def test_discard_pending_bill_payment(repos, books, db):
    a, b = books.a, books.b
    repos.payments.discard_pending_bill_payment(b, "req-1")  # another business's request id: untouched
    assert repos.payments.find_bill_payment_by_request_id(a, "req-1") is not None
    repos.payments.discard_pending_bill_payment(a, "req-1")
    assert repos.payments.find_bill_payment_by_request_id(a, "req-1") is None
    with db.session_factory() as session:
        assert session.execute(select(func.count()).select_from(bill_payment_lines)
                               .where(bill_payment_lines.c.bill_qbo_id == "b3")).scalar_one() == 0
    repos.payments.discard_pending_bill_payment(a, "req-1")  # nothing left: no error
    # A completed payment is never discarded.
    repos.payments.add_pending_bill_payment(bill_payment(a, None, "1.00", date(2026, 3, 20), status=PENDING,
                                                         token=None, request_id="req-2"))
    repos.payments.complete_bill_payment(a, "req-2", bill_payment(a, "bp7", "1.00", date(2026, 3, 20)), [])
    repos.payments.discard_pending_bill_payment(a, "req-2")
    assert repos.payments.find_bill_payment_by_request_id(a, "req-2").status == COMPLETED
