"""Fidelity, TaxCode: read and queried like the other name lists, never written through the API.

- TaxCode: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/taxcode
  (the reference documents "Read a taxcode" and "Query a taxcode", no create, update or delete)
- Manage sales tax for US locales: https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-us-locales
  (a tax group is a TaxCode "comprised of one or more tax rates"; "Use the TaxService endpoint to create a
  TaxCode object"; TAX and NON are line-level pseudo tax codes)
- Error bodies: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
"""

from __future__ import annotations

import pytest
from quickbooks.exceptions import QuickbooksException
from quickbooks.objects.taxcode import TaxCode


def test_tax_codes_are_read_and_queried_through_the_sdk(sandbox, qb) -> None:
    """TaxCode: "Query a taxcode" and "Read a taxcode"; a tax group names its rates in SalesTaxRateList
    (Intuit's example: Tucson is AZ State tax and Tucson City). Like every name list, a query answers
    active codes unless it filters on Active."""
    codes = TaxCode.all(qb=qb)
    tucson = TaxCode.get("2", qb=qb)
    everything = sandbox.rows("select * from TaxCode where Active in (true, false)")

    assert [(c.Id, c.Name, c.Active) for c in codes] == [("1", "California", True), ("2", "Tucson", True)]
    assert (tucson.Name, tucson.Taxable, tucson.TaxGroup) == ("Tucson", True, True)
    assert [(d.TaxRateRef.name, d.TaxOrder) for d in tucson.SalesTaxRateList.TaxRateDetail] == [
        ("AZ State tax", 0), ("Tucson City", 1)]
    assert [(row["Id"], row["Active"]) for row in everything] == [("1", True), ("2", True), ("3", False)]
    assert sandbox.rows("select * from TaxCode where Name = 'California'")[0]["Id"] == "1"


def test_the_pseudo_codes_tax_and_non_are_not_tax_code_objects(sandbox, qb) -> None:
    """US sales tax: TAX and NON mark a line taxable or not; they are not TaxCode objects, so the query
    does not list them and reading one is 610 Object Not Found, like any unknown Id."""
    names = {row["Name"] for row in sandbox.rows("select * from TaxCode where Active in (true, false)")}

    assert not names & {"TAX", "NON"}
    for missing in ("TAX", "99"):
        answer = sandbox.client.get(f"taxcode/{missing}")
        assert answer.status_code == 400 and answer.json()["Fault"]["Error"][0]["code"] == "610"
    with pytest.raises(QuickbooksException):
        TaxCode.get("99", qb=qb)


@pytest.mark.parametrize("params, body", [
    ({}, {"Name": "Nevada", "Taxable": True}),
    ({}, {"Id": "1", "SyncToken": "0", "sparse": True, "Description": "renamed"}),
    ({"operation": "delete"}, {"Id": "1", "SyncToken": "0"}),
], ids=["create", "update", "delete"])
def test_a_tax_code_is_never_written_through_taxcode(sandbox, params, body) -> None:
    """TaxCode is read-only: "Use the TaxService endpoint to create a TaxCode object". A create, update
    or delete at /taxcode answers the Unsupported Operation fault and changes nothing."""
    before = sandbox.realm.all_entities("TaxCode")

    answer = sandbox.client.post("taxcode", params=params, json=body)

    assert answer.status_code == 400
    error = answer.json()["Fault"]["Error"][0]
    assert error["Message"] == "Unsupported Operation" and "TaxService" in error["Detail"]
    assert sandbox.realm.all_entities("TaxCode") == before


def test_a_batch_cannot_write_a_tax_code_either(sandbox) -> None:
    answer = sandbox.client.post("batch", json={"BatchItemRequest": [
        {"bId": "1", "operation": "create", "TaxCode": {"Name": "Nevada"}},
        {"bId": "2", "Query": "select * from TaxCode"},
    ]}).json()["BatchItemResponse"]

    assert answer[0]["Fault"]["Error"][0]["Message"] == "Unsupported Operation"
    assert [row["Name"] for row in answer[1]["QueryResponse"]["TaxCode"]] == ["California", "Tucson"]
