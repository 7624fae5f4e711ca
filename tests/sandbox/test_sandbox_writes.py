"""Writes over HTTP: create, update with SyncToken, delete and CDC, payments applied to documents,
requestid idempotency, invoice e-mail, void and batch."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx

# The sandbox clock starts at 2026-11-20 17:00 UTC, 09:00 in the first realm's -08:00 (conftest.START).


def _fault_code(response: httpx.Response) -> str:
    return response.json()["Fault"]["Error"][0]["code"]


def test_create_and_update_follow_sync_token_rules(sandbox) -> None:
    created = sandbox.client.post("vendor", json={"DisplayName": "Tidewater Paper LLC",
                                                  "PrimaryEmailAddr": {"Address": "ap@tidewater.example"}})
    vendor = created.json()["Vendor"]
    sandbox.clock.advance(60)
    updated = sandbox.client.post("vendor", json={"Id": vendor["Id"], "SyncToken": "0", "sparse": True,
                                                  "CompanyName": "Tidewater Paper"})
    stale = sandbox.client.post("vendor", json={"Id": vendor["Id"], "SyncToken": "0", "sparse": True,
                                                "CompanyName": "Lost update"})
    full = sandbox.client.post("vendor", json={"Id": vendor["Id"], "SyncToken": "1", "DisplayName": "Tidewater"})

    assert created.status_code == 200
    assert (vendor["SyncToken"], vendor["domain"], vendor["sparse"], vendor["Active"]) == ("0", "QBO", False, True)
    assert vendor["MetaData"] == {"CreateTime": "2026-11-20T09:00:00-08:00",
                                  "LastUpdatedTime": "2026-11-20T09:00:00-08:00"}
    after = updated.json()["Vendor"]
    assert after["SyncToken"] == "1" and after["CompanyName"] == "Tidewater Paper"
    assert after["DisplayName"] == "Tidewater Paper LLC"  # a sparse update keeps what it does not send
    assert after["MetaData"] == {"CreateTime": "2026-11-20T09:00:00-08:00",
                                 "LastUpdatedTime": "2026-11-20T09:01:00-08:00"}
    assert stale.status_code == 400 and _fault_code(stale) == "5010"
    assert stale.json()["Fault"]["Error"][0]["Message"] == "Stale Object Error"
    replaced = full.json()["Vendor"]
    assert replaced["SyncToken"] == "2" and "PrimaryEmailAddr" not in replaced  # a full update replaces
    assert sandbox.client.get(f"vendor/{vendor['Id']}").json()["Vendor"] == sandbox.realm.get("Vendor", vendor["Id"])


def test_write_validation_faults(sandbox) -> None:
    existing = sandbox.realm.all_entities("Vendor")[0]["DisplayName"]

    duplicate = sandbox.client.post("vendor", json={"DisplayName": existing})
    unknown_field = sandbox.client.post("vendor", json={"DisplayName": "New Co", "Colour": "red"})
    bad_ref = sandbox.client.post("bill", json={"VendorRef": {"value": "99999"}, "Line": [
        {"Amount": 10, "DetailType": "AccountBasedExpenseLineDetail",
         "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "11"}}}]})
    missing_lines = sandbox.client.post("bill", json={"VendorRef": {"value": "1"}})
    not_found = sandbox.client.get("bill/99999")

    assert _fault_code(duplicate) == "6240"
    assert _fault_code(unknown_field) == "2010"
    assert _fault_code(bad_ref) == "2500"
    assert _fault_code(missing_lines) == "2020"
    assert not_found.status_code == 400 and _fault_code(not_found) == "610"


def test_bill_totals_and_computed_balances(sandbox) -> None:
    realm = sandbox.realm
    vendor_before = realm.row("Vendor", "1")["Balance"]
    ap_before = realm.row("Account", "6")["CurrentBalance"]

    response = sandbox.client.post("bill", json={
        "VendorRef": {"value": "1"}, "DueDate": "2026-12-15", "Line": [
            {"Amount": 120.50, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "11"}}},
            {"Amount": 79.5, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "12"}}}]})

    bill = response.json()["Bill"]
    assert (bill["TotalAmt"], bill["Balance"], bill["LinkedTxn"]) == (200.0, 200.0, [])
    assert '"TotalAmt":200.00' in response.text
    assert bill["VendorRef"]["name"] == realm.row("Vendor", "1")["DisplayName"]
    assert bill["APAccountRef"]["value"] == "6" and bill["TxnDate"] == "2026-11-20"
    assert realm.row("Vendor", "1")["Balance"] == vendor_before + Decimal("200.00")
    assert realm.row("Account", "6")["CurrentBalance"] == ap_before + Decimal("200.00")


def test_delete_is_remembered_for_cdc(sandbox) -> None:
    bill = sandbox.open_bill(paid=False)
    since = (sandbox.clock.now() - timedelta(minutes=1)).isoformat()
    sandbox.clock.advance(30)

    stale = sandbox.client.post("bill", params={"operation": "delete"}, json={"Id": bill["Id"], "SyncToken": "99"})
    deleted = sandbox.client.post("bill", params={"operation": "delete"},
                                  json={"Id": bill["Id"], "SyncToken": bill["SyncToken"]})
    read = sandbox.client.get(f"bill/{bill['Id']}")
    cdc = sandbox.client.get("cdc", params={"entities": "Bill,Invoice", "changedSince": since})

    assert _fault_code(stale) == "5010"
    assert deleted.json()["Bill"] == {"status": "Deleted", "domain": "QBO", "Id": bill["Id"]}
    assert _fault_code(read) == "610"
    assert sandbox.rows(f"SELECT * FROM Bill WHERE Id = '{bill['Id']}'") == []
    responses = cdc.json()["CDCResponse"][0]["QueryResponse"]
    assert responses[1] == {}  # no invoice changed
    assert {"domain": "QBO", "status": "Deleted", "Id": bill["Id"],
            "MetaData": {"LastUpdatedTime": "2026-11-20T09:00:30-08:00"}} in responses[0]["Bill"]
    assert responses[0]["startPosition"] == 1 and responses[0]["maxResults"] == len(responses[0]["Bill"])


def test_name_list_entities_cannot_be_hard_deleted(sandbox) -> None:
    vendor = sandbox.realm.get("Vendor", "1")

    response = sandbox.client.post("vendor", params={"operation": "delete"},
                                   json={"Id": "1", "SyncToken": vendor["SyncToken"]})

    assert response.status_code == 400 and sandbox.realm.get("Vendor", "1") == vendor


def test_cdc_returns_exactly_the_changes_since_and_refuses_more_than_30_days(sandbox) -> None:
    now = sandbox.clock.now()
    since = now - timedelta(days=29)
    expected = {e: [r["Id"] for r in sandbox.realm.all_entities(e)
                    if r["MetaData"]["LastUpdatedTime"] >= since.astimezone(sandbox.realm.tz).isoformat()]
                for e in ("Invoice", "Bill")}

    month_ago = (now - timedelta(days=31)).isoformat()
    too_old = sandbox.client.get("cdc", params={"entities": "Bill", "changedSince": month_ago})
    response = sandbox.client.get("cdc", params={"entities": "invoice,Bill", "changedSince": since.isoformat()})

    assert too_old.status_code == 400 and too_old.json()["Fault"]["type"] == "ValidationFault"
    invoices, bills = response.json()["CDCResponse"][0]["QueryResponse"]
    assert sorted(r["Id"] for r in invoices.get("Invoice", [])) == sorted(expected["Invoice"])
    assert sorted(r["Id"] for r in bills.get("Bill", [])) == sorted(expected["Bill"])
    assert expected["Bill"] and expected["Invoice"]


def test_cdc_answers_at_most_1000_objects_oldest_first(sandbox) -> None:
    realm, since = sandbox.realm, sandbox.clock.now()
    created = []
    for _ in range(1100):
        sandbox.clock.advance(1)
        created.append(realm.create("Bill", {"VendorRef": {"value": "2"}, "Line": [
            {"Amount": 5, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "13"}}}]})["Id"])

    first = sandbox.client.get("cdc", params={"entities": "Bill,Vendor", "changedSince": since.isoformat()})
    page = first.json()["CDCResponse"][0]["QueryResponse"]
    last_seen = page[0]["Bill"][-1]["MetaData"]["LastUpdatedTime"]
    rest = sandbox.client.get("cdc", params={"entities": "Bill", "changedSince": last_seen})

    assert sum(len(part.get("Bill", part.get("Vendor", []))) for part in page) == 1000
    assert [bill["Id"] for bill in page[0]["Bill"]] == created[:1000]
    rest_ids = [bill["Id"] for bill in rest.json()["CDCResponse"][0]["QueryResponse"][0]["Bill"]]
    assert rest_ids == created[999:]


def test_cdc_after_the_seeded_data_reports_each_changed_row_once_in_its_latest_version(sandbox) -> None:
    """CDC for a window after every seeded row reads the changes made through the write API only (no scan
    of every row): each changed row once, as it is now, and the deletions."""
    realm = sandbox.realm
    sandbox.clock.advance(60)
    since = sandbox.clock.now()
    seeded = sorted(realm.rows("Bill"), key=lambda row: int(row["Id"]))
    line = [{"Amount": 5, "DetailType": "AccountBasedExpenseLineDetail",
             "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "13"}}}]
    created = realm.create("Bill", {"VendorRef": {"value": "2"}, "Line": line})
    sandbox.clock.advance(1)
    realm.patch("Bill", created["Id"], {"PrivateNote": "first"})
    sandbox.clock.advance(1)
    realm.patch("Bill", created["Id"], {"PrivateNote": "second"})
    realm.patch("Bill", seeded[0]["Id"], {"PrivateNote": "seeded, changed"})
    deletable = next(row for row in seeded[1:] if not row.get("LinkedTxn"))
    realm.delete("Bill", deletable["Id"])
    realm.patch("Vendor", "2", {"CompanyName": "Changed Co"})

    response = sandbox.client.get("cdc", params={"entities": "Bill,Vendor", "changedSince": since.isoformat()})

    bills, vendors = response.json()["CDCResponse"][0]["QueryResponse"]
    by_id = {row["Id"]: row for row in bills["Bill"]}
    assert len(by_id) == len(bills["Bill"]) == 3
    assert by_id[created["Id"]]["PrivateNote"] == "second"
    assert by_id[created["Id"]]["SyncToken"] == realm.row("Bill", created["Id"])["SyncToken"] == "2"
    assert by_id[seeded[0]["Id"]]["PrivateNote"] == "seeded, changed"
    assert by_id[deletable["Id"]]["status"] == "Deleted"
    assert [row["Id"] for row in vendors["Vendor"]] == ["2"]
    sandbox.clock.advance(1)
    later = sandbox.client.get("cdc", params={"entities": "Bill", "changedSince": sandbox.clock.now().isoformat()})
    assert later.json()["CDCResponse"][0]["QueryResponse"] == [{}]


def test_bill_payment_lowers_the_balance_and_links_both_ways(sandbox) -> None:
    realm = sandbox.realm
    bill = sandbox.open_bill(paid=False)
    vendor_id = bill["VendorRef"]["value"]
    vendor_before, bank_before = realm.row("Vendor", vendor_id)["Balance"], realm.row("Account", "1")["CurrentBalance"]
    amount = (Decimal(str(bill["Balance"])) / 2).quantize(Decimal("0.01"))
    sandbox.clock.advance(120)

    response = sandbox.client.post("billpayment", json={
        "VendorRef": {"value": vendor_id}, "PayType": "Check", "CheckPayment": {"BankAccountRef": {"value": "1"}},
        "TotalAmt": float(amount), "Line": [{"Amount": float(amount),
                                             "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})

    payment = response.json()["BillPayment"]
    after = realm.get("Bill", bill["Id"], decimal=True)
    assert response.status_code == 200 and payment["TotalAmt"] == float(amount)
    assert after["Balance"] == Decimal(str(bill["Balance"])) - amount
    assert after["SyncToken"] == str(int(bill["SyncToken"]) + 1)
    assert after["MetaData"]["LastUpdatedTime"] == "2026-11-20T09:02:00-08:00"
    assert {"TxnId": payment["Id"], "TxnType": "BillPaymentCheck"} in after["LinkedTxn"]
    assert realm.row("Vendor", vendor_id)["Balance"] == vendor_before - amount
    assert realm.row("Account", "1")["CurrentBalance"] == bank_before - amount


def test_overpaying_a_bill_is_refused_and_changes_nothing(sandbox) -> None:
    realm = sandbox.realm
    bill = sandbox.open_bill(paid=False)
    payments_before = realm.counts()["BillPayment"]

    response = sandbox.client.post("billpayment", json={
        "VendorRef": bill["VendorRef"], "PayType": "Check", "CheckPayment": {"BankAccountRef": {"value": "1"}},
        "Line": [{"Amount": bill["Balance"] + 0.01, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})

    assert response.status_code == 400 and response.json()["Fault"]["type"] == "ValidationFault"
    assert "overpay" in response.json()["Fault"]["Error"][0]["Detail"]
    assert realm.get("Bill", bill["Id"]) == bill
    assert realm.counts()["BillPayment"] == payments_before


def test_requestid_makes_a_repeated_write_happen_once(sandbox) -> None:
    realm = sandbox.realm
    bill = sandbox.open_bill(paid=False)
    payments_before = realm.counts()["BillPayment"]
    body = {"VendorRef": bill["VendorRef"], "PayType": "CreditCard",
            "CreditCardPayment": {"CCAccountRef": {"value": "5"}},
            "Line": [{"Amount": 1.00, "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]}

    first = sandbox.client.post("billpayment", params={"requestid": "retry-1"}, json=body)
    sandbox.clock.advance(5)
    second = sandbox.client.post("billpayment", params={"requestid": "retry-1"}, json=body)
    other = sandbox.client.post("billpayment", params={"requestid": "retry-2"}, json=body)

    assert first.status_code == second.status_code == other.status_code == 200
    assert second.content == first.content  # the first answer, byte for byte
    assert realm.counts()["BillPayment"] == payments_before + 2
    assert realm.get("Bill", bill["Id"], decimal=True)["Balance"] == Decimal(str(bill["Balance"])) - 2


def test_deleting_a_bill_payment_restores_the_bill(sandbox) -> None:
    realm = sandbox.realm
    bill = sandbox.open_bill(paid=True)
    payment_id = next(link["TxnId"] for link in bill["LinkedTxn"])
    payment = realm.get("BillPayment", payment_id, decimal=True)
    applied = next(line["Amount"] for line in payment["Line"] if line["LinkedTxn"][0]["TxnId"] == bill["Id"])

    refused = sandbox.client.post("bill", params={"operation": "delete"},
                                  json={"Id": bill["Id"], "SyncToken": bill["SyncToken"]})
    deleted = sandbox.client.post("billpayment", params={"operation": "delete"},
                                  json={"Id": payment_id, "SyncToken": payment["SyncToken"]})

    assert refused.status_code == 400  # a paid bill cannot go while its payment exists
    assert deleted.status_code == 200
    after = realm.get("Bill", bill["Id"], decimal=True)
    assert after["Balance"] == Decimal(str(bill["Balance"])) + applied
    assert all(link["TxnId"] != payment_id for link in after["LinkedTxn"])


def test_customer_payment_applies_to_an_invoice_and_blocks_its_void(sandbox) -> None:
    realm = sandbox.realm
    invoice = sandbox.open_invoice()

    paid = sandbox.client.post("payment", json={
        "CustomerRef": invoice["CustomerRef"], "TotalAmt": invoice["Balance"],
        "Line": [{"Amount": invoice["Balance"], "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    current = realm.get("Invoice", invoice["Id"])
    refused = sandbox.client.post("invoice", params={"operation": "void"},
                                  json={"Id": invoice["Id"], "SyncToken": current["SyncToken"]})

    assert paid.status_code == 200
    assert current["Balance"] == 0 and {"TxnId": paid.json()["Payment"]["Id"], "TxnType": "Payment"} in current[
        "LinkedTxn"]
    assert paid.json()["Payment"]["DepositToAccountRef"]["name"] == "Undeposited Funds"
    assert refused.status_code == 400


def test_void_zeroes_a_document_and_keeps_it(sandbox) -> None:
    invoice = sandbox.open_invoice()

    response = sandbox.client.post("invoice", params={"operation": "void"},
                                   json={"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]})

    voided = response.json()["Invoice"]
    assert (voided["TotalAmt"], voided["Balance"], voided["PrivateNote"]) == (0, 0, "Voided")
    assert all(line["Amount"] == 0 for line in voided["Line"])
    assert sandbox.realm.get("Invoice", invoice["Id"]) == voided


def test_send_invoice_marks_it_sent_and_records_the_mail(sandbox) -> None:
    invoice = sandbox.open_invoice()

    response = sandbox.client.post(f"invoice/{invoice['Id']}/send", params={"sendTo": "pay@client.example"})
    outbox = httpx.get(f"{sandbox.server.base_url}/_sandbox/outbox").json()

    sent = response.json()["Invoice"]
    assert sent["EmailStatus"] == "EmailSent" and sent["BillEmail"] == {"Address": "pay@client.example"}
    assert sent["SyncToken"] == str(int(invoice["SyncToken"]) + 1)
    assert [(m.invoice_id, m.to) for m in sandbox.state.outbox()] == [(invoice["Id"], "pay@client.example")]
    assert outbox[0]["invoice_id"] == invoice["Id"] and outbox[0]["realm_id"] == sandbox.realm_id


def test_batch_mixes_writes_queries_and_per_item_faults(sandbox) -> None:
    response = sandbox.client.post("batch", json={"BatchItemRequest": [
        {"bId": "1", "operation": "create", "Vendor": {"DisplayName": "Batch Vendor"}},
        {"bId": "2", "Query": "SELECT COUNT(*) FROM Vendor WHERE DisplayName = 'Batch Vendor'"},
        {"bId": "3", "operation": "update", "Vendor": {"Id": "1", "SyncToken": "77", "sparse": True}},
    ]})

    items = {item["bId"]: item for item in response.json()["BatchItemResponse"]}
    assert items["1"]["Vendor"]["DisplayName"] == "Batch Vendor"
    assert items["2"]["QueryResponse"] == {"totalCount": 1}
    assert items["3"]["Fault"]["Error"][0]["code"] == "5010"
