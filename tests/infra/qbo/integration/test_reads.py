"""Reads over real HTTP: paging, counts, concurrent pages, single reads, CDC and mapping every entity."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest

from infra.db.entities import to_record
from infra.interfaces.errors import QboValidationError
from infra.interfaces.records import Entity
from infra.qbo import CDC_MAX_OBJECTS, OAuthTokens, is_deleted, qbo_literal, to_deleted

PAGED_ENTITIES = ["Bill", "Invoice", "BillPayment", "Payment"]


def _ids(rows) -> list[str]:
    return [row["Id"] for row in rows]


@pytest.mark.parametrize("page_size", [25, 20, 1000])  # 180 bills: a short last page, all pages full, one page
def test_query_all_returns_every_bill_exactly_once(qbo, page_size) -> None:
    expected = _ids(qbo.realm.all_entities("Bill"))

    rows = list(qbo.client.query_all(qbo.realm_id, "Bill", page_size=page_size))

    assert _ids(rows) == expected
    # A full last page is followed by one more (empty) request.
    pages = -(-len(expected) // page_size) + (1 if len(expected) % page_size == 0 else 0)
    queries = [e for e in qbo.transport.data() if e.path.endswith("/query")]
    assert len(queries) == pages == qbo.counters.requests(qbo.realm_id)
    starts = [int(e.params["query"].split("STARTPOSITION ")[1].split()[0]) for e in queries]
    assert starts == [1 + i * page_size for i in range(pages)]
    assert all(e.params["minorversion"] == "75" for e in queries)


def test_count_matches_the_sandbox(qbo) -> None:
    realm = qbo.realm
    open_bills = [b for b in realm.all_entities("Bill", decimal=True) if b["Balance"] > 0]
    active_vendors = [v for v in realm.all_entities("Vendor") if v["Active"]]

    assert qbo.client.count(qbo.realm_id, "Bill") == len(realm.all_entities("Bill"))
    assert qbo.client.count(qbo.realm_id, "Bill", "Balance > '0'") == len(open_bills)
    assert qbo.client.count(qbo.realm_id, "Vendor") == len(active_vendors)  # name lists: active only
    assert qbo.client.count(qbo.realm_id, "Vendor", "Active IN (true, false)") == len(realm.all_entities("Vendor"))


@pytest.mark.parametrize("entity", PAGED_ENTITIES)
def test_concurrent_pages_equal_sequential_paging(qbo, entity) -> None:
    sequential = list(qbo.client.query_all(qbo.realm_id, entity, page_size=30))
    total = qbo.client.count(qbo.realm_id, entity)

    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(lambda start: qbo.client.query_page(qbo.realm_id, entity, start, page_size=30),
                              range(1, total + 1, 30)))

    assert _ids(sequential) == _ids(qbo.realm.all_entities(entity))
    assert [row for page in pages for row in page] == sequential
    assert all(len(page) == 30 for page in pages[:-1]) and 0 < len(pages[-1]) <= 30
    assert qbo.counters.throttled() == 0


def test_read_and_company_info(qbo) -> None:
    stored = qbo.realm.get("Bill", "17", decimal=True)

    bill = qbo.client.read(qbo.realm_id, "Bill", "17")
    info = qbo.client.company_info(qbo.realm_id)

    assert bill == stored  # money exactly as stored (Decimal), every field
    assert info == qbo.realm.get("CompanyInfo", "1", decimal=True)
    assert info["CompanyName"] == qbo.realm.company_name
    paths = [e.path for e in qbo.transport.data()]
    assert paths == [f"/v3/company/{qbo.realm_id}/bill/17", f"/v3/company/{qbo.realm_id}/companyinfo/{qbo.realm_id}"]


def test_cdc_reports_a_create_an_update_and_a_hard_delete(qbo) -> None:
    realm = qbo.realm
    since = qbo.clock.now()
    qbo.clock.advance(5)  # every seeded change is older than ``since``
    template = realm.get("Bill", "1", decimal=True)
    created = realm.create("Bill", {"VendorRef": template["VendorRef"], "TxnDate": "2026-11-19",
                                    "Line": [{"Amount": Decimal("123.45"),
                                              "DetailType": "AccountBasedExpenseLineDetail",
                                              "AccountBasedExpenseLineDetail":
                                                  template["Line"][0]["AccountBasedExpenseLineDetail"]}]})
    unpaid = [b for b in realm.all_entities("Bill") if not b["LinkedTxn"] and b["Id"] != created["Id"]]
    updated = realm.update("Bill", {"Id": unpaid[0]["Id"], "sparse": True, "PrivateNote": "changed for CDC"})
    realm.delete("Bill", unpaid[1]["Id"])

    changes = qbo.client.cdc(qbo.realm_id, ["Bill", "Invoice"], since)

    assert changes["Invoice"] == []
    bills = {row["Id"]: row for row in changes["Bill"]}
    assert set(bills) == {created["Id"], updated["Id"], unpaid[1]["Id"]}
    assert bills[created["Id"]] == realm.get("Bill", created["Id"], decimal=True)
    assert bills[created["Id"]]["TotalAmt"] == Decimal("123.45")
    assert bills[updated["Id"]]["PrivateNote"] == "changed for CDC"
    tombstone = bills[unpaid[1]["Id"]]
    assert is_deleted(tombstone) and tombstone["status"] == "Deleted" and tombstone["domain"] == "QBO"
    deleted = to_deleted(Entity.BILL, tombstone)
    assert deleted.id == unpaid[1]["Id"]
    assert deleted.meta_data.last_updated_time.endswith(realm.utc_offset)  # company offset kept
    (exchange,) = qbo.transport.data()
    assert exchange.params["changedSince"] == since.isoformat()  # the "+00:00" survived URL encoding


def test_cdc_older_than_30_days_is_refused(qbo) -> None:
    with pytest.raises(QboValidationError) as caught:
        qbo.client.cdc(qbo.realm_id, ["Bill"], qbo.clock.now() - timedelta(days=31))

    assert caught.value.fault_code == "2010" and caught.value.intuit_tid


MONEY = {
    Entity.VENDOR: [("balance", "Balance")],
    Entity.CUSTOMER: [("balance", "Balance")],
    Entity.ACCOUNT: [("current_balance", "CurrentBalance")],
    Entity.BILL: [("total_amount", "TotalAmt"), ("balance", "Balance")],
    Entity.INVOICE: [("total_amount", "TotalAmt"), ("balance", "Balance")],
    Entity.BILL_PAYMENT: [("total_amount", "TotalAmt")],
    Entity.PAYMENT: [("total_amount", "TotalAmt")],
}


@pytest.mark.parametrize("entity", list(Entity))
def test_every_entity_of_the_company_maps_to_a_record_with_exact_amounts(qbo, entity) -> None:
    where = "Active IN (true, false)" if entity in (Entity.VENDOR, Entity.CUSTOMER, Entity.ACCOUNT) else None
    stored = {row["Id"]: row for row in qbo.realm.all_entities(str(entity), decimal=True)}

    rows = list(qbo.client.query_all(qbo.realm_id, str(entity), where=where, page_size=1000))
    records = [to_record(entity, qbo.business.id, row) for row in rows]

    assert [r.qbo_id for r in records] == list(stored)
    for record in records:
        row = stored[record.qbo_id]
        assert record.business_id == qbo.business.id and record.sync_token == row["SyncToken"]
        assert record.qbo_updated_at == row["MetaData"]["LastUpdatedTime"]
        for attribute, key in MONEY[entity]:
            value = getattr(record, attribute)
            assert isinstance(value, Decimal) and value == row[key] and str(value) == str(row[key])
        if entity in (Entity.BILL_PAYMENT, Entity.PAYMENT):
            links = [(line["LinkedTxn"][0]["TxnId"], line["Amount"]) for line in row["Line"]]
            assert [(line.txn_qbo_id, line.amount) for line in record.lines] == links
            assert sum((line.amount for line in record.lines), Decimal("0")) <= record.total_amount


def test_string_literals_with_quotes_and_backslashes_round_trip(qbo) -> None:
    names = ["O'Brien & Sons", "Back\\slash Supply", "Percent 100% Co", "Plus+Hash#Question?"]
    for name in names:
        qbo.realm.create("Vendor", {"DisplayName": name})

    found = {name: list(qbo.client.query_all(qbo.realm_id, "Vendor", where=f"DisplayName = {qbo_literal(name)}"))
             for name in names}
    liked = list(qbo.client.query_all(qbo.realm_id, "Vendor", where=f"DisplayName LIKE {qbo_literal('%Brien%')}"))

    assert {name: [row["DisplayName"] for row in rows] for name, rows in found.items()} == {n: [n] for n in names}
    assert [row["DisplayName"] for row in liked] == ["O'Brien & Sons"]


def test_incremental_pull_by_last_updated_time_with_an_offset(qbo) -> None:
    realm = qbo.realm
    cutoff = qbo.clock.now()
    qbo.clock.advance(60)
    changed = [realm.patch("Bill", str(i), {"PrivateNote": f"touched {i}"})["Id"] for i in (5, 60, 170)]
    where = f"MetaData.LastUpdatedTime >= {qbo_literal(cutoff.isoformat())}"  # "+00:00" in the URL

    rows = list(qbo.client.query_all(qbo.realm_id, "Bill", where=where, order_by="MetaData.LastUpdatedTime",
                                     page_size=2))
    local = cutoff.astimezone(realm.tz).isoformat()  # the same instant in the company's offset
    same = list(qbo.client.query_all(qbo.realm_id, "Bill", where=f"Metadata.LastUpdatedTime >= '{local}'"))

    assert [row["Id"] for row in rows] == changed
    assert [row["Id"] for row in same] == changed
    assert all(row["MetaData"]["LastUpdatedTime"].endswith(realm.utc_offset) for row in rows)


def test_cdc_answers_at_most_1000_objects_oldest_first(qbo) -> None:
    realm = qbo.realm
    since = qbo.clock.now()
    order: list[tuple[str, str]] = []
    for entity in ("Bill", "Invoice", "BillPayment", "Payment"):
        for row in realm.all_entities(entity):
            qbo.clock.advance(1)
            realm.patch(entity, row["Id"], {"PrivateNote": "touched"})
            order.append((entity, row["Id"]))
    while len(order) <= CDC_MAX_OBJECTS + 10:
        qbo.clock.advance(1)
        order.append(("Vendor", realm.create("Vendor", {"DisplayName": f"CDC Vendor {len(order)}"})["Id"]))

    changes = qbo.client.cdc(qbo.realm_id, ["Bill", "Invoice", "BillPayment", "Payment", "Vendor"], since)

    assert sum(len(rows) for rows in changes.values()) == CDC_MAX_OBJECTS  # the caller must page the rest
    returned = {(entity, row["Id"]) for entity, rows in changes.items() for row in rows}
    assert returned == set(order[:CDC_MAX_OBJECTS])  # the oldest changes win
    assert [row["Id"] for row in changes["Bill"]] == [b["Id"] for b in realm.all_entities("Bill")]


def test_one_client_serves_two_realms(qbo) -> None:
    other = qbo.state.realm_ids[1]
    qbo.store.save(OAuthTokens(realm_id=other, refresh_token=qbo.state.connect_realm(other)))

    mine = qbo.client.company_info(qbo.realm_id)
    theirs = qbo.client.company_info(other)
    bills = list(qbo.client.query_all(other, "Bill"))

    assert mine["CompanyName"] == qbo.realm.company_name != theirs["CompanyName"]
    assert theirs["CompanyName"] == qbo.state.realm(other).company_name
    assert [b["Id"] for b in bills] == [b["Id"] for b in qbo.state.realm(other).all_entities("Bill")]
    assert qbo.store.load(qbo.realm_id).access_token != qbo.store.load(other).access_token
    assert qbo.counters.status(403) == 0


def test_reading_a_missing_entity_or_a_bad_query_is_a_validation_error(qbo) -> None:
    with pytest.raises(QboValidationError) as missing:
        qbo.client.read(qbo.realm_id, "Bill", "999999")
    with pytest.raises(QboValidationError) as bad_field:
        qbo.client.query(qbo.realm_id, "SELECT * FROM Bill WHERE NoSuchField = '1'")

    assert missing.value.fault_code == "610" and missing.value.status_code == 400 and missing.value.intuit_tid
    assert bad_field.value.fault_code == "4001"
    assert qbo.counters.requests(qbo.realm_id) == 2  # client errors are never retried
