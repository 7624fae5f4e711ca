"""Fidelity, writes per entity: python-quickbooks' default objects are accepted the way Intuit accepts them,
dates default as Intuit documents, and each entity is voided the way Intuit documents for it.

- Bill: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/bill (no void)
- Invoice: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
- Payment: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
- BillPayment: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/billpayment
- SalesReceipt: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/salesreceipt
- Batch: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.base import CustomerMemo, LinkedTxn, Ref
from quickbooks.objects.bill import Bill
from quickbooks.objects.billpayment import BillPayment, BillPaymentLine, CheckPayment
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import (
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.payment import Payment, PaymentLine
from quickbooks.objects.salesreceipt import SalesReceipt
from quickbooks.objects.term import Term
from quickbooks.objects.vendor import Vendor

from qbo_sandbox import QboFault

#: The sandbox's today in the first realm (-08:00): 2026-11-20 09:00 local.
TODAY = date(2026, 11, 20)


def _sdk_bill(vendor: Vendor, amount: int = 200) -> Bill:
    """python-quickbooks' own integration test for Bill.create: a default Bill() with one line."""
    bill = Bill()
    line = AccountBasedExpenseLine()
    line.Amount = amount
    line.DetailType = "AccountBasedExpenseLineDetail"
    account_ref = Ref()
    account_ref.type = "Account"
    account_ref.value = 1
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account_ref
    bill.Line.append(line)
    bill.VendorRef = vendor.to_ref()
    return bill


def _sdk_invoice(customer: Customer, item: Item, amount: int = 100) -> Invoice:
    """python-quickbooks' own integration test for Invoice.create: a default Invoice() with one sales line."""
    invoice = Invoice()
    line = SalesItemLine()
    line.LineNum = 1
    line.Description = "description"
    line.Amount = amount
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    invoice.Line.append(line)
    invoice.CustomerRef = customer.to_ref()
    invoice.CustomerMemo = CustomerMemo()
    invoice.CustomerMemo.value = "Customer Memo"
    return invoice


def _term_days(sandbox, ref: dict) -> int:
    return sandbox.realm.get("Term", ref["value"])["DueDays"]


def test_the_sdks_default_bill_is_created_with_todays_date_and_its_vendors_terms(sandbox, qb) -> None:
    """Bill: TxnDate "if the date is not supplied, the current date on the server is used" (the company's
    today); DueDate "if not provided, the number of days specified in SalesTermRef added the transaction date"
    (the vendor's terms when the bill names none)."""
    vendor = Vendor.all(max_results=1, qb=qb)[0]
    bill = _sdk_bill(vendor)

    saved = bill.save(qb=qb)

    assert bill.TxnDate == "" and bill.DueDate == ""  # sent empty, as the SDK's default object has them
    terms = sandbox.realm.get("Vendor", vendor.Id)["TermRef"]
    assert saved.TxnDate == TODAY.isoformat()
    assert saved.DueDate == (TODAY + timedelta(days=_term_days(sandbox, terms))).isoformat()
    assert saved.SalesTermRef.value == terms["value"]
    assert saved.TotalAmt == Decimal("200.00") and saved.Balance == Decimal("200.00")


def test_the_sdks_default_invoice_is_created_with_todays_date_and_its_customers_terms(sandbox, qb) -> None:
    """Invoice: the same date rules; the item comes from Item.all(max_results=1), as the SDK's test does."""
    customer = Customer.all(max_results=1, qb=qb)[0]
    item = Item.all(max_results=1, qb=qb)[0]

    saved = _sdk_invoice(customer, item).save(qb=qb)

    terms = sandbox.realm.get("Customer", customer.Id)["SalesTermRef"]
    assert saved.TxnDate == TODAY.isoformat()
    assert saved.DueDate == (TODAY + timedelta(days=_term_days(sandbox, terms))).isoformat()
    assert saved.CustomerMemo.value == "Customer Memo"
    assert saved.Line[0].SalesItemLineDetail.ItemRef.value == item.Id and saved.TotalAmt == Decimal("100.00")


