"""Writes over real HTTP: a bill payment lowers the bill, SyncToken conflicts, sending an invoice."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from infra.interfaces.errors import QboStaleObjectError, QboValidationError
from infra.interfaces.records import BillPaymentStatus
from infra.qbo import to_bill_payment_record, to_customer_payment_record


def test_creating_a_bill_payment_lowers_the_bill_balance(qbo) -> None:
    bill = qbo.open_bill()
    payments_before = qbo.realm.counts()["BillPayment"]
    amount = min(Decimal("10.05"), bill["Balance"])

    created = qbo.client.create(qbo.realm_id, "BillPayment", qbo.payment_body(bill, amount), request_id="pay-1")

    stored_bill = qbo.realm.get("Bill", bill["Id"], decimal=True)
    assert created == qbo.realm.get("BillPayment", created["Id"], decimal=True)
    assert created["TotalAmt"] == amount
    assert stored_bill["Balance"] == bill["Balance"] - amount
    assert {"TxnId": created["Id"], "TxnType": "BillPaymentCheck"} in stored_bill["LinkedTxn"]
    assert qbo.realm.counts()["BillPayment"] == payments_before + 1
    record = to_bill_payment_record(qbo.business.id, created, request_id="pay-1")
    assert [(line.txn_qbo_id, line.amount) for line in record.lines] == [(bill["Id"], amount)]
    (exchange,) = qbo.transport.data()
    assert exchange.method == "POST" and exchange.path.endswith("/billpayment")
    assert exchange.params == {"requestid": "pay-1", "minorversion": "75"}


def test_overpaying_a_bill_is_a_validation_error(qbo) -> None:
    bill = qbo.open_bill()

    with pytest.raises(QboValidationError) as caught:
        qbo.client.create(qbo.realm_id, "BillPayment", qbo.payment_body(bill, bill["Balance"] + Decimal("0.01")))

    assert caught.value.fault_code == "6000" and caught.value.status_code == 400 and caught.value.intuit_tid
    assert qbo.realm.get("Bill", bill["Id"], decimal=True)["Balance"] == bill["Balance"]


def test_sparse_update_with_a_stale_sync_token_raises_stale_object(qbo, caplog) -> None:
    caplog.set_level(logging.INFO, logger="infra.qbo")
    bill = qbo.open_bill()
    first = qbo.client.sparse_update(qbo.realm_id, "Bill", bill["Id"], bill["SyncToken"],
                                     {"PrivateNote": "first writer"})

    with pytest.raises(QboStaleObjectError) as caught:
        qbo.client.sparse_update(qbo.realm_id, "Bill", bill["Id"], bill["SyncToken"], {"PrivateNote": "second"})

    error = caught.value
    assert error.fault_code == "5010" and error.status_code == 400 and error.realm_id == qbo.realm_id
    last = qbo.transport.data()[-1]
    assert error.intuit_tid is not None and error.intuit_tid == last.intuit_tid
    logged = [r for r in caplog.records if getattr(r, "intuit_tid", None) == error.intuit_tid]
    assert [(r.levelname, r.status) for r in logged] == [("WARNING", 400)]  # what Intuit support asks for
    assert len(qbo.transport.data()) == 2  # a stale object is never retried
    stored = qbo.realm.get("Bill", bill["Id"], decimal=True)
    assert first["SyncToken"] == str(int(bill["SyncToken"]) + 1) == stored["SyncToken"]
    assert stored["PrivateNote"] == "first writer"  # the second writer overwrote nothing
    assert stored["TotalAmt"] == bill["TotalAmt"] and stored["Line"] == bill["Line"]  # sparse: rest kept

    # Re-read, then retry with the current token: that works.
    current = qbo.client.read(qbo.realm_id, "Bill", bill["Id"])
    retried = qbo.client.sparse_update(qbo.realm_id, "Bill", bill["Id"], current["SyncToken"],
                                       {"PrivateNote": "second"})
    assert retried["PrivateNote"] == "second" and retried["SyncToken"] == str(int(current["SyncToken"]) + 1)


def test_send_invoice_sets_email_status_and_the_outbox_records_it(qbo) -> None:
    invoice = next(i for i in qbo.realm.all_entities("Invoice") if i.get("EmailStatus") != "EmailSent")

    sent = qbo.client.send_invoice(qbo.realm_id, invoice["Id"], "billing@customer.example", request_id="send-1")

    assert sent["EmailStatus"] == "EmailSent" and sent["BillEmail"]["Address"] == "billing@customer.example"
    assert sent == qbo.realm.get("Invoice", invoice["Id"], decimal=True)
    (mail,) = qbo.state.outbox(qbo.realm_id)
    assert (mail.invoice_id, mail.to, mail.doc_number) == (invoice["Id"], "billing@customer.example",
                                                          invoice.get("DocNumber"))
    (exchange,) = qbo.transport.data()
    assert exchange.path.endswith(f"/invoice/{invoice['Id']}/send")
    assert exchange.params["sendTo"] == "billing@customer.example" and exchange.params["requestid"] == "send-1"


def test_delete_answers_the_deleted_marker(qbo) -> None:
    bill = qbo.open_bill()

    answer = qbo.client.delete(qbo.realm_id, "Bill", bill["Id"], bill["SyncToken"])

    assert answer["status"] == "Deleted" and answer["Id"] == bill["Id"]
    assert qbo.realm.row("Bill", bill["Id"]) is None


def test_a_credit_card_bill_payment_maps_with_its_card_account(qbo) -> None:
    bill = qbo.open_bill()
    card = next(a for a in qbo.realm.all_entities("Account") if a["AccountType"] == "Credit Card" and a["Active"])
    body = {"VendorRef": bill["VendorRef"], "PayType": "CreditCard",
            "CreditCardPayment": {"CCAccountRef": {"value": card["Id"]}},
            "Line": [{"Amount": Decimal("1.10"), "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]}

    created = qbo.client.create(qbo.realm_id, "BillPayment", body, request_id="cc-1")
    record = to_bill_payment_record(qbo.business.id, created)

    assert (record.pay_type, record.bank_account_qbo_id, record.total_amount) == ("CreditCard", card["Id"],
                                                                                   Decimal("1.10"))
    stored_bill = qbo.realm.get("Bill", bill["Id"], decimal=True)
    assert stored_bill["Balance"] == bill["Balance"] - Decimal("1.10")
    assert {"TxnId": created["Id"], "TxnType": "BillPaymentCreditCard"} in stored_bill["LinkedTxn"]


def test_a_customer_payment_lowers_the_invoice_balance(qbo) -> None:
    invoice = next(i for i in qbo.realm.all_entities("Invoice", decimal=True) if i["Balance"] > 1)
    body = {"CustomerRef": {"value": invoice["CustomerRef"]["value"]}, "TotalAmt": Decimal("1.00"),
            "Line": [{"Amount": Decimal("1.00"), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]}

    created = qbo.client.create(qbo.realm_id, "Payment", body, request_id="cust-pay-1")
    record = to_customer_payment_record(qbo.business.id, created)

    assert record.total_amount == Decimal("1.00") and [(x.txn_qbo_id, x.amount) for x in record.lines] == [
        (invoice["Id"], Decimal("1.00"))]
    assert qbo.realm.get("Invoice", invoice["Id"], decimal=True)["Balance"] == invoice["Balance"] - Decimal("1.00")


def test_a_voided_bill_payment_maps_as_voided(qbo) -> None:
    payment = qbo.realm.all_entities("BillPayment")[0]
    qbo.realm.void("BillPayment", payment["Id"])

    record = to_bill_payment_record(qbo.business.id, qbo.client.read(qbo.realm_id, "BillPayment", payment["Id"]))

    assert record.status is BillPaymentStatus.VOIDED and record.total_amount == 0 and record.lines == ()
