"""CDC parsing (Deleted markers included), exact Decimal amounts from the wire, mapping to records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from infra.db.entities import to_record
from infra.interfaces.records import (
    AccountRecord,
    BillPaymentStatus,
    BillRecord,
    CustomerRecord,
    Entity,
    PaymentLine,
    VendorRecord,
)
from infra.qbo import (
    MalformedEntityError,
    is_deleted,
    to_account_record,
    to_bill_payment_record,
    to_bill_record,
    to_customer_payment_record,
    to_customer_record,
    to_deleted,
    to_invoice_record,
    to_vendor_record,
)
from infra.qbo._json import dumps, loads
from tests.infra.qbo.conftest import REALM

META = {"CreateTime": "2025-02-01T09:00:00-08:00", "LastUpdatedTime": "2025-02-20T10:15:00-08:00"}
BILL = {
    "Id": "146", "SyncToken": "2", "domain": "QBO", "sparse": False, "MetaData": META,
    "VendorRef": {"value": "56", "name": "Bob's Burger Joint"}, "APAccountRef": {"value": "33"},
    "TxnDate": "2025-02-01", "DueDate": "2025-03-03", "TotalAmt": 0.3, "Balance": 0.3, "DocNumber": "B-17",
    "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
    "Line": [
        {"Id": "1", "Amount": 0.1, "DetailType": "AccountBasedExpenseLineDetail",
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}}},
        {"Id": "2", "Amount": 0.2, "DetailType": "AccountBasedExpenseLineDetail"},
    ],
    "SomethingNew": {"nested": True},
}
BILL_PAYMENT = {
    "Id": "300", "SyncToken": "0", "MetaData": META, "VendorRef": {"value": "56"}, "PayType": "Check",
    "CheckPayment": {"BankAccountRef": {"value": "35", "name": "Checking"}, "PrintStatus": "NeedToPrint"},
    "TotalAmt": 150.30, "TxnDate": "2025-02-21",
    "Line": [
        {"Amount": 100.10, "LinkedTxn": [{"TxnId": "146", "TxnType": "Bill"}]},
        {"Amount": 50.20, "LinkedTxn": [{"TxnId": "147", "TxnType": "Bill"}]},
        {"Amount": 5, "LinkedTxn": [{"TxnId": "9", "TxnType": "VendorCredit"}]},
    ],
}
INVOICE = {
    "Id": "130", "SyncToken": "4", "MetaData": META, "CustomerRef": {"value": "21", "name": "Amy's Bird Sanctuary"},
    "DocNumber": "1037", "TxnDate": "2025-02-01", "DueDate": "2025-03-03", "TotalAmt": 362.07, "Balance": 362.07,
    "EmailStatus": "EmailSent", "BillEmail": {"Address": "birds@example.com"}, "TxnTaxDetail": {"TotalTax": 26.82},
    "Line": [{"Amount": 335.25, "DetailType": "SalesItemLineDetail"}],
}
PAYMENT = {
    "Id": "400", "SyncToken": "0", "MetaData": META, "CustomerRef": {"value": "21"}, "TotalAmt": 0.3,
    "TxnDate": "2025-02-22",
    "Line": [{"Amount": 0.1, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
             {"Amount": 0.2, "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]}],
}
VENDOR = {"Id": "56", "SyncToken": "1", "MetaData": META, "DisplayName": "Bob's Burger Joint", "Active": True,
          "Balance": 1234.56, "PrimaryEmailAddr": {"Address": "bob@example.com"},
          "PrimaryPhone": {"FreeFormNumber": "(555) 555-1234"}}
CUSTOMER = {"Id": "21", "SyncToken": "0", "MetaData": META, "DisplayName": "Amy's Bird Sanctuary",
            "CompanyName": "Amy's", "Active": False, "Balance": 239}
ACCOUNT = {"Id": "35", "SyncToken": "0", "MetaData": META, "Name": "Checking", "AccountType": "Bank",
           "AccountSubType": "Checking", "CurrentBalance": 1201.00, "Active": True, "Classification": "Asset",
           "CurrencyRef": {"value": "CAD"}}


def wire(payload: dict) -> dict:
    """The payload as the client decodes it off the wire (non-integers as Decimal)."""
    return loads(json.dumps(payload).encode())


def test_amounts_decode_as_exact_decimals():
    bill = to_bill_record(1, wire(BILL))
    assert bill.total_amount == Decimal("0.3") and isinstance(bill.total_amount, Decimal)
    lines = wire(BILL)["Line"]
    assert lines[0]["Amount"] + lines[1]["Amount"] == bill.total_amount  # 0.1 + 0.2 == 0.3 exactly
    assert 0.1 + 0.2 != 0.3  # what floats would have given


def test_client_returns_decimals_from_the_wire(harness_factory):
    body = b'{"Bill": {"Id": "1", "TotalAmt": 0.10, "Balance": 1234567890123.45}, "time": "x"}'
    h = harness_factory(lambda r: httpx.Response(200, content=body, headers={"intuit_tid": "t"}))
    bill = h.client.read(REALM, "Bill", "1")
    assert bill["TotalAmt"] == Decimal("0.10") and bill["Balance"] == Decimal("1234567890123.45")


def test_decimal_bodies_encode_exactly():
    assert dumps({"TotalAmt": Decimal("0.30"), "n": 3, "d": date(2025, 1, 2), "x": [None, True]}) == (
        b'{"TotalAmt":0.30,"n":3,"d":"2025-01-02","x":[null,true]}')
    with pytest.raises(TypeError):
        dumps({"Amount": 0.1})


def test_bill_record():
    assert to_bill_record(7, wire(BILL)) == BillRecord(
        business_id=7, qbo_id="146", sync_token="2", vendor_qbo_id="56", txn_date=date(2025, 2, 1),
        due_date=date(2025, 3, 3), total_amount=Decimal("0.3"), balance=Decimal("0.3"), doc_number="B-17",
        vendor_name="Bob's Burger Joint", currency="USD", qbo_updated_at="2025-02-20T10:15:00-08:00")


def test_bill_payment_record_keeps_only_bill_links():
    record = to_bill_payment_record(7, wire(BILL_PAYMENT), request_id="req-1")
    assert record.status is BillPaymentStatus.COMPLETED and record.pay_type == "Check"
    assert record.bank_account_qbo_id == "35" and record.total_amount == Decimal("150.3")
    assert record.lines == (PaymentLine("146", Decimal("100.1")), PaymentLine("147", Decimal("50.2")))
    assert record.request_id == "req-1" and record.qbo_updated_at == META["LastUpdatedTime"]


def test_voided_bill_payment():
    voided = {**BILL_PAYMENT, "TotalAmt": 0, "PrivateNote": "Voided",
              "Line": [{"Amount": 0, "LinkedTxn": [{"TxnId": "146", "TxnType": "Bill"}]}]}
    assert to_bill_payment_record(7, wire(voided)).status is BillPaymentStatus.VOIDED
    zero_not_voided = {**voided, "PrivateNote": "credit applied"}
    assert to_bill_payment_record(7, wire(zero_not_voided)).status is BillPaymentStatus.COMPLETED


def test_credit_card_bill_payment():
    cc = {**BILL_PAYMENT, "PayType": "CreditCard", "CheckPayment": None,
          "CreditCardPayment": {"CCAccountRef": {"value": "41"}}}
    record = to_bill_payment_record(7, wire(cc))
    assert record.pay_type == "CreditCard" and record.bank_account_qbo_id == "41"


def test_invoice_and_customer_payment_records():
    invoice = to_invoice_record(7, wire(INVOICE))
    assert (invoice.customer_qbo_id, invoice.customer_name, invoice.email_status, invoice.bill_email) == (
        "21", "Amy's Bird Sanctuary", "EmailSent", "birds@example.com")
    assert invoice.balance == Decimal("362.07")
    payment = to_customer_payment_record(7, wire(PAYMENT))
    assert payment.lines == (PaymentLine("130", Decimal("0.1")), PaymentLine("131", Decimal("0.2")))
    assert sum((line.amount for line in payment.lines), Decimal(0)) == payment.total_amount


def test_list_entity_records():
    assert to_vendor_record(7, wire(VENDOR)) == VendorRecord(
        business_id=7, qbo_id="56", sync_token="1", display_name="Bob's Burger Joint", active=True,
        balance=Decimal("1234.56"), email="bob@example.com", phone="(555) 555-1234",
        qbo_updated_at=META["LastUpdatedTime"])
    customer = to_customer_record(7, wire(CUSTOMER))
    assert customer == CustomerRecord(business_id=7, qbo_id="21", sync_token="0", display_name="Amy's Bird Sanctuary",
                                      company_name="Amy's", active=False, balance=Decimal(239),
                                      qbo_updated_at=META["LastUpdatedTime"])
    assert to_account_record(7, wire(ACCOUNT)) == AccountRecord(
        business_id=7, qbo_id="35", sync_token="0", name="Checking", account_type="Bank",
        account_sub_type="Checking", current_balance=Decimal("1201.0"), currency="CAD", active=True,
        qbo_updated_at=META["LastUpdatedTime"])


def test_to_record_dispatches_by_entity():
    assert isinstance(to_record(Entity.BILL, 1, wire(BILL)), BillRecord)
    assert isinstance(to_record("Account", 1, wire(ACCOUNT)), AccountRecord)


@pytest.mark.parametrize(("mapper", "payload", "needle"), [
    (to_bill_record, {k: v for k, v in BILL.items() if k != "VendorRef"}, "VendorRef"),
    (to_bill_record, {**BILL, "TotalAmt": "lots"}, "TotalAmt"),
    (to_bill_record, {**BILL, "TxnDate": "yesterday"}, "TxnDate"),
    (to_invoice_record, {**INVOICE, "Balance": None}, "Balance"),
    (to_account_record, {k: v for k, v in ACCOUNT.items() if k != "AccountType"}, "AccountType"),
    (to_bill_payment_record, {**BILL_PAYMENT, "Line": [{"LinkedTxn": [{"TxnId": "1", "TxnType": "Bill"}]}]},
     "no Amount"),
    (to_vendor_record, {"Id": "5", "SyncToken": "0"}, "DisplayName"),
])
def test_unmappable_payloads_raise_malformed_entity_error(mapper, payload, needle):
    with pytest.raises(MalformedEntityError) as info:
        mapper(7, wire(payload))
    assert needle in info.value.reason
    assert info.value.entity_id == payload.get("Id")


def test_malformed_without_id_and_non_objects():
    with pytest.raises(MalformedEntityError) as info:
        to_bill_record(1, {"SyncToken": "0"})
    assert info.value.entity == "Bill" and info.value.entity_id is None
    with pytest.raises(MalformedEntityError):
        to_bill_record(1, ["not", "an", "object"])  # type: ignore[arg-type]


CDC_BODY = {
    "CDCResponse": [{"QueryResponse": [
        {"Bill": [dict(BILL), {"domain": "QBO", "status": "Deleted", "Id": "147",
                               "MetaData": {"LastUpdatedTime": "2025-02-25T08:00:00-08:00"}}],
         "startPosition": 1, "maxResults": 2},
        {"Invoice": [dict(INVOICE)], "startPosition": 1, "maxResults": 1},
    ]}],
    "time": "2025-02-28T10:00:00.000-08:00",
}


def test_cdc_parses_entities_and_deleted_markers(harness_factory):
    h = harness_factory(lambda r: httpx.Response(200, content=json.dumps(CDC_BODY).encode(),
                                                 headers={"intuit_tid": "tcdc"}))
    since = datetime(2025, 2, 20, 0, 0, tzinfo=UTC)
    changes = h.client.cdc(REALM, ["Bill", "Invoice", "Payment"], since)

    (request,) = h.qbo.requests
    assert request.url.path == f"/v3/company/{REALM}/cdc"
    assert request.url.params["entities"] == "Bill,Invoice,Payment"
    assert request.url.params["changedSince"] == "2025-02-20T00:00:00+00:00"
    assert set(changes) == {"Bill", "Invoice", "Payment"} and changes["Payment"] == []

    live, deleted = changes["Bill"]
    assert not is_deleted(live) and to_bill_record(1, live).total_amount == Decimal("0.3")
    assert is_deleted(deleted)
    marker = to_deleted(Entity.BILL, deleted)
    assert marker.id == "147" and marker.meta_data.last_updated_time == "2025-02-25T08:00:00-08:00"
    with pytest.raises(MalformedEntityError):
        to_bill_record(1, deleted)
    with pytest.raises(MalformedEntityError):
        to_deleted(Entity.BILL, live)
    assert to_invoice_record(1, changes["Invoice"][0]).qbo_id == "130"


def test_cdc_rejects_naive_datetimes(harness_factory):
    h = harness_factory()
    with pytest.raises(ValueError):
        h.client.cdc(REALM, ["Bill"], datetime(2025, 2, 20))


def test_the_entity_registry_covers_every_mirrored_entity_once():
    from infra.db.entities import ENTITIES, ENTITY_ORDER, LIST_ENTITIES, TRANSACTIONS, spec_of_record

    assert set(ENTITIES) == set(Entity)
    assert ENTITY_ORDER[:3] == (Entity.ACCOUNT, Entity.VENDOR, Entity.CUSTOMER)
    assert set(Entity) == LIST_ENTITIES | TRANSACTIONS and not LIST_ENTITIES & TRANSACTIONS
    for entity, entity_spec in ENTITIES.items():
        assert spec_of_record(entity_spec.record_type) is entity_spec
        assert entity_spec.qbo_name == entity.value
        if entity_spec.party is not None:  # the party column exists in the mirror table
            assert entity_spec.party.field in entity_spec.table.c
            assert entity_spec.party.entity in LIST_ENTITIES
