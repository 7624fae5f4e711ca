"""QBO's aging summary reports through the client and the live gateway (over httpx.MockTransport)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from infra.interfaces.records import AgingLedger, BusinessRecord, ReportedAgingBucket
from infra.qbo import MalformedEntityError, QboLiveGateway, aging_bucket_range, to_reported_aging
from tests.infra.qbo.conftest import REALM, json_response

BUSINESS = BusinessRecord(id=7, firm_id=1, name="Bob's", qbo_realm_id=REALM)


def aged_payables(report_date: str = "2025-03-01", grand_total: list[str] | None = None) -> dict:
    """An AgedPayables summary as Intuit's Reports API sends it (the shape of its reference example)."""
    titles = ["Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total"]
    columns = [{"ColTitle": "", "ColType": "Vendor"}, *({"ColTitle": t, "ColType": "Money"} for t in titles)]
    grand = grand_total or ["1234.50", "0.00", "300.00", "", "-20.00", "1514.50"]
    return {
        "Header": {"Time": "2025-03-01T04:00:00-08:00", "ReportName": "AgedPayables", "DateMacro": "today",
                   "StartPeriod": report_date, "EndPeriod": report_date, "Currency": "USD",
                   "Option": [{"Name": "report_date", "Value": report_date},
                              {"Name": "NoReportData", "Value": "false"}]},
        "Columns": {"Column": columns},
        "Rows": {"Row": [
            {"ColData": [{"value": "Brosnahan Insurance Agency", "id": "31"}, {"value": "1234.50"}, {"value": ""},
                         {"value": "300.00"}, {"value": ""}, {"value": "-20.00"}, {"value": "1514.50"}]},
            {"Summary": {"ColData": [{"value": "TOTAL"}, *({"value": v} for v in grand)]},
             "type": "Section", "group": "GrandTotal"}]},
    }


def test_aging_report_asks_for_the_date_and_buckets_and_reads_the_grand_total(harness_factory):
    h = harness_factory(lambda request: json_response(200, aged_payables()))

    report = QboLiveGateway(h.client).aging_report(BUSINESS, AgingLedger.PAYABLES, date(2025, 3, 1),
                                                   period_days=30, periods=4)

    (request,) = h.qbo.requests
    assert request.method == "GET" and request.url.path == f"/v3/company/{REALM}/reports/AgedPayables"
    assert dict(request.url.params) == {"report_date": "2025-03-01", "aging_method": "Report_Date",
                                        "aging_period": "30", "num_periods": "4", "minorversion": "75"}
    assert report.as_of == date(2025, 3, 1) and report.report_name == "AgedPayables"
    assert report.buckets == (ReportedAgingBucket("Current", None, 0, Decimal("1234.50")),
                              ReportedAgingBucket("1 - 30", 1, 30, Decimal("0.00")),
                              ReportedAgingBucket("31 - 60", 31, 60, Decimal("300.00")),
                              ReportedAgingBucket("61 - 90", 61, 90, Decimal("0")),
                              ReportedAgingBucket("91 and over", 91, None, Decimal("-20.00")))
    assert report.total == Decimal("1514.50")


def test_aged_receivables_is_its_own_report(harness_factory):
    body = aged_payables()
    body["Header"]["ReportName"] = "AgedReceivables"
    h = harness_factory(lambda request: json_response(200, body))
    report = QboLiveGateway(h.client).aging_report(BUSINESS, AgingLedger.RECEIVABLES, date(2025, 3, 1),
                                                   period_days=30, periods=4)
    assert h.qbo.requests[0].url.path.endswith("/reports/AgedReceivables")
    assert report.ledger is AgingLedger.RECEIVABLES


def test_a_report_with_no_open_documents_has_no_grand_total_row_and_totals_zero():
    body = aged_payables()
    body["Rows"] = {}
    report = to_reported_aging(AgingLedger.PAYABLES, body)
    assert [b.total for b in report.buckets] == [Decimal("0")] * 5 and report.total == Decimal("0")


@pytest.mark.parametrize("title, days", [("Current", (None, 0)), ("1 - 30", (1, 30)), ("31-60", (31, 60)),
                                         ("91 and over", (91, None)), ("121 or more", (121, None)),
                                         ("Total", None), ("Vendor", None)])
def test_bucket_ranges_are_read_from_qbos_column_titles(title, days):
    assert aging_bucket_range(title) == days


@pytest.mark.parametrize("change, reason", [
    (lambda body: body.pop("Header"), "no Header"),
    (lambda body: body["Header"]["Option"].__setitem__(0, {"Name": "report_date", "Value": "soon"}), "not a date"),
    (lambda body: body["Columns"]["Column"].__setitem__(2, {"ColTitle": "Overdue", "ColType": "Money"}),
     "'Overdue' is neither"),
    (lambda body: body["Rows"]["Row"][-1]["Summary"]["ColData"].pop(), "6 cells for 7 columns"),
    (lambda body: body["Rows"]["Row"][-1]["Summary"]["ColData"].__setitem__(1, {"value": "n/a"}), "not an amount"),
])
def test_a_report_that_cannot_be_read_is_malformed(change, reason):
    body = aged_payables()
    change(body)
    with pytest.raises(MalformedEntityError, match=reason):
        to_reported_aging(AgingLedger.PAYABLES, body)
