"""MirrorWriter: keyed upserts that never go back to an older SyncToken, deletions, bulk loading."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import event, func, select

from infra.db.tables import bill_payment_lines, bills, customer_payment_lines
from infra.db.upsert import upsert_bills
from infra.interfaces.errors import StorageError
from infra.interfaces.records import Entity, PaymentLine
from tests.infra.db.builders import D, account, bill, bill_payment, customer, customer_payment, invoice, vendor

DUE = date(2026, 4, 1)


def test_upsert_inserts_then_updates_by_business_and_qbo_id(writer, repos, tenants):
    a, b = tenants.a, tenants.b
    assert writer.upsert_bills([bill(a, "1", "10.00", DUE), bill(b, "1", "20.00", DUE)]) == 2
    first = repos.bills.get_bill_by_qbo_id(a, "1")
    assert writer.upsert_bills([bill(a, "1", "7.00", DUE, token="1", qbo_updated_at="2026-03-02T10:00:00-08:00")]) == 1
    updated = repos.bills.get_bill_by_qbo_id(a, "1")
    assert (updated.id, updated.balance, updated.sync_token) == (first.id, D("7.00"), "1")
    assert updated.qbo_updated_at == "2026-03-02T10:00:00-08:00"  # exactly as QBO sent it
    assert repos.bills.get_bill_by_qbo_id(b, "1").balance == D("20.00")


def test_a_page_upsert_is_one_statement_built_without_compiling(writer, repos, tenants, db):
    """A sync page's upsert is written as one multi-row statement of SQL text: no SQLAlchemy construct is
    compiled for it (compiling one cost about 1 ms per table on first use in a process, in an
    incremental sync's critical path) and the SyncToken guard still holds for every row of it."""
    a = tenants.a
    writer.upsert_bills([bill(a, str(n), "1.00", DUE, token="5") for n in range(300)])
    executed: list[tuple[str, bool]] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        executed.append((statement, context.compiled is not None))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        records = [bill(a, str(n), "2.00", DUE, token="4" if n % 2 else "6") for n in range(300)]
        with db.session_factory.begin() as session:
            written = upsert_bills(session, records)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    upserts = [(sql, compiled) for sql, compiled in executed if sql.lstrip().upper().startswith("INSERT")]
    assert len(upserts) == 1
    assert upserts[0][1] is False
    assert len(written) == 150  # the rows with an older SyncToken were left alone
    assert repos.bills.get_bill_by_qbo_id(a, "0").balance == D("2.00")
    assert repos.bills.get_bill_by_qbo_id(a, "1").balance == D("1.00")


def test_a_row_never_goes_back_to_an_older_sync_token(writer, repos, tenants):
    a = tenants.a
    writer.upsert_bills([bill(a, "1", "10.00", DUE, token="10")])
    assert writer.upsert_bills([bill(a, "1", "99.00", DUE, token="9")]) == 0  # "9" > "10" as text, not as int
    assert repos.bills.get_bill_by_qbo_id(a, "1").balance == D("10.00")
    assert writer.upsert_bills([bill(a, "1", "8.00", DUE, token="10")]) == 1  # the same version may be rewritten
    assert writer.upsert_bills([bill(a, "1", "6.00", DUE, token="11")]) == 1
    assert repos.bills.get_bill_by_qbo_id(a, "1").balance == D("6.00")


def test_duplicates_in_one_batch_keep_the_newest(writer, repos, tenants):
    a = tenants.a
    assert writer.upsert_invoices([invoice(a, "1", "3.00", DUE, token="2"), invoice(a, "1", "1.00", DUE, token="1"),
                                   invoice(a, "1", "5.00", DUE, token="2")]) == 1
    assert repos.invoices.get_invoice_by_qbo_id(a, "1").balance == D("5.00")


@pytest.mark.parametrize("token", ["", "abc", "-1", "1.5", None])
def test_sync_tokens_must_be_integers(writer, tenants, token):
    with pytest.raises(StorageError):
        writer.upsert_vendors([vendor(tenants.a, "1", token=token)])


def test_every_record_type_round_trips(writer, repos, tenants):
    a = tenants.a
    writer.upsert_vendors([vendor(a, "v1", "Flour Co", company_name="Flour Co LLC", balance=D("12.50"),
                                  email="ap@flour.example", phone="555-0100",
                                  qbo_updated_at="2026-01-01T00:00:00-08:00")])
    writer.upsert_customers([customer(a, "c1", "Cafe", active=False, balance=D("0.01"))])
    writer.upsert_accounts([account(a, "1", "Checking", "12.34", account_sub_type="Checking", currency="CAD")])
    stored_bill = bill(a, "b1", "1.00", None, total="2.00", vendor_qbo_id="v1", doc_number="INV-7",
                       currency="CAD", private_note="note", qbo_updated_at="2026-01-01T00:00:00+00:00")
    writer.upsert_bills([stored_bill])
    got = repos.bills.get_bill_by_qbo_id(a, "b1")
    assert got == dataclasses.replace(stored_bill, id=got.id, vendor_name="Flour Co")
    inv = invoice(a, "i1", "3.00", DUE, customer_qbo_id="c1", doc_number="1001", email_status="EmailSent",
                  bill_email="a@b.example", currency="EUR", qbo_updated_at="2026-01-02T00:00:00-05:00")
    writer.upsert_invoices([inv])
    got_inv = repos.invoices.get_invoice_by_qbo_id(a, "i1")
    assert got_inv == dataclasses.replace(inv, id=got_inv.id, customer_name="Cafe")
    cust = repos.invoices.get_customer_by_qbo_id(a, "c1")
    assert (cust.active, cust.balance) == (False, D("0.01"))
    acct = repos.bank.bank_accounts(a)[0]
    assert (acct.account_sub_type, acct.currency, acct.current_balance) == ("Checking", "CAD", D("12.34"))


def test_payment_lines_are_replaced_on_update(writer, repos, tenants, db):
    a = tenants.a
    writer.upsert_bill_payments([bill_payment(a, "p1", "3.00", DUE, lines=(("b1", "1.00"), ("b2", "2.00")))])
    writer.upsert_bill_payments([bill_payment(a, "p1", "3.00", DUE, token="1", lines=(("b3", "3.00"),))])
    writer.upsert_bill_payments([bill_payment(a, "p1", "9.00", DUE, token="0", lines=(("b9", "9.00"),))])  # stale
    (payment,) = repos.payments.list_bill_payments(a)
    assert payment.lines == (PaymentLine("b3", D("3.00")),)
    writer.upsert_customer_payments([customer_payment(a, "cp1", "1.00", DUE, lines=(("i1", "1.00"),))])
    writer.upsert_customer_payments([customer_payment(a, "cp1", "1.00", DUE, token="2")])
    assert repos.invoices.customer_payments(a, "c1")[0].lines == ()
    with db.session_factory() as session:
        assert session.execute(select(func.count()).select_from(bill_payment_lines)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(customer_payment_lines)).scalar_one() == 0


def test_upserting_a_payment_without_qbo_id_is_refused(writer, tenants):
    with pytest.raises(StorageError):
        writer.upsert_bill_payments([bill_payment(tenants.a, None, "1.00", DUE, request_id="r")])


def test_delete_by_qbo_ids(writer, repos, tenants, db):
    a, b = tenants.a, tenants.b
    writer.upsert_bills([bill(a, "1", "1.00", DUE), bill(a, "2", "2.00", DUE), bill(b, "1", "3.00", DUE)])
    writer.upsert_bill_payments([bill_payment(a, "p1", "1.00", DUE, lines=(("1", "1.00"),)),
                                 bill_payment(a, "p2", "1.00", DUE)])
    assert writer.delete_by_qbo_ids(a, Entity.BILL, ["1", "nope"]) == 1
    assert [x.qbo_id for x in repos.bills.unpaid_bills(a)] == ["2"]
    assert [x.qbo_id for x in repos.bills.unpaid_bills(b)] == ["1"]
    assert writer.delete_by_qbo_ids(a, Entity.BILL_PAYMENT, ["p1"]) == 1  # its lines go with it
    with db.session_factory() as session:
        assert session.execute(select(func.count()).select_from(bill_payment_lines)).scalar_one() == 0
    assert writer.delete_by_qbo_ids(a, Entity.VENDOR, []) == 0


def test_money_is_exact(writer, repos, tenants):
    a = tenants.a
    writer.upsert_bills([bill(a, "1", "0.10", DUE), bill(a, "2", "0.20", DUE)])
    total = repos.bills.ap_summary(a, DUE, 0).open_total
    assert total == D("0.30") and str(total) == "0.30" and isinstance(total, D)
    writer.upsert_bills([bill(a, str(n), "0.01", DUE) for n in range(3, 1003)])
    assert repos.bills.ap_summary(a, DUE, 0).open_total == D("10.30")
    writer.upsert_bills([bill(a, "big", "92233720368547758.07", DUE)])  # the BIGINT limit, in cents
    assert repos.bills.get_bill_by_qbo_id(a, "big").balance == D("92233720368547758.07")


@pytest.mark.parametrize("amount", [D("1.005"), D("0.001"), 1.5, D("NaN"), D("Infinity")])
def test_amounts_that_are_not_whole_cents_are_refused(writer, repos, tenants, amount):
    a = tenants.a
    record = dataclasses.replace(bill(a, "1", "1.00", DUE), balance=amount)
    with pytest.raises(StorageError):
        writer.upsert_bills([record])
    with pytest.raises(StorageError):
        writer.bulk_insert([record])
    assert repos.bills.unpaid_bills(a) == []  # nothing half-written


def test_bulk_insert_loads_records_of_every_type(writer, repos, tenants, db):
    a, b = tenants.a, tenants.b
    records = [vendor(a, "v1"), customer(a, "c1"), account(a, "1", "Checking", "5.00"),
               *[bill(a, f"b{n}", "1.25", DUE) for n in range(1200)],
               *[invoice(b, f"i{n}", "2.50", DUE) for n in range(30)],
               bill_payment(a, "p1", "1.25", DUE, lines=(("b1", "1.25"),)),
               bill_payment(b, "p1", "2.00", DUE, lines=(("x", "1.00"), ("y", "1.00"))),
               customer_payment(b, "cp1", "2.50", DUE, lines=(("i1", "2.50"),))]
    assert writer.bulk_insert(records, batch_size=500) == len(records)
    assert repos.bills.ap_summary(a, DUE, 0).open_total == D("1500.00")
    assert repos.invoices.ar_summary(b, DUE, 0).open_count == 30
    assert [p.lines for p in repos.payments.list_bill_payments(b)] == [
        (PaymentLine("x", D("1.00")), PaymentLine("y", D("1.00")))]
    assert repos.invoices.customer_payments(b, "c1")[0].lines == (PaymentLine("i1", D("2.50")),)
    assert writer.count_rows(a, Entity.BILL) == 1200
    with pytest.raises(StorageError):  # no upsert semantics: a key that exists fails the whole call
        writer.bulk_insert([bill(a, "b0", "1.00", DUE), bill(a, "new", "1.00", DUE)])
    assert writer.count_rows(a, Entity.BILL) == 1200
    with db.session_factory() as session:
        assert session.execute(select(func.count()).select_from(bills)).scalar_one() == 1200
    with pytest.raises(StorageError):
        writer.bulk_insert([object()])
