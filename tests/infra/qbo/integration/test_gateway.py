"""``QboLiveGateway`` against the sandbox: the records equal the sandbox's data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from infra.interfaces.records import AgingLedger, BillPaymentStatus, PaymentLine
from infra.qbo import to_account_record, to_bill_record, to_invoice_record


def test_bank_accounts_are_the_active_bank_accounts_with_exact_balances(qbo) -> None:
    accounts = qbo.realm.all_entities("Account", decimal=True)
    expected = sorted((to_account_record(qbo.business.id, a) for a in accounts
                       if a["AccountType"] == "Bank" and a["Active"]), key=lambda r: (r.name.casefold(), r.qbo_id))

    records = qbo.gateway.bank_accounts(qbo.business)

    assert records == expected and len(records) == 3  # the inactive bank account is left out
    by_id = {a["Id"]: a for a in accounts}
    for record in records:
        assert record.current_balance == by_id[record.qbo_id]["CurrentBalance"]
        assert record.account_type == "Bank" and record.active and record.currency == "USD"


def test_get_bill_equals_the_sandbox_bill(qbo) -> None:
    bill = qbo.open_bill(linked=True)

    record = qbo.gateway.get_bill(qbo.business, bill["Id"])

    assert record == to_bill_record(qbo.business.id, bill)
    assert (record.total_amount, record.balance) == (bill["TotalAmt"], bill["Balance"])
    assert record.vendor_qbo_id == bill["VendorRef"]["value"] and record.vendor_name == bill["VendorRef"]["name"]
    assert record.qbo_updated_at == bill["MetaData"]["LastUpdatedTime"]


def test_create_bill_payment_pays_two_bills_of_a_vendor_and_lowers_the_bank_balance(qbo) -> None:
    realm = qbo.realm
    bills = realm.all_entities("Bill", decimal=True)
    open_by_vendor: dict[str, list[dict]] = {}
    for bill in bills:
        if bill["Balance"] > 0:
            open_by_vendor.setdefault(bill["VendorRef"]["value"], []).append(bill)
    vendor, (first, second, *_) = next((v, b) for v, b in open_by_vendor.items() if len(b) >= 2)
    bank = qbo.gateway.bank_accounts(qbo.business)[0]
    lines = [PaymentLine(first["Id"], first["Balance"]), PaymentLine(second["Id"], Decimal("0.01"))]

    record = qbo.gateway.create_bill_payment(qbo.business, vendor, bank.qbo_id, date(2026, 11, 20), lines,
                                             request_id="gw-pay-1")

    stored = realm.get("BillPayment", record.qbo_id, decimal=True)
    assert record.request_id == "gw-pay-1" and record.status is BillPaymentStatus.COMPLETED
    assert record.total_amount == stored["TotalAmt"] == first["Balance"] + Decimal("0.01")
    assert record.lines == tuple(lines) and record.bank_account_qbo_id == bank.qbo_id
    assert (record.vendor_qbo_id, record.txn_date, record.sync_token) == (vendor, date(2026, 11, 20), "0")
    assert realm.get("Bill", first["Id"], decimal=True)["Balance"] == 0
    assert realm.get("Bill", second["Id"], decimal=True)["Balance"] == second["Balance"] - Decimal("0.01")
    new_bank = next(a for a in qbo.gateway.bank_accounts(qbo.business) if a.qbo_id == bank.qbo_id)
    assert new_bank.current_balance == bank.current_balance - record.total_amount
    # The same request id again: QBO answers the first payment, nothing is paid twice.
    again = qbo.gateway.create_bill_payment(qbo.business, vendor, bank.qbo_id, date(2026, 11, 20), lines,
                                            request_id="gw-pay-1")
    assert again == record
    assert realm.get("Bill", first["Id"], decimal=True)["Balance"] == 0


def test_send_invoice_returns_the_invoice_as_the_sandbox_holds_it(qbo) -> None:
    invoice = next(i for i in qbo.realm.all_entities("Invoice", decimal=True)
                   if i.get("EmailStatus") != "EmailSent" and i.get("BillEmail"))

    record = qbo.gateway.send_invoice(qbo.business, invoice["Id"], None)  # to its BillEmail

    assert record == to_invoice_record(qbo.business.id, qbo.realm.get("Invoice", invoice["Id"], decimal=True))
    assert record.email_status == "EmailSent" and record.bill_email == invoice["BillEmail"]["Address"]
    assert (record.total_amount, record.balance) == (invoice["TotalAmt"], invoice["Balance"])
    (mail,) = qbo.state.outbox(qbo.realm_id)
    assert mail.to == invoice["BillEmail"]["Address"] and mail.invoice_id == invoice["Id"]
    (exchange,) = qbo.transport.data()
    assert "sendTo" not in exchange.params and exchange.params["requestid"]


def test_aging_reports_total_the_sandbox_companys_open_documents_per_bucket(qbo) -> None:
    """QBO ages a document by the days from its DueDate to the report date: Current up to 0, then 30-day
    buckets, the fourth open-ended. The totals are those of the company's open balances."""
    as_of = date(2026, 11, 20)
    for ledger, entity in ((AgingLedger.PAYABLES, "Bill"), (AgingLedger.RECEIVABLES, "Invoice")):
        expected = [Decimal("0")] * 5
        for row in qbo.realm.all_entities(entity, decimal=True):
            if row["Balance"] and date.fromisoformat(row["TxnDate"]) <= as_of:
                days = (as_of - date.fromisoformat(row["DueDate"])).days
                expected[0 if days <= 0 else min(4, (days + 29) // 30)] += row["Balance"]

        report = qbo.gateway.aging_report(qbo.business, ledger, as_of, period_days=30, periods=4)

        assert report.as_of == as_of
        assert [(b.title, b.min_days, b.max_days) for b in report.buckets] == [
            ("Current", None, 0), ("1 - 30", 1, 30), ("31 - 60", 31, 60), ("61 - 90", 61, 90),
            ("91 and over", 91, None)]
        assert [b.total for b in report.buckets] == expected and report.total == sum(expected)
        assert all(expected), f"every {entity} bucket of the seeded company holds something"
