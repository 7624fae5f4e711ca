"""SqlInvoiceMirror: invoices, customers and customer payments, per tenant."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from infra.interfaces.errors import RecordNotFound, StorageError
from infra.interfaces.records import DaysAmountBand
from tests.infra.db.builders import D, customer, customer_payment, invoice

AS_OF = date(2026, 3, 31)
BANDS = [DaysAmountBand("escalate", 60, D("5000")), DaysAmountBand("call", 30, D("1000"))]


@pytest.fixture
def books(writer, tenants):
    a, b = tenants.a, tenants.b
    writer.upsert_customers([customer(a, "c1", "Corner Cafe", email="ap@cafe.example"), customer(a, "c2"),
                             customer(b, "c1", "B's Customer")])
    writer.upsert_invoices([
        invoice(a, "i1", "6000.00", date(2026, 3, 21)),                 # 10 days, big -> escalate
        invoice(a, "i2", "200.00", date(2025, 12, 1)),                  # 120 days -> escalate
        invoice(a, "i3", "1500.00", date(2026, 3, 26)),                 # 5 days, > 1000 -> call
        invoice(a, "i4", "300.00", date(2026, 2, 20)),                  # 39 days -> call
        invoice(a, "i5", "300.00", date(2026, 2, 25)),                  # 34 days -> call (same balance as i4)
        invoice(a, "i6", "100.00", date(2026, 3, 30)),                  # 1 day -> default band
        invoice(a, "i7", "0.00", date(2026, 1, 1), total="50.00"),      # paid
        invoice(a, "i8", "900.00", date(2026, 4, 5), customer_qbo_id="c2"),  # not due yet
        invoice(a, "i9", "35.00", None),                                # undated
        invoice(b, "i1", "7.00", date(2026, 3, 1), customer_qbo_id="c1"),
    ])
    writer.upsert_customer_payments([
        customer_payment(a, "p1", "50.00", date(2026, 2, 1), lines=(("i7", "50.00"),)),
        customer_payment(a, "p2", "30.00", date(2026, 3, 1), lines=(("i1", "10.00"), ("i3", "20.00"))),
        customer_payment(a, "p3", "5.00", date(2026, 3, 1)),
        customer_payment(a, "p4", "99.00", date(2026, 3, 5), customer_qbo_id="c2"),
        customer_payment(b, "p1", "1.00", date(2026, 3, 20)),
    ])
    return tenants


def test_get_invoice_and_customer(repos, books):
    inv = repos.invoices.get_invoice_by_qbo_id(books.a, "i1")
    assert (inv.balance, inv.customer_name, inv.business_id) == (D("6000.00"), "Corner Cafe", books.a)
    assert repos.invoices.get_invoice_by_qbo_id(books.b, "i1").balance == D("7.00")
    with pytest.raises(RecordNotFound):
        repos.invoices.get_invoice_by_qbo_id(books.b, "i2")
    cust = repos.invoices.get_customer_by_qbo_id(books.a, "c1")
    assert (cust.display_name, cust.email, cust.active) == ("Corner Cafe", "ap@cafe.example", True)
    assert repos.invoices.get_customer_by_qbo_id(books.b, "c1").display_name == "B's Customer"
    with pytest.raises(RecordNotFound):
        repos.invoices.get_customer_by_qbo_id(books.b, "c2")


def test_overdue_invoices_banded_and_ordered(repos, books):
    rows = repos.invoices.overdue_invoices(books.a, AS_OF, BANDS, "remind")
    assert [(r.invoice.qbo_id, r.band, r.days_overdue) for r in rows] == [
        ("i1", "escalate", 10), ("i2", "escalate", 120),
        ("i3", "call", 5), ("i4", "call", 39), ("i5", "call", 34),  # equal balances: most overdue first
        ("i6", "remind", 1),
    ]
    top = repos.invoices.overdue_invoices(books.a, AS_OF, BANDS, "remind", limit=3)
    assert [r.invoice.qbo_id for r in top] == ["i1", "i2", "i3"]
    assert top[0].invoice.customer_name == "Corner Cafe"
    no_bands = repos.invoices.overdue_invoices(books.a, AS_OF, [], "all")
    assert [r.invoice.qbo_id for r in no_bands] == ["i1", "i3", "i4", "i5", "i2", "i6"]
    assert {r.band for r in no_bands} == {"all"}
    assert [r.invoice.qbo_id for r in repos.invoices.overdue_invoices(books.b, AS_OF, BANDS, "x")] == ["i1"]


def test_ar_summary_and_aging(repos, books):
    summary = repos.invoices.ar_summary(books.a, AS_OF, 7)
    assert (summary.open_count, summary.open_total) == (8, D("9335.00"))
    assert (summary.overdue_count, summary.overdue_total) == (6, D("8400.00"))
    assert (summary.due_soon_count, summary.due_soon_total) == (1, D("900.00"))
    aging = repos.invoices.aging(books.a, AS_OF, [("current", None, 0), ("1-30", 1, 30), ("31+", 31, None)])
    assert [(r.label, r.count, r.total) for r in aging] == [
        ("current", 2, D("935.00")), ("1-30", 3, D("7600.00")), ("31+", 3, D("800.00"))]
    assert repos.invoices.ar_summary(books.b, AS_OF, 7).open_total == D("7.00")


def test_customer_payments_newest_first_with_lines(repos, books):
    payments = repos.invoices.customer_payments(books.a, "c1")
    assert [p.qbo_id for p in payments] == ["p3", "p2", "p1"]  # same day: higher id first
    p2 = payments[1]
    assert [(line.txn_qbo_id, line.amount) for line in p2.lines] == [("i1", D("10.00")), ("i3", D("20.00"))]
    assert payments[0].lines == ()
    assert [p.qbo_id for p in repos.invoices.customer_payments(books.b, "c1")] == ["p1"]
    assert repos.invoices.customer_payments(books.b, "c2") == []


def test_record_invoice_sent(repos, books):
    current = repos.invoices.get_invoice_by_qbo_id(books.a, "i6")
    sent = dataclasses.replace(current, sync_token="1", email_status="EmailSent", bill_email="x@y.example",
                               qbo_updated_at="2026-03-31T09:00:00-07:00", customer_name=None)
    repos.invoices.record_invoice_sent(books.a, sent)
    stored = repos.invoices.get_invoice_by_qbo_id(books.a, "i6")
    assert (stored.email_status, stored.sync_token, stored.bill_email, stored.id) == (
        "EmailSent", "1", "x@y.example", current.id)
    assert stored.qbo_updated_at == "2026-03-31T09:00:00-07:00"
    # An answer older than what the mirror holds never moves it back.
    repos.invoices.record_invoice_sent(books.a, dataclasses.replace(sent, sync_token="0", email_status="NotSet"))
    assert repos.invoices.get_invoice_by_qbo_id(books.a, "i6").email_status == "EmailSent"
    with pytest.raises(RecordNotFound):
        repos.invoices.record_invoice_sent(books.a, dataclasses.replace(sent, qbo_id="nope"))
    with pytest.raises(StorageError):
        repos.invoices.record_invoice_sent(books.b, sent)  # A's invoice handed over as B's
    assert repos.invoices.get_invoice_by_qbo_id(books.b, "i1").email_status is None