def test_due_date_follows_the_documents_own_terms_then_the_preferences_then_the_txn_date(sandbox, qb) -> None:
    """A SalesTermRef on the document wins over the party's; with no terms anywhere but the company's default
    terms (Preferences) those apply; with no terms at all the DueDate is the TxnDate; a DueDate sent is kept."""
    vendor = Vendor.all(max_results=1, qb=qb)[0]
    with_terms = _sdk_bill(vendor)
    with_terms.TxnDate = "2026-10-01"
    with_terms.SalesTermRef = Ref()
    with_terms.SalesTermRef.value = "5"  # Net 60
    explicit = _sdk_bill(vendor)
    explicit.DueDate = "2026-12-24"
    untermed = Vendor()
    untermed.DisplayName = "Vendor Without Terms"
    untermed = untermed.save(qb=qb)

    assert with_terms.save(qb=qb).DueDate == "2026-11-30"
    assert explicit.save(qb=qb).DueDate == "2026-12-24"
    by_preferences = _sdk_bill(untermed).save(qb=qb)  # Preferences: VendorAndPurchasesPrefs.DefaultTerms Net 30
    assert by_preferences.DueDate == (TODAY + timedelta(days=30)).isoformat()
    # Replace the section without DefaultTerms: now the company has no default vendor terms either.
    sandbox.realm.patch("Preferences", "1", {"VendorAndPurchasesPrefs": {"BillableExpenseTracking": False}})
    no_terms = _sdk_bill(untermed).save(qb=qb)
    assert no_terms.DueDate == no_terms.TxnDate == TODAY.isoformat() and no_terms.SalesTermRef is None


def test_a_date_driven_term_is_due_on_its_day_of_the_month(sandbox, qb) -> None:
    """Term: DATE_DRIVEN terms are due on DayOfMonthDue, next month when issued within DueNextMonthDays of it."""
    term = Term()
    term.Name, term.DayOfMonthDue, term.DueNextMonthDays = "15th of the month", 15, 10
    term = term.save(qb=qb)
    vendor = Vendor.all(max_results=1, qb=qb)[0]
    early, late = _sdk_bill(vendor), _sdk_bill(vendor)
    for bill, txn_date in ((early, "2026-11-02"), (late, "2026-11-08")):
        bill.TxnDate = txn_date
        bill.SalesTermRef = term.to_ref()

    assert term.Type == "DATE_DRIVEN"
    assert early.save(qb=qb).DueDate == "2026-11-15"
    assert late.save(qb=qb).DueDate == "2026-12-15"  # 7 days before the 15th: within DueNextMonthDays


def test_an_invalid_date_is_still_refused(sandbox, qb) -> None:
    bill = _sdk_bill(Vendor.all(max_results=1, qb=qb)[0])
    bill.TxnDate = "2026-13-45"

    with pytest.raises(QuickbooksException) as refused:
        bill.save(qb=qb)
    assert refused.value.error_code == 2010


def _open_invoice(sandbox, qb) -> Invoice:
    return Invoice.get(sandbox.open_invoice()["Id"], qb=qb)


def test_void_an_invoice_with_operation_void(sandbox, qb) -> None:
    """Invoice: POST /invoice?operation=void; "the transaction remains active but all amounts and quantities
    are zeroed and the string, Voided, is injected into Invoice.PrivateNote, prepended to existing text"."""
    invoice = _open_invoice(sandbox, qb)
    invoice.PrivateNote = "Ordered by phone"
    invoice = invoice.save(qb=qb)

    answer = invoice.void(qb=qb)["Invoice"]

    assert answer["TotalAmt"] == 0 and answer["Balance"] == 0 and answer["PrivateNote"] == "Voided - Ordered by phone"
    assert all(line["Amount"] == 0 for line in answer["Line"])
    assert all(line["SalesItemLineDetail"].get("Qty", 0) == 0 for line in answer["Line"]
               if line["DetailType"] == "SalesItemLineDetail")
    assert Invoice.get(invoice.Id, qb=qb).Id == invoice.Id  # still there


