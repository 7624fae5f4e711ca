"""The live gateway (QboGateway port) and the shape of every write the client sends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
import pytest

import infra.qbo
from infra.interfaces.ports import QboGateway
from infra.interfaces.records import BillPaymentStatus, BusinessRecord, PaymentLine
from infra.qbo import QboLiveGateway
from infra.qbo._json import dumps, loads
from tests.infra.qbo.conftest import REALM, json_response
from tests.infra.qbo.test_cdc_and_mapping import ACCOUNT, BILL, INVOICE, META

BUSINESS = BusinessRecord(id=7, firm_id=1, name="Bob's", qbo_realm_id=REALM)


def echo_bill_payment(request: httpx.Request) -> httpx.Response:
    """Answer a BillPayment create as QBO does: the body back with Id, SyncToken and MetaData."""
    created = {**loads(request.content), "Id": "300", "SyncToken": "0", "domain": "QBO", "MetaData": META}
    return httpx.Response(200, content=dumps({"BillPayment": created, "time": "x"}), headers={"intuit_tid": "tbp"})


def test_gateway_satisfies_the_port(harness_factory):
    assert isinstance(QboLiveGateway(harness_factory().client), QboGateway)


def test_create_bill_payment_body_shape_and_requestid(harness_factory):
    h = harness_factory(echo_bill_payment)
    gateway = QboLiveGateway(h.client)
    lines = [PaymentLine("146", Decimal("0.1")), PaymentLine("147", Decimal("0.2"))]
    record = gateway.create_bill_payment(BUSINESS, "56", "35", date(2025, 2, 21), lines, request_id="pay-abc")

    (request,) = h.qbo.requests
    assert request.method == "POST" and request.url.path == f"/v3/company/{REALM}/billpayment"
    assert request.url.params["requestid"] == "pay-abc" and request.url.params["minorversion"] == "75"
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == (
        b'{"VendorRef":{"value":"56"},"PayType":"Check","CheckPayment":{"BankAccountRef":{"value":"35"}},'
        b'"TxnDate":"2025-02-21","TotalAmt":0.3,"Line":['
        b'{"Amount":0.1,"LinkedTxn":[{"TxnId":"146","TxnType":"Bill"}]},'
        b'{"Amount":0.2,"LinkedTxn":[{"TxnId":"147","TxnType":"Bill"}]}],"PrivateNote":"Runway payment pay-abc"}')

    assert record.qbo_id == "300" and record.business_id == 7 and record.request_id == "pay-abc"
    assert record.status is BillPaymentStatus.COMPLETED and record.total_amount == Decimal("0.3")
    assert record.lines == tuple(lines) and record.bank_account_qbo_id == "35"


def test_create_bill_payment_is_retried_with_the_same_requestid(harness_factory):
    answers = iter([httpx.Response(502, content=b"<html>Bad Gateway</html>")])

    def handler(request):
        return next(answers, None) or echo_bill_payment(request)

    h = harness_factory(handler)
    QboLiveGateway(h.client).create_bill_payment(BUSINESS, "56", "35", date(2025, 2, 21),
                                                 [PaymentLine("146", Decimal("10.00"))], request_id="pay-1")
    assert [r.url.params["requestid"] for r in h.qbo.requests] == ["pay-1", "pay-1"]


@pytest.mark.parametrize("lines", [[], [PaymentLine("1", Decimal("0"))], [PaymentLine("1", Decimal("-5"))]])
def test_create_bill_payment_refuses_empty_or_non_positive_lines(harness_factory, lines):
    h = harness_factory()
    with pytest.raises(ValueError):
        QboLiveGateway(h.client).create_bill_payment(BUSINESS, "56", "35", date(2025, 2, 21), lines, "r")
    assert h.qbo.requests == []


def test_bank_accounts_query_and_mapping(harness_factory):
    savings = {**ACCOUNT, "Id": "36", "Name": "savings"}
    h = harness_factory(lambda r: json_response(200, {"QueryResponse": {"Account": [ACCOUNT, savings]}}))
    accounts = QboLiveGateway(h.client).bank_accounts(BUSINESS)
    assert [a.name for a in accounts] == ["Checking", "savings"]
    assert accounts[0].current_balance == Decimal("1201.0") and accounts[0].business_id == 7
    assert h.qbo.requests[0].url.params["query"] == (
        "SELECT * FROM Account WHERE AccountType = 'Bank' AND Active = true ORDERBY Name "
        "STARTPOSITION 1 MAXRESULTS 1000")


def test_get_bill(harness_factory):
    h = harness_factory(lambda r: json_response(200, {"Bill": BILL, "time": "x"}))
    bill = QboLiveGateway(h.client).get_bill(BUSINESS, "146")
    assert bill.qbo_id == "146" and bill.business_id == 7
    assert h.qbo.requests[0].url.path == f"/v3/company/{REALM}/bill/146"


def test_send_invoice(harness_factory):
    h = harness_factory(lambda r: json_response(200, {"Invoice": {**INVOICE, "EmailStatus": "EmailSent"}}))
    invoice = QboLiveGateway(h.client).send_invoice(BUSINESS, "130", "amy@example.com")
    (request,) = h.qbo.requests
    assert request.method == "POST" and request.url.path == f"/v3/company/{REALM}/invoice/130/send"
    assert request.url.params["sendTo"] == "amy@example.com" and request.url.params["requestid"]
    assert request.headers["Content-Type"] == "application/octet-stream" and request.content == b""
    assert invoice.email_status == "EmailSent" and invoice.qbo_id == "130"


def test_send_invoice_without_address_uses_the_bill_email(harness_factory):
    h = harness_factory(lambda r: json_response(200, {"Invoice": INVOICE}))
    h.client.send_invoice(REALM, "130", None)
    assert "sendTo" not in h.qbo.requests[0].url.params and "requestid" not in h.qbo.requests[0].url.params


def test_sparse_update_and_delete_bodies(harness_factory):
    h = harness_factory(lambda r: json_response(200, {"Bill": {"Id": "146", "SyncToken": "3"}}))
    h.client.sparse_update(REALM, "Bill", "146", "2", {"PrivateNote": "hi", "Balance": Decimal("1.10")},
                           request_id="u1")
    h.client.delete(REALM, "Bill", "146", "3")
    update, delete = h.qbo.requests
    assert loads(update.content) == {"PrivateNote": "hi", "Balance": Decimal("1.10"), "Id": "146",
                                     "SyncToken": "2", "sparse": True}
    assert update.url.params["requestid"] == "u1" and update.url.path.endswith("/bill")
    assert loads(delete.content) == {"Id": "146", "SyncToken": "3"}
    assert delete.url.params["operation"] == "delete" and "requestid" not in delete.url.params


def test_company_info(harness_factory):
    h = harness_factory(lambda r: json_response(200, {"CompanyInfo": {"CompanyName": "Sandbox Co"}}))
    assert h.client.company_info(REALM)["CompanyName"] == "Sandbox Co"
    assert h.qbo.requests[0].url.path == f"/v3/company/{REALM}/companyinfo/{REALM}"


def test_public_api_all_is_complete():
    public = {name for name in vars(infra.qbo) if not name.startswith("_")}
    modules = {"auth", "client", "config", "errors", "faults", "gateway", "limiter", "mapping", "models",
               "redis_limiter", "reports", "tokens"}
    assert set(infra.qbo.__all__) == public - modules
    assert len(set(infra.qbo.__all__)) == len(infra.qbo.__all__)
