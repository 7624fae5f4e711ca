"""The query language over HTTP, checked against the store's rows filtered in plain Python."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from qbo_sandbox import QboFault, parse_query


def _ids(rows: list[dict]) -> list[str]:
    return [row["Id"] for row in rows]


def _bills(sandbox) -> list[dict]:
    return sandbox.realm.all_entities("Bill", decimal=True)


@pytest.mark.parametrize(("op", "check"), [
    ("=", lambda amount, pivot: amount == pivot),
    ("<", lambda amount, pivot: amount < pivot),
    (">", lambda amount, pivot: amount > pivot),
    ("<=", lambda amount, pivot: amount <= pivot),
    (">=", lambda amount, pivot: amount >= pivot),
])
def test_comparison_operators_on_money(shared_sandbox, op, check) -> None:
    bills = _bills(shared_sandbox)
    pivot = sorted(bill["TotalAmt"] for bill in bills)[len(bills) // 2]
    expected = [bill["Id"] for bill in bills if check(bill["TotalAmt"], pivot)]

    rows = shared_sandbox.rows(f"SELECT * FROM Bill WHERE TotalAmt {op} '{pivot}' MAXRESULTS 1000")

    assert _ids(rows) == expected
    assert expected  # the pivot is a real value, so every operator selects something


def test_dates_compare_as_dates_and_conditions_combine_with_and(shared_sandbox) -> None:
    bills = _bills(shared_sandbox)
    expected = [b["Id"] for b in bills if "2026-10-01" <= b["DueDate"] < "2026-12-01" and b["Balance"] > 0]

    rows = shared_sandbox.rows("select * from bill where DueDate >= '2026-10-01' and DueDate < '2026-12-01' "
                        "and Balance > '0' maxresults 1000")

    assert _ids(rows) == expected and expected


def test_datetime_comparisons_compare_instants_across_offsets(shared_sandbox) -> None:
    bills = _bills(shared_sandbox)
    pivot = sorted(datetime.fromisoformat(b["MetaData"]["LastUpdatedTime"]) for b in bills)[len(bills) // 2]
    expected = [b["Id"] for b in bills if datetime.fromisoformat(b["MetaData"]["LastUpdatedTime"]) >= pivot]
    # The same instant written in the company's offset, in UTC and in +05:30 selects the same rows.
    spellings = [pivot.isoformat(), pivot.astimezone(UTC).isoformat(),
                 pivot.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()]

    for spelling in spellings:
        for field in ("MetaData.LastUpdatedTime", "Metadata.LastUpdatedTime"):
            rows = shared_sandbox.rows(f"SELECT * FROM Bill WHERE {field} >= '{spelling}' MAXRESULTS 1000")
            assert _ids(rows) == expected, (field, spelling)


def test_in_and_reference_fields_compare_by_value(shared_sandbox) -> None:
    bills = _bills(shared_sandbox)
    vendor_id = bills[0]["VendorRef"]["value"]

    in_rows = shared_sandbox.rows("SELECT * FROM Bill WHERE Id IN ('1', '3', '5', '99999')")
    by_vendor = shared_sandbox.rows(f"SELECT * FROM Bill WHERE VendorRef = '{vendor_id}' MAXRESULTS 1000")

    assert _ids(in_rows) == ["1", "3", "5"]
    assert _ids(by_vendor) == [b["Id"] for b in bills if b["VendorRef"]["value"] == vendor_id]


@pytest.mark.parametrize(("pattern", "check"), [
    ("%{part}%", lambda name, part: part in name.lower()),
    ("{part}%", lambda name, part: name.lower().startswith(part)),
    ("%{part}", lambda name, part: name.lower().endswith(part)),
])
def test_like_patterns_are_case_insensitive(shared_sandbox, pattern, check) -> None:
    vendors = [v for v in shared_sandbox.realm.all_entities("Vendor") if v["Active"]]
    name = vendors[0]["DisplayName"]
    part = {"%{part}%": name[2:6], "{part}%": name[:4], "%{part}": name[-4:]}[pattern].lower()
    expected = [v["Id"] for v in vendors if check(v["DisplayName"], part)]

    rows = shared_sandbox.rows(f"SELECT * FROM Vendor WHERE DisplayName LIKE '{pattern.format(part=part.upper())}'")

    assert _ids(rows) == expected and expected


def test_list_entities_return_only_active_rows_unless_the_query_names_active(sandbox) -> None:
    vendors = sandbox.realm.all_entities("Vendor")
    inactive = [v["Id"] for v in vendors if not v["Active"]]
    sandbox.realm.update("Vendor", {"Id": vendors[0]["Id"], "Active": False, "sparse": True})
    inactive = sorted({*inactive, vendors[0]["Id"]}, key=int)

    default = sandbox.rows("SELECT * FROM Vendor MAXRESULTS 1000")
    everything = sandbox.rows("SELECT * FROM Vendor WHERE Active IN (true, false) MAXRESULTS 1000")
    only_inactive = sandbox.rows("SELECT * FROM Vendor WHERE Active = false")
    accounts = sandbox.rows("SELECT * FROM Account WHERE AccountType = 'Bank'")

    assert _ids(default) == [v["Id"] for v in vendors if v["Id"] not in inactive]
    assert _ids(everything) == [v["Id"] for v in vendors]
    assert _ids(only_inactive) == inactive
    assert [a["Name"] for a in accounts] == ["Business Checking", "Business Savings", "Payroll Checking"]


def test_orderby_sorts_and_keeps_id_order_for_ties(shared_sandbox) -> None:
    bills = _bills(shared_sandbox)
    ascending = sorted(bills, key=lambda b: b["DueDate"])  # stable: ties stay in Id order
    descending = sorted(bills, key=lambda b: b["DueDate"], reverse=True)

    assert _ids(shared_sandbox.rows("SELECT * FROM Bill ORDERBY DueDate MAXRESULTS 1000")) == _ids(ascending)
    assert _ids(shared_sandbox.rows("SELECT * FROM Bill ORDER BY DueDate DESC MAXRESULTS 1000")) == _ids(descending)
    by_amount = shared_sandbox.rows("SELECT * FROM Bill ORDERBY TotalAmt DESC MAXRESULTS 1000")
    amounts = [row["TotalAmt"] for row in by_amount]
    assert amounts == sorted(amounts, reverse=True)


def test_orderby_id_answers_in_numeric_id_order_both_ways(shared_sandbox) -> None:
    """Ascending Id order is the order rows are kept in (the sandbox does not sort for it): numeric, so
    "10" comes after "9"; descending is sorted."""
    ids = [int(i) for i in _ids(_bills(shared_sandbox))]
    assert len(ids) > 10

    ascending = _ids(shared_sandbox.rows("SELECT * FROM Bill ORDERBY Id MAXRESULTS 1000"))
    descending = _ids(shared_sandbox.rows("SELECT * FROM Bill ORDERBY Id DESC MAXRESULTS 1000"))

    assert [int(i) for i in ascending] == sorted(ids)
    assert [int(i) for i in descending] == sorted(ids, reverse=True)


@pytest.mark.parametrize("page_size", [7, 50])
def test_paging_returns_every_row_exactly_once(shared_sandbox, page_size) -> None:
    statement = "SELECT * FROM Bill ORDERBY DueDate"
    seen, position = [], 1
    while True:
        response = shared_sandbox.query(f"{statement} STARTPOSITION {position} MAXRESULTS {page_size}")
        body = response.json()["QueryResponse"]
        if not body:
            break
        assert body["startPosition"] == position and body["maxResults"] == len(body["Bill"]) <= page_size
        seen.extend(_ids(body["Bill"]))
        position += page_size

    assert sorted(seen, key=int) == [b["Id"] for b in _bills(shared_sandbox)]
    assert len(seen) == len(set(seen))


def test_count_default_page_size_and_cap(shared_sandbox) -> None:
    total = len(_bills(shared_sandbox))
    open_bills = sum(1 for b in _bills(shared_sandbox) if b["Balance"] > 0)

    assert shared_sandbox.query("SELECT COUNT(*) FROM Bill").json()["QueryResponse"] == {"totalCount": total}
    assert shared_sandbox.query("select count(*) from Bill where Balance > '0'").json()["QueryResponse"] == {
        "totalCount": open_bills}
    assert len(shared_sandbox.rows("SELECT * FROM Bill")) == min(100, total)
    assert total > 100


def test_maxresults_is_capped_at_1000() -> None:
    assert parse_query("SELECT * FROM Bill MAXRESULTS 5000").max_results == 1000
    assert parse_query("SELECT * FROM Bill").max_results == 100
    assert parse_query("SELECT * FROM Bill STARTPOSITION 0").start_position == 1


def test_empty_result_and_post_query(shared_sandbox) -> None:
    empty = shared_sandbox.query("SELECT * FROM Bill WHERE TotalAmt > '99999999'")
    posted = shared_sandbox.client.post("query", content="SELECT * FROM Account WHERE Name = 'Business Checking'",
                                 headers={"Content-Type": "application/text"})

    assert empty.status_code == 200
    assert set(empty.json()) == {"QueryResponse", "time"} and empty.json()["QueryResponse"] == {}
    assert posted.status_code == 200
    account = posted.json()["QueryResponse"]["Account"][0]
    assert account["Name"] == "Business Checking" and account["AccountType"] == "Bank"
    stored = shared_sandbox.realm.row("Account", account["Id"])
    assert Decimal(str(account["CurrentBalance"])) == stored["CurrentBalance"]


def test_money_is_written_with_two_decimals(shared_sandbox) -> None:
    response = shared_sandbox.query("SELECT * FROM Bill WHERE Balance = '0' MAXRESULTS 1")

    assert '"Balance":0.00' in response.text


@pytest.mark.parametrize(("statement", "code"), [
    ("SELECT * FROM", "4000"),
    ("SELECT * FROM Bill WHERE", "4000"),
    ("SELECT * FROM Bill WHERE TotalAmt > '1' OR Balance > '0'", "4000"),
    ("SELECT * FROM Unicorn", "4000"),
    ("DELETE FROM Bill", "4000"),
    ("SELECT * FROM Bill WHERE Color = 'red'", "4001"),
    ("SELECT * FROM Bill MAXRESULTS 0", "4001"),
])
def test_bad_queries_answer_400_with_a_validation_fault(shared_sandbox, statement, code) -> None:
    response = shared_sandbox.query(statement)

    assert response.status_code == 400
    fault = response.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == code
    assert "time" in response.json()


def test_parser_accepts_what_python_quickbooks_sends() -> None:
    query = parse_query("SELECT * FROM Vendor WHERE DisplayName = 'a\\'b' AND Active = True ORDER BY Balance "
                        "STARTPOSITION 3 MAXRESULTS 10")
    assert query.conditions[0].value == "a'b"
    assert query.conditions[1].value is True
    assert (query.start_position, query.max_results) == (3, 10)
    assert parse_query("select *, Sku from vendor").columns is None
    with pytest.raises(QboFault):
        parse_query("SELECT * FROM Bill WHERE TotalAmt != '3'")
