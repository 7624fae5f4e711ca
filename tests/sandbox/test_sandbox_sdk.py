"""Fidelity: the public python-quickbooks SDK (with intuitlib) works against the sandbox unchanged,
configured only with the sandbox's URLs (the ``qb`` fixture in conftest.py).

intuitlib's AuthClient reads the discovery document given as ``environment`` and refreshes tokens at the
token endpoint it names; python-quickbooks builds data URLs from the instance's ``api_url_v3``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import AuthorizationException, QuickbooksException
from quickbooks.objects.account import Account
from quickbooks.objects.bill import Bill
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.vendor import Vendor


def test_the_sdk_authenticates_through_the_discovery_document(sandbox, qb) -> None:
    assert qb.auth_client.token_endpoint == sandbox.server.token_url
    assert qb.refresh_token != sandbox.refresh_token  # the SDK refreshed and got a rotated token
    assert sandbox.state.counters.get("token_requests") == 1


def test_bills_read_through_the_sdk_match_the_store(sandbox, qb) -> None:
    stored = sandbox.realm.all_entities("Bill", decimal=True)

    first_page = Bill.all(qb=qb)
    everything = Bill.all(max_results=1000, qb=qb)
    vendor_id = stored[0]["VendorRef"]["value"]
    by_vendor = Bill.filter(VendorRef=vendor_id, max_results=1000, qb=qb)
    single = Bill.get(stored[5]["Id"], qb=qb)

    assert [bill.Id for bill in first_page] == [row["Id"] for row in stored[:100]]
    assert [(b.Id, b.TotalAmt, b.Balance, b.DueDate, b.SyncToken) for b in everything] == [
        (r["Id"], r["TotalAmt"], r["Balance"], r["DueDate"], r["SyncToken"]) for r in stored]
    assert isinstance(everything[0].TotalAmt, Decimal)
    assert [b.Id for b in by_vendor] == [r["Id"] for r in stored if r["VendorRef"]["value"] == vendor_id]
    assert single.VendorRef.value == stored[5]["VendorRef"]["value"]
    assert single.Line[0].AccountBasedExpenseLineDetail.AccountRef.value == (
        stored[5]["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"])
    assert [(link.TxnId, link.TxnType) for link in single.LinkedTxn] == [
        (link["TxnId"], link["TxnType"]) for link in stored[5]["LinkedTxn"]]


def test_invoices_and_bank_accounts_read_through_the_sdk(sandbox, qb) -> None:
    invoices = sandbox.realm.all_entities("Invoice", decimal=True)
    banks = [a for a in sandbox.realm.all_entities("Account", decimal=True)
             if a["AccountType"] == "Bank" and a["Active"]]

    open_invoices = Invoice.where("Balance > '0'", order_by="DueDate", max_results=1000, qb=qb)
    accounts = Account.where("AccountType = 'Bank'", qb=qb)

    expected = sorted((r for r in invoices if r["Balance"] > 0), key=lambda r: r["DueDate"])
    assert [(i.Id, i.Balance, i.CustomerRef.value) for i in open_invoices] == [
        (r["Id"], r["Balance"], r["CustomerRef"]["value"]) for r in expected]
    assert Invoice.count(qb=qb) == len(invoices)
    assert [(a.Id, a.Name, a.CurrentBalance) for a in accounts] == [
        (a["Id"], a["Name"], a["CurrentBalance"]) for a in banks]


def test_sdk_writes_respect_sync_tokens(sandbox, qb) -> None:
    vendor = Vendor.get("1", qb=qb)
    vendor.CompanyName = "Renamed by the SDK"
    saved = vendor.save(qb=qb)
    stale = Vendor.get("1", qb=qb)
    stale.SyncToken = "0"

    with pytest.raises(QuickbooksException) as fault:  # the SDK has no class of its own for 5xxx codes
        stale.save(qb=qb)

    assert saved.SyncToken == "1" and sandbox.realm.get("Vendor", "1")["CompanyName"] == "Renamed by the SDK"
    assert fault.value.error_code == 5010


def test_change_data_capture_through_the_sdk(sandbox, qb) -> None:
    since = sandbox.clock.now()
    sandbox.clock.advance(10)
    bill = sandbox.open_bill(paid=False)
    sandbox.realm.delete("Bill", bill["Id"])
    created = sandbox.realm.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [
        {"Amount": 99, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}]})

    response = change_data_capture([Bill, Invoice], since.isoformat(), qb=qb)

    assert [b.Id for b in response.Bill] == [bill["Id"]] and response.Bill[0].status == "Deleted"
    assert [i.Id for i in response.Invoice] == [created["Id"]]


def test_sdk_sees_expired_tokens_as_authorization_errors(sandbox, qb) -> None:
    sandbox.state.auth.expire_access_tokens()

    with pytest.raises(AuthorizationException):
        Bill.get("1", qb=qb)
