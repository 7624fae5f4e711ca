"""Fidelity, the entities Runway needs to be exact on due dates (Preferences, Term, Item), invoice PDFs,
and how unknown routes and methods are answered.

- Term: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/term
- Item: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/item
- Preferences: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/ecommerce/preferences
- Invoice PDF: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
  ("Get an invoice as PDF": GET /invoice/<id>/pdf, Accept application/pdf)
- Error bodies: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
"""

from __future__ import annotations

import re

import httpx
import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.preferences import Preferences
from quickbooks.objects.term import Term


def test_terms_are_listed_read_and_created_through_the_sdk(sandbox, qb) -> None:
    """Term: a name list (query, read, create, update; no delete); STANDARD terms carry DueDays, Intuit's
    example creates one with DueDays sent as the string "120"."""
    terms = Term.all(qb=qb)
    created = sandbox.client.post("term", json={"DueDays": "120", "Name": "Term120"}).json()["Term"]

    assert [(t.Id, t.Name, t.DueDays) for t in terms] == [
        ("1", "Due on receipt", 0), ("2", "Net 15", 15), ("3", "Net 30", 30), ("4", "Net 45", 45), ("5", "Net 60", 60)]
    assert all(t.Type == "STANDARD" and t.Active for t in terms)
    assert (created["Name"], created["DueDays"], created["Type"], created["SyncToken"]) == ("Term120", 120,
                                                                                           "STANDARD", "0")
    assert Term.get(created["Id"], qb=qb).Name == "Term120"
    deleted = sandbox.client.post("term", params={"operation": "delete"},
                                  json={"Id": created["Id"], "SyncToken": "0"})
    assert deleted.status_code == 400


@pytest.mark.parametrize(("body", "element"), [
    ({"Name": "No days"}, "DueDays"),
    ({"Name": "Net 30", "DueDays": 30}, ""),  # a duplicate name (6240)
    ({"Name": "Too long", "DueDays": 1000}, "DueDays"),
])
def test_term_validation(sandbox, body, element) -> None:
    answer = sandbox.client.post("term", json=body)

    assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["element"] == element


def test_items_are_listed_with_the_sdks_select_and_name_their_accounts(sandbox, qb) -> None:
    """Item: python-quickbooks lists items with "SELECT *, Sku FROM Item"; each names its income account."""
    items = Item.all(qb=qb)
    accounts = {a["Id"]: a for a in sandbox.realm.all_entities("Account")}

    assert [item.Name for item in items] == ["Services", "Hours", "Consulting", "Materials"]
    for item in items:
        assert accounts[item.IncomeAccountRef.value]["AccountType"] == "Income"
    created = sandbox.client.post("item", json={"Name": "Design", "Type": "Service",
                                                "IncomeAccountRef": {"value": items[0].IncomeAccountRef.value}})
    refused = sandbox.client.post("item", json={"Name": "Nowhere", "Type": "Service"})
    assert created.status_code == 200 and created.json()["Item"]["FullyQualifiedName"] == "Design"
    assert refused.status_code == 400 and refused.json()["Fault"]["Error"][0]["element"] == "IncomeAccountRef"


def test_an_invoice_line_must_name_an_existing_item(sandbox) -> None:
    answer = sandbox.client.post("invoice", json={"CustomerRef": {"value": "1"}, "Line": [
        {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "999"}}}]})

    assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["code"] == "2500"


def test_preferences_are_one_object_read_at_preferences_or_by_query(sandbox, qb) -> None:
    """Preferences: GET /preferences and "select * from Preferences" answer the one object (Id "1")."""
    preferences = Preferences.get(qb=qb)
    queried = sandbox.query("select * from Preferences").json()["QueryResponse"]["Preferences"]

    assert preferences.Id == "1" and queried[0]["Id"] == "1" and len(queried) == 1
    assert preferences.SalesFormsPrefs.DefaultTerms.value == "3"
    assert preferences.ReportPrefs.ReportBasis == "Accrual" and preferences.CurrencyPrefs.HomeCurrency.value == "USD"


def _pdf_objects(pdf: bytes) -> None:
    """Check a PDF's cross-reference table: every entry points at the object it names."""
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF", pdf).group(1))
    assert pdf[xref_at:].startswith(b"xref\n")
    count = int(re.match(rb"xref\n0 (\d+)\n", pdf[xref_at:]).group(1))
    entries = re.findall(rb"(\d{10}) 00000 n \n", pdf[xref_at:])
    assert len(entries) == count - 1
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj".encode())


def test_an_invoice_pdf_through_the_sdk(sandbox, qb) -> None:
    """Invoice: GET /invoice/<id>/pdf answers application/pdf; python-quickbooks' download_pdf returns the
    bytes. The document carries the invoice's number and amount."""
    stored = sandbox.realm.all_entities("Invoice")[0]
    invoice = Invoice.get(stored["Id"], qb=qb)

    pdf = invoice.download_pdf(qb=qb)
    raw = sandbox.client.get(f"invoice/{stored['Id']}/pdf", headers={"Accept": "application/pdf"})

    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert raw.headers["content-type"] == "application/pdf" and raw.content == pdf
    _pdf_objects(pdf)
    assert f"INVOICE {stored['DocNumber']}".encode() in pdf and f"{stored['TotalAmt']:,.2f}".encode() in pdf
    assert b"(VOID)" not in pdf
    open_invoice = Invoice.get(sandbox.open_invoice()["Id"], qb=qb)
    open_invoice.void(qb=qb)
    assert b"(VOID)" in open_invoice.download_pdf(qb=qb)


def test_a_pdf_needs_an_invoice_that_exists_and_an_accept_that_allows_pdf(sandbox, qb) -> None:
    pdf = {"Accept": "application/pdf"}
    missing = sandbox.client.get("invoice/99999/pdf", headers=pdf)
    json_only = sandbox.client.get("invoice/1/pdf", headers={"Accept": "application/json"})
    bill = sandbox.client.get("bill/1/pdf", headers=pdf)

    assert missing.status_code == 400 and missing.json()["Fault"]["Error"][0]["code"] == "610"
    assert json_only.status_code == 400 and json_only.json()["Fault"]["Error"][0]["element"] == "Accept"
    assert bill.status_code == 400 and bill.json()["Fault"]["Error"][0]["Message"] == "Unsupported Operation"
    with pytest.raises(QuickbooksException):
        Invoice.get("99999", qb=qb)


def _assert_fault(answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["Fault"]["type"] == "ValidationFault" and body["Fault"]["Error"][0]["Message"] == (
        "Unsupported Operation") and "time" in body
    assert answer.headers["intuit_tid"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/v3/company/{realm}/no/such/route", 404),
    ("GET", "/v4/anything", 404),
    ("GET", "/oauth2/v2/tokens", 404),
    ("DELETE", "/v3/company/{realm}/bill/1", 405),
    ("PUT", "/v3/company/{realm}/invoice", 405),
    ("GET", "/v3/company/{realm}/batch", 405),
])
def test_unknown_routes_and_methods_answer_with_a_fault_body(sandbox, method, path, status) -> None:
    """Never Starlette's plain text: an unknown path is 404 and a method a path does not take is 405, both
    with QBO's Fault body ("Unsupported Operation", code 500)."""
    answer = httpx.request(method, sandbox.server.base_url + path.format(realm=sandbox.realm_id),
                           headers={"Authorization": f"Bearer {sandbox.access_token}"})

    _assert_fault(answer, status)
    if status == 405:
        assert answer.headers["allow"]