@pytest.mark.parametrize("entity", ["Payment", "BillPayment"])
def test_void_a_payment_with_include_void(sandbox, qb, entity) -> None:
    """Payment and BillPayment: POST ?operation=update&include=void (the SDK's VoidMixin); amounts zeroed,
    lines cleared, "Voided" in PrivateNote; what it paid is owed again."""
    row = next(p for p in sandbox.realm.all_entities(entity) if p["Line"] and p["TotalAmt"] > 0)
    document = "Invoice" if entity == "Payment" else "Bill"
    paid_id = row["Line"][0]["LinkedTxn"][0]["TxnId"]
    balance_before = sandbox.realm.get(document, paid_id)["Balance"]
    payment = (Payment if entity == "Payment" else BillPayment).get(row["Id"], qb=qb)

    answer = payment.void(qb=qb)[entity]

    assert answer["TotalAmt"] == 0 and answer["Line"] == [] and answer["PrivateNote"].startswith("Voided")
    assert sandbox.realm.get(document, paid_id)["Balance"] == pytest.approx(balance_before + row["Line"][0]["Amount"])


def test_void_a_sales_receipt_with_include_void(sandbox, qb) -> None:
    """SalesReceipt: POST /salesreceipt?operation=update&include=void."""
    receipt = SalesReceipt()
    line = SalesItemLine()
    line.Amount = 80
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Item.all(max_results=1, qb=qb)[0].to_ref()
    receipt.Line.append(line)
    receipt.CustomerRef = Customer.all(max_results=1, qb=qb)[0].to_ref()
    receipt = receipt.save(qb=qb)
    deposit = sandbox.realm.get("Account", receipt.DepositToAccountRef.value)["CurrentBalance"]

    answer = receipt.void(qb=qb)["SalesReceipt"]

    assert receipt.TotalAmt == Decimal("80.00") and receipt.TxnDate == TODAY.isoformat()
    assert answer["TotalAmt"] == 0 and answer["PrivateNote"] == "Voided"
    assert sandbox.realm.get("Account", receipt.DepositToAccountRef.value)["CurrentBalance"] == pytest.approx(
        deposit - 80)


def test_a_bill_has_no_void(sandbox, qb) -> None:
    """Bill: Intuit documents create, read, update, delete and query, and no void; python-quickbooks' Bill
    has no void() either. Both ways of asking are refused and the bill is untouched."""
    bill = sandbox.open_bill(paid=False)
    body = {"Id": bill["Id"], "SyncToken": bill["SyncToken"], "sparse": True}

    by_operation = sandbox.client.post("bill", params={"operation": "void"}, json=body)
    by_include = sandbox.client.post("bill", params={"operation": "update", "include": "void"}, json=body)

    assert not hasattr(Bill(), "void")
    for answer in (by_operation, by_include):
        assert answer.status_code == 400
        error = answer.json()["Fault"]["Error"][0]
        assert error["code"] == "500" and error["Message"] == "Unsupported Operation" and "Bill" in error["Detail"]
    assert sandbox.realm.get("Bill", bill["Id"]) == bill
    with pytest.raises(QboFault, match="Bill cannot be voided"):  # the sandbox's own Python API refuses it too
        sandbox.realm.void("Bill", bill["Id"])


@pytest.mark.parametrize(("entity", "params"), [
    ("Invoice", {"operation": "update", "include": "void"}),
    ("Payment", {"operation": "void"}),
])
def test_each_entity_is_voided_only_its_own_way(sandbox, entity, params) -> None:
    row = sandbox.open_invoice() if entity == "Invoice" else next(
        p for p in sandbox.realm.all_entities("Payment") if p["Line"])
    answer = sandbox.client.post(entity.lower(), params=params,
                                 json={"Id": row["Id"], "SyncToken": row["SyncToken"], "sparse": True})

    assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["Message"] == "Unsupported Operation"
    assert sandbox.realm.get(entity, row["Id"]) == row


