"""Paging with ``query_page``, ``query_all`` and ``count``: every row once, in order, concurrent pages held to
the realm's in-flight bound, and the ``time`` QBO stamps on each answer reported."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import msgspec
import pytest

from infra.interfaces.errors import QboUnavailableError
from infra.qbo import RealmLimiterRegistry, loads_json, qbo_literal, select_statement
from tests.infra.qbo.conftest import REALM, json_response
from tests.infra.qbo.test_faults import VALIDATION

SELECT = re.compile(r"^SELECT \* FROM (\w+)(?: WHERE (.+?))?(?: ORDERBY (\w+))? STARTPOSITION (\d+) MAXRESULTS (\d+)$")
COUNT = re.compile(r"^SELECT COUNT\(\*\) FROM (\w+)(?: WHERE (.+))?$")


class PagedBills:
    """Answers SELECT pages and COUNT(*) over ``rows`` bills the way QBO does."""

    def __init__(self, rows: int, *, counted: int | None = None, delay=None, fail_start: int | None = None) -> None:
        self.rows = [{"Id": str(i), "SyncToken": "0"} for i in range(1, rows + 1)]
        self.counted = rows if counted is None else counted
        self.delay = delay
        self.fail_start = fail_start
        self.statements: list[str] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        statement = request.url.params["query"]
        with self._lock:
            self.statements.append(statement)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if m := COUNT.match(statement):
                return json_response(200, {"QueryResponse": {"totalCount": self.counted}})
            m = SELECT.match(statement)
            assert m, statement
            start, size = int(m.group(4)), int(m.group(5))
            if self.delay:
                time.sleep(self.delay(start))
            if start == self.fail_start:
                return json_response(400, VALIDATION)
            page = self.rows[start - 1:start - 1 + size]
            body = {"QueryResponse": {"Bill": page, "startPosition": start, "maxResults": len(page)}} if page else {
                "QueryResponse": {}}
            return json_response(200, body)
        finally:
            with self._lock:
                self.in_flight -= 1


def test_query_all_gives_each_of_2345_rows_once_in_order(harness_factory):
    qbo = PagedBills(2345)
    h = harness_factory(qbo)
    rows = list(h.client.query_all(REALM, "Bill"))
    assert [r["Id"] for r in rows] == [str(i) for i in range(1, 2346)]
    assert qbo.statements == [
        "SELECT * FROM Bill ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000",
        "SELECT * FROM Bill ORDERBY Id STARTPOSITION 1001 MAXRESULTS 1000",
        "SELECT * FROM Bill ORDERBY Id STARTPOSITION 2001 MAXRESULTS 1000",
    ]


def test_query_all_with_a_where_and_an_exact_multiple_asks_one_empty_page(harness_factory):
    qbo = PagedBills(600)
    h = harness_factory(qbo)
    where = "Metadata.LastUpdatedTime >= '2025-02-01T00:00:00-08:00'"
    assert len(list(h.client.query_all(REALM, "Bill", where=where, page_size=200))) == 600
    assert len(qbo.statements) == 4 and all(f"WHERE {where} ORDERBY Id" in s for s in qbo.statements)


def test_empty_result(harness_factory):
    h = harness_factory(PagedBills(0))
    assert list(h.client.query_all(REALM, "Bill")) == []
    assert h.client.count(REALM, "Bill") == 0


def test_count(harness_factory):
    qbo = PagedBills(2345)
    h = harness_factory(qbo)
    assert h.client.count(REALM, "Bill", where="Balance > '0'") == 2345
    assert qbo.statements == ["SELECT COUNT(*) FROM Bill WHERE Balance > '0'"]


def test_statement_helpers():
    assert select_statement("Vendor", "Active IN (true,false)", None) == (
        "SELECT * FROM Vendor WHERE Active IN (true,false)")
    assert qbo_literal("O'Brien \\ Co") == "'O\\'Brien \\\\ Co'"
    with pytest.raises(ValueError):
        select_statement("Bill; DROP", None)


def test_page_size_is_bounded(harness_factory):
    h = harness_factory(PagedBills(1))
    with pytest.raises(ValueError):
        list(h.client.query_all(REALM, "Bill", page_size=1001))


def test_concurrent_pages_reach_the_in_flight_bound(harness_factory):
    """50 pages, each answered after 20 ms and asked from 20 threads: 10 are in flight at once, never more.
    (How fast that is, is measured by benchmarks/sync_benchmark.py, not asserted here.)"""
    qbo = PagedBills(5_000, delay=lambda start: 0.02)
    h = harness_factory(qbo, registry=RealmLimiterRegistry(requests_per_second=None, max_in_flight=10))
    with ThreadPoolExecutor(max_workers=20) as pool:
        pages = list(pool.map(lambda start: h.client.query_page(REALM, "Bill", start, page_size=100),
                              range(1, 5_001, 100)))
    assert sum(len(page) for page in pages) == 5_000 and qbo.max_in_flight == 10


def test_each_read_reports_the_time_qbo_stamped_on_its_answer(harness_factory):
    seen: list[str | None] = []
    h = harness_factory(lambda request: json_response(200, {"QueryResponse": {"totalCount": 3},
                                                            "time": "2026-11-20T09:15:02.123-08:00"}))
    assert h.client.count(REALM, "Bill", on_time=seen.append) == 3
    assert h.client.query_page(REALM, "Bill", 1, on_time=seen.append) == []
    assert seen == ["2026-11-20T09:15:02.123-08:00"] * 2


def test_a_raw_page_leaves_each_row_undecoded_and_decodes_exactly(harness_factory):
    """``query_page_raw``: the rows as QBO sent them (``msgspec.Raw``), decoded on demand with exact
    decimals; the ``time`` of the answer reported as for every read."""
    seen: list[str | None] = []
    rows = [{"Id": "1", "SyncToken": "0", "Balance": Decimal("12.30")}, {"Id": "2", "SyncToken": "3"}]
    body = (b'{"QueryResponse": {"Vendor": [{"Id": "1", "SyncToken": "0", "Balance": 12.30}, {"Id": "2", '
            b'"SyncToken": "3"}], "startPosition": 1, "maxResults": 2}, "time": "2026-11-20T09:15:02.123-08:00"}')
    h = harness_factory(lambda request: httpx.Response(200, content=body, headers={"Content-Type": "application/json"}))

    raw = h.client.query_page_raw(REALM, "Vendor", 1, "Active IN (true, false)", on_time=seen.append)

    assert all(isinstance(row, msgspec.Raw) for row in raw)
    decoded = [loads_json(row) for row in raw]
    assert decoded == rows and str(decoded[0]["Balance"]) == "12.30"
    assert seen == ["2026-11-20T09:15:02.123-08:00"]


def test_a_raw_page_without_rows_is_empty_and_one_without_a_query_response_fails(harness_factory):
    h = harness_factory(lambda request: json_response(200, {"QueryResponse": {}}))
    assert h.client.query_page_raw(REALM, "Vendor", 1) == []
    h = harness_factory(lambda request: json_response(200, {"Other": {}}))
    with pytest.raises(QboUnavailableError):
        h.client.query_page_raw(REALM, "Vendor", 1)
