"""Fidelity, the Reports API: AgedPayables, AgedReceivables (summary and detail) and ProfitAndLoss in QBO's
report JSON shape, computed from the sandbox's own data, read through python-quickbooks' ``get_report``.

- AgedPayables: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/apagingsummary
- AgedPayableDetail: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/apagingdetail
- AgedReceivables: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/aragingsummary
- AgedReceivableDetail: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/aragingdetail
- ProfitAndLoss: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/profitandloss

Every expected figure here is recomputed from the stored documents, not read back from the report code.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from quickbooks.exceptions import QuickbooksException

TODAY = date(2026, 11, 20)
BUCKETS = ["Current", "1 - 30", "31 - 60", "61 - 90", "91 and over"]
SECTIONS = ["Current", "1 - 30 days past due", "31 - 60 days past due", "61 - 90 days past due",
            "91 or more days past due"]


def _bucket(due: str, as_of: date = TODAY) -> int:
    days = (as_of - date.fromisoformat(due)).days
    return 0 if days <= 0 else min(4, math.ceil(days / 30))


def _expected_aging(documents: list[dict], party: str) -> dict[str, list[Decimal]]:
    expected: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00")] * 5)
    for row in documents:
        if row["Balance"] != 0 and date.fromisoformat(row["TxnDate"]) <= TODAY:
            expected[row[party]["value"]][_bucket(row["DueDate"])] += row["Balance"]
    return dict(expected)


def _money(cell: dict) -> Decimal:
    return Decimal(cell["value"] or "0")


@pytest.mark.parametrize(("report", "document", "party", "party_type"), [
    ("AgedPayables", "Bill", "VendorRef", "Vendor"), ("AgedReceivables", "Invoice", "CustomerRef", "Customer")])
def test_aging_summary_buckets_every_open_document_by_days_past_due(sandbox, qb, report, document, party,
                                                                    party_type) -> None:
    """Aging summary: a row per party, columns Current, 1 - 30, 31 - 60, 61 - 90, 91 and over, Total, and a
    GrandTotal section; days past due = report date - due date; empty cells "", totals "0.00" style."""
    answer = qb.get_report(report)
    expected = _expected_aging(sandbox.realm.all_entities(document, decimal=True), party)

    assert answer["Header"]["ReportName"] == report and answer["Header"]["Currency"] == "USD"
    assert {"Name": "report_date", "Value": TODAY.isoformat()} in answer["Header"]["Option"]
    assert {"Name": "NoReportData", "Value": "false"} in answer["Header"]["Option"]
    assert [column["ColTitle"] for column in answer["Columns"]["Column"]] == ["", *BUCKETS, "Total"]
    assert answer["Columns"]["Column"][0]["ColType"] == party_type
    *rows, grand = answer["Rows"]["Row"]
    got = {row["ColData"][0]["id"]: [_money(cell) for cell in row["ColData"][1:6]] for row in rows}
    assert got == expected
    for row in rows:
        assert _money(row["ColData"][6]) == sum(expected[row["ColData"][0]["id"]])
        assert all(cell["value"] == "" or "." in cell["value"] for cell in row["ColData"][1:])
    names = [row["ColData"][0]["value"].lower() for row in rows]
    assert names == sorted(names)
    assert grand["group"] == "GrandTotal" and grand["type"] == "Section" and grand["Summary"]["ColData"][0] == {
        "value": "TOTAL"}
    totals = [sum((amounts[i] for amounts in expected.values()), Decimal(0)) for i in range(5)]
    assert [_money(cell) for cell in grand["Summary"]["ColData"][1:6]] == totals
    control = "Accounts Payable" if document == "Bill" else "Accounts Receivable"
    account = next(a for a in sandbox.realm.all_entities("Account", decimal=True) if a["AccountType"] == control)
    assert _money(grand["Summary"]["ColData"][6]) == sum(totals) == account["CurrentBalance"]


@pytest.mark.parametrize(("report", "summary", "document", "party_column", "columns"), [
    ("AgedPayableDetail", "AgedPayables", "Bill", "vend_name",
     ["tx_date", "txn_type", "doc_num", "vend_name", "due_date", "past_due", "subt_neg_amount", "subt_neg_open_bal"]),
    ("AgedReceivableDetail", "AgedReceivables", "Invoice", "cust_name",
     ["tx_date", "txn_type", "doc_num", "cust_name", "due_date", "subt_amount", "subt_open_bal"]),
])
def test_aging_detail_lists_the_documents_under_their_bucket_most_overdue_first(sandbox, qb, report, summary,
                                                                               document, party_column,
                                                                               columns) -> None:
    """Aging detail: one section per bucket ("91 or more days past due" first, "Current" last) with a Header,
    its documents as Data rows and a Summary "Total for ...", then the GrandTotal "TOTAL"."""
    answer = qb.get_report(report)
    stored = {row["Id"]: row for row in sandbox.realm.all_entities(document, decimal=True)}
    open_ids = {row_id for row_id, row in stored.items() if row["Balance"] != 0}

    assert [column["MetaData"][0]["Value"] for column in answer["Columns"]["Column"]] == columns
    *sections, grand = answer["Rows"]["Row"]
    labels = [section["Header"]["ColData"][0]["value"] for section in sections]
    assert labels == [label for label in reversed(SECTIONS) if label in labels] and len(labels) >= 4
    seen = set()
    for section in sections:
        bucket = SECTIONS.index(section["Header"]["ColData"][0]["value"])
        open_total = Decimal(0)
        for row in section["Rows"]["Row"]:
            cells = dict(zip(columns, row["ColData"], strict=True))
            stored_row = stored[cells["txn_type"]["id"]]
            assert row["type"] == "Data" and cells["txn_type"]["value"] == document
            assert cells["due_date"]["value"] == stored_row["DueDate"] and _bucket(stored_row["DueDate"]) == bucket
            party_ref = stored_row["VendorRef" if document == "Bill" else "CustomerRef"]
            assert cells[party_column]["id"] == party_ref["value"]
            assert _money(cells[columns[-1]]) == stored_row["Balance"]
            assert _money(cells[columns[-2]]) == stored_row["TotalAmt"]
            if "past_due" in cells:
                assert int(cells["past_due"]["value"]) == (TODAY - date.fromisoformat(stored_row["DueDate"])).days
            open_total += stored_row["Balance"]
            seen.add(stored_row["Id"])
        assert section["Summary"]["ColData"][0]["value"] == f"Total for {SECTIONS[bucket]}"
        assert _money(section["Summary"]["ColData"][-1]) == open_total
    assert seen == open_ids
    summary_total = qb.get_report(summary)["Rows"]["Row"][-1]["Summary"]["ColData"][-1]
    assert grand["Summary"]["ColData"][0]["value"] == "TOTAL" and grand["Summary"]["ColData"][-1] == summary_total


@pytest.mark.parametrize(("days_past_due", "bucket"), [
    (-5, 0), (0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4), (400, 4)])
def test_bucket_boundaries(sandbox, qb, days_past_due, bucket) -> None:
    """Due today is Current; 1 to 30 days past due is "1 - 30", 31 to 60 "31 - 60", 61 to 90 "61 - 90", and
    from 91 days on "91 and over" (QBO's inclusive ranges)."""
    vendor = sandbox.realm.create("Vendor", {"DisplayName": "Boundary Supplies"})
    due = TODAY - timedelta(days=days_past_due)
    sandbox.realm.create("Bill", {"VendorRef": {"value": vendor["Id"]}, "TxnDate": min(due, TODAY).isoformat(),
                                  "DueDate": due.isoformat(), "Line": [
                                      {"Amount": 42, "DetailType": "AccountBasedExpenseLineDetail",
                                       "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "11"}}}]})

    summary = qb.get_report("AgedPayables", {"vendor": vendor["Id"]})
    detail = qb.get_report("AgedPayableDetail", {"vendor": vendor["Id"]})

    cells = [cell["value"] for cell in summary["Rows"]["Row"][0]["ColData"][1:]]
    assert cells == ["42.00" if index == bucket else "" for index in range(5)] + ["42.00"]
    section = detail["Rows"]["Row"][0]
    assert section["Header"]["ColData"][0]["value"] == SECTIONS[bucket]
    assert section["Rows"]["Row"][0]["ColData"][5]["value"] == str(days_past_due)


def test_a_past_report_date_shows_what_was_open_then(sandbox, qb) -> None:
    """report_date: documents dated after it are left out, and payments dated after it have not paid yet."""
    payments = sandbox.realm.all_entities("BillPayment", decimal=True)
    payment = next(p for p in payments if p["Line"] and date.fromisoformat(p["TxnDate"]) > TODAY - timedelta(days=20))
    bill = sandbox.realm.get("Bill", payment["Line"][0]["LinkedTxn"][0]["TxnId"], decimal=True)
    report_date = date.fromisoformat(payment["TxnDate"]) - timedelta(days=1)
    assert date.fromisoformat(bill["TxnDate"]) <= report_date

    answer = qb.get_report("AgedPayableDetail", {"report_date": report_date.isoformat(), "vendor":
                                                 bill["VendorRef"]["value"]})

    rows = {row["ColData"][1]["id"]: row for section in answer["Rows"]["Row"][:-1] for row in section["Rows"]["Row"]}
    applied_later = sum(line["Amount"] for p in payments if date.fromisoformat(p["TxnDate"]) > report_date
                        for line in p["Line"] if line["LinkedTxn"][0]["TxnId"] == bill["Id"])
    assert _money(rows[bill["Id"]]["ColData"][-1]) == bill["Balance"] + applied_later
    assert all(date.fromisoformat(row["ColData"][0]["value"]) <= report_date for row in rows.values())
    assert answer["Header"]["Vendor"] == bill["VendorRef"]["value"]


def test_an_unapplied_payment_is_a_credit_in_the_aging(sandbox, qb) -> None:
    """A payment's unapplied amount shows as a negative open balance of the customer (Payment row)."""
    customer_id = sandbox.realm.all_entities("Customer")[0]["Id"]
    sandbox.realm.create("Payment", {"CustomerRef": {"value": customer_id}, "TotalAmt": 75})

    detail = qb.get_report("AgedReceivableDetail", {"customer": customer_id})
    summary = qb.get_report("AgedReceivables", {"customer": customer_id})

    credits = [row for section in detail["Rows"]["Row"][:-1] for row in section["Rows"]["Row"]
               if row["ColData"][1]["value"] == "Payment"]
    assert [(_money(row["ColData"][-2]), _money(row["ColData"][-1])) for row in credits] == [
        (Decimal("-75.00"), Decimal("-75.00"))]
    expected = _expected_aging([r for r in sandbox.realm.all_entities("Invoice", decimal=True)
                                if r["CustomerRef"]["value"] == customer_id], "CustomerRef")
    current = expected.get(customer_id, [Decimal(0)] * 5)[0] - 75
    assert _money(summary["Rows"]["Row"][0]["ColData"][1]) == current


def test_aging_period_and_number_of_periods_shape_the_buckets(qb) -> None:
    answer = qb.get_report("AgedPayables", {"aging_period": "15", "num_periods": "3"})

    assert [c["ColTitle"] for c in answer["Columns"]["Column"]] == ["", "Current", "1 - 15", "16 - 30", "31 and over",
                                                                     "Total"]


def test_aging_from_the_transaction_date_when_the_company_says_so(sandbox, qb) -> None:
    """Preferences.ReportPrefs.CalcAgingReportFromTxnDate: age from TxnDate instead of DueDate."""
    sandbox.realm.patch("Preferences", "1", {"ReportPrefs": {"ReportBasis": "Accrual",
                                                             "CalcAgingReportFromTxnDate": True}})
    answer = qb.get_report("AgedPayables")

    expected: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00")] * 5)
    for row in sandbox.realm.all_entities("Bill", decimal=True):
        if row["Balance"]:
            expected[row["VendorRef"]["value"]][_bucket(row["TxnDate"])] += row["Balance"]
    got = {row["ColData"][0]["id"]: [_money(cell) for cell in row["ColData"][1:6]]
           for row in answer["Rows"]["Row"][:-1]}
    assert got == dict(expected)


def _pnl_rows(answer: dict) -> dict[str, dict]:
    return {row["group"]: row for row in answer["Rows"]["Row"]}


def _section_accounts(section: dict) -> dict[str, Decimal]:
    return {row["ColData"][0]["value"]: _money(row["ColData"][1]) for row in section.get("Rows", {}).get("Row", [])}


def test_profit_and_loss_on_the_accrual_basis(sandbox, qb) -> None:
    """ProfitAndLoss: Income (invoice lines by their item's income account), COGS, GrossProfit, Expenses
    (bill lines by account), NetOperatingIncome, NetIncome; one Total column; dated within the period."""
    start, end = date(2026, 9, 1), date(2026, 10, 31)
    answer = qb.get_report("ProfitAndLoss", {"start_date": start.isoformat(), "end_date": end.isoformat()})

    accounts = {a["Id"]: a for a in sandbox.realm.all_entities("Account", decimal=True)}
    items = {i["Id"]: i for i in sandbox.realm.all_entities("Item", decimal=True)}
    income: dict[str, Decimal] = defaultdict(Decimal)
    spent: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for invoice in sandbox.realm.all_entities("Invoice", decimal=True):
        if start <= date.fromisoformat(invoice["TxnDate"]) <= end:
            for line in invoice["Line"]:
                if line["DetailType"] == "SalesItemLineDetail":
                    item = items[line["SalesItemLineDetail"]["ItemRef"]["value"]]
                    income[accounts[item["IncomeAccountRef"]["value"]]["Name"]] += line["Amount"]
    for bill in sandbox.realm.all_entities("Bill", decimal=True):
        if start <= date.fromisoformat(bill["TxnDate"]) <= end:
            for line in bill["Line"]:
                account = accounts[line["AccountBasedExpenseLineDetail"]["AccountRef"]["value"]]
                spent[(account["AccountType"], account["Name"])] += line["Amount"]
    sections = _pnl_rows(answer)

    assert answer["Header"]["ReportBasis"] == "Accrual" and answer["Header"]["StartPeriod"] == start.isoformat()
    assert [c["ColTitle"] for c in answer["Columns"]["Column"]] == ["", "Total"]
    assert list(sections) == ["Income", "COGS", "GrossProfit", "Expenses", "NetOperatingIncome", "NetIncome"]
    assert _section_accounts(sections["Income"]) == dict(income)
    assert _section_accounts(sections["COGS"]) == {n: a for (t, n), a in spent.items() if t == "Cost of Goods Sold"}
    assert _section_accounts(sections["Expenses"]) == {n: a for (t, n), a in spent.items() if t == "Expense"}
    total_income, total_spent = sum(income.values()), sum(spent.values())
    assert _money(sections["Income"]["Summary"]["ColData"][1]) == total_income
    assert _money(sections["NetIncome"]["Summary"]["ColData"][1]) == total_income - total_spent
    assert sections["Income"]["Summary"]["ColData"][0]["value"] == "Total Income"


def test_profit_and_loss_on_the_cash_basis_counts_what_was_paid_when_it_was_paid(sandbox, qb) -> None:
    """accounting_method=Cash: income and expenses in the proportion paid, dated by the payments."""
    start, end = date(2026, 10, 1), date(2026, 11, 20)
    answer = qb.get_report("ProfitAndLoss", {"start_date": start.isoformat(), "end_date": end.isoformat(),
                                             "accounting_method": "Cash"})

    def applied(entity: str) -> Decimal:
        return sum((line["Amount"] for p in sandbox.realm.all_entities(entity, decimal=True)
                    if start <= date.fromisoformat(p["TxnDate"]) <= end for line in p["Line"]), Decimal(0))

    sections = _pnl_rows(answer)
    received, paid = applied("Payment"), applied("BillPayment")
    assert answer["Header"]["ReportBasis"] == "Cash"
    # Seeded invoices are all sales lines and seeded bills all expense lines: cash in and out, to the cent
    # within rounding of each account's share.
    assert abs(_money(sections["Income"]["Summary"]["ColData"][1]) - received) <= Decimal("0.05")
    assert abs(_money(sections["NetIncome"]["Summary"]["ColData"][1]) - (received - paid)) <= Decimal("0.10")


def test_profit_and_loss_defaults_to_this_fiscal_year_to_date(qb) -> None:
    header = qb.get_report("ProfitAndLoss")["Header"]

    assert (header["StartPeriod"], header["EndPeriod"]) == ("2026-01-01", TODAY.isoformat())
    assert header["DateMacro"] == "this fiscal year-to-date" and header["SummarizeColumnsBy"] == "Total"


def test_report_faults(sandbox, qb) -> None:
    """An unknown report is an Unsupported Operation; a bad parameter value is fault 2010 naming it; so is a
    parameter the sandbox's report does not implement (rather than a silently unfiltered report)."""
    unknown = sandbox.client.get("reports/BalanceSheetOfDreams")
    with pytest.raises(QuickbooksException) as bad_date:
        qb.get_report("AgedPayables", {"report_date": "yesterday"})
    with pytest.raises(QuickbooksException) as unsupported:
        qb.get_report("ProfitAndLoss", {"class": "3"})
    with pytest.raises(QuickbooksException) as backwards:
        qb.get_report("ProfitAndLoss", {"start_date": "2026-10-01", "end_date": "2026-09-01"})

    assert unknown.status_code == 400 and unknown.json()["Fault"]["Error"][0]["Message"] == "Unsupported Operation"
    assert bad_date.value.error_code == 2010 and "report_date" in bad_date.value.detail
    assert unsupported.value.error_code == 2010 and "class" in unsupported.value.detail
    assert backwards.value.error_code == 2010


def test_report_names_are_case_insensitive_and_an_empty_company_has_no_report_data(make_sandbox) -> None:
    sandbox = make_sandbox()
    for bill in sandbox.realm.all_entities("Bill"):
        if not bill["LinkedTxn"]:
            sandbox.realm.delete("Bill", bill["Id"])
    for payment in sandbox.realm.all_entities("BillPayment"):
        sandbox.realm.delete("BillPayment", payment["Id"])
    for bill in sandbox.realm.all_entities("Bill"):
        sandbox.realm.delete("Bill", bill["Id"])

    answer = sandbox.client.get("reports/agedpayables").json()

    assert answer["Header"]["ReportName"] == "AgedPayables"
    assert {"Name": "NoReportData", "Value": "true"} in answer["Header"]["Option"]
    assert answer["Rows"]["Row"] == [{"group": "GrandTotal", "type": "Section", "Summary": {"ColData": [
        {"value": "TOTAL"}, *([{"value": "0.00"}] * 6)]}}]