def test_include_void_goes_with_operation_update(sandbox) -> None:
    """Intuit documents include=void only on a sparse update (operation=update); alone it voids nothing."""
    payment = next(p for p in sandbox.realm.all_entities("Payment") if p["Line"])
    answer = sandbox.client.post("payment", params={"include": "void"},
                                 json={"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True})

    assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["element"] == "operation"
    assert sandbox.realm.get("Payment", payment["Id"]) == payment


def test_batch_voids_with_options_data_and_has_no_generic_void(sandbox) -> None:
    """Batch: operation is create, update or delete; "optionsData: void, with operation update" voids the
    resources that support a void. A void operation, or voiding a Bill, is a per-item fault."""
    payment = next(p for p in sandbox.realm.all_entities("Payment") if p["Line"])
    bill = sandbox.open_bill(paid=False)
    answer = sandbox.client.post("batch", json={"BatchItemRequest": [
        {"bId": "1", "operation": "update", "optionsData": "void",
         "Payment": {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True}},
        {"bId": "2", "operation": "void", "Invoice": {"Id": "1", "SyncToken": "0"}},
        {"bId": "3", "operation": "update", "optionsData": "void",
         "Bill": {"Id": bill["Id"], "SyncToken": bill["SyncToken"], "sparse": True}},
    ]}).json()["BatchItemResponse"]

    assert answer[0]["Payment"]["TotalAmt"] == 0 and answer[0]["Payment"]["PrivateNote"] == "Voided"
    assert answer[1]["Fault"]["Error"][0]["element"] == "operation"
    assert answer[2]["Fault"]["Error"][0]["Message"] == "Unsupported Operation"


def test_a_voided_transaction_cannot_be_changed_or_voided_again(sandbox, qb) -> None:
    invoice = _open_invoice(sandbox, qb)
    invoice.void(qb=qb)
    voided = Invoice.get(invoice.Id, qb=qb)
    voided.PrivateNote = "try to revive"

    with pytest.raises(QuickbooksException) as changed:
        voided.save(qb=qb)
    with pytest.raises(QuickbooksException) as again:
        voided.void(qb=qb)
    assert changed.value.error_code == 6000 and again.value.error_code == 6000


def test_payments_created_through_the_sdk_link_to_what_they_pay(sandbox, qb) -> None:
    """Payment and BillPayment made from the SDK's objects apply to their invoice and bill."""
    invoice = _open_invoice(sandbox, qb)
    payment = Payment()
    payment.TotalAmt = invoice.Balance
    payment.CustomerRef = invoice.CustomerRef
    line = PaymentLine()
    line.Amount = invoice.Balance
    line.LinkedTxn.append(invoice.to_linked_txn())
    payment.Line.append(line)
    paid = payment.save(qb=qb)

    bill = Bill.get(sandbox.open_bill(paid=False)["Id"], qb=qb)
    bill_payment = BillPayment()
    bill_payment.PayType, bill_payment.TotalAmt, bill_payment.VendorRef = "Check", bill.Balance, bill.VendorRef
    bill_payment.CheckPayment = CheckPayment()
    bill_payment.CheckPayment.BankAccountRef = Ref()
    bill_payment.CheckPayment.BankAccountRef.value = "1"
    bill_line = BillPaymentLine()
    bill_line.Amount = bill.Balance
    link = LinkedTxn()
    link.TxnId, link.TxnType = bill.Id, "Bill"
    bill_line.LinkedTxn.append(link)
    bill_payment.Line.append(bill_line)
    bill_paid = bill_payment.save(qb=qb)

    assert paid.TxnDate == TODAY.isoformat() and Invoice.get(invoice.Id, qb=qb).Balance == 0
    assert bill_paid.TxnDate == TODAY.isoformat() and Bill.get(bill.Id, qb=qb).Balance == 0


def test_preferences_are_read_and_updated_through_the_sdk(sandbox, qb) -> None:
    """Preferences: read with GET /preferences, updated (not created or deleted); its default terms drive
    DueDate defaults. A read-only preference sent in an update keeps its value."""
    from quickbooks.objects.preferences import Preferences

    preferences = Preferences.get(qb=qb)
    preferences.SalesFormsPrefs.DefaultTerms = Ref()
    preferences.SalesFormsPrefs.DefaultTerms.value = "2"  # Net 15
    preferences.ReportPrefs.CalcAgingReportFromTxnDate = True  # read only: ignored
    saved = preferences.save(qb=qb)

    stored = sandbox.realm.get("Preferences", "1")
    assert saved.SyncToken == "1" and stored["SalesFormsPrefs"]["DefaultTerms"] == {"value": "2", "name": "Net 15"}
    assert stored["ReportPrefs"]["CalcAgingReportFromTxnDate"] is False
    deleted = sandbox.client.post("preferences", params={"operation": "delete"}, json={"Id": "1", "SyncToken": "1"})
    created = sandbox.client.post("preferences", json={"ReportPrefs": {"ReportBasis": "Cash"}})
    assert deleted.status_code == created.status_code == 400
    assert {answer.json()["Fault"]["Error"][0]["Message"] for answer in (deleted, created)} == {"Unsupported Operation"}
