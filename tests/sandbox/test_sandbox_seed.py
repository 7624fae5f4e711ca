"""Seeded companies: deterministic, realistic and internally consistent, and quick to build at 50k."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from qbo_sandbox import ManualClock, seed_company
from qbo_sandbox.encoding import dumps

AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-08:00$")


def _dump(store) -> bytes:
    return b"\n".join(dumps(store.rows(entity)) for entity in sorted(store.counts()))


def test_same_seed_and_size_give_byte_identical_data() -> None:
    first = seed_company("4620816365000000001", 7, 1500, as_of=AS_OF)
    second = seed_company("4620816365000000001", 7, 1500, as_of=AS_OF)
    other_seed = seed_company("4620816365000000001", 8, 1500, as_of=AS_OF)
    other_realm = seed_company("4620816365000000002", 7, 1500, as_of=AS_OF)

    assert _dump(first) == _dump(second)
    assert _dump(first) != _dump(other_seed)
    assert _dump(first) != _dump(other_realm)


def test_default_as_of_is_the_clocks_day_so_data_is_stable_within_a_day() -> None:
    morning = seed_company("1", 3, 300, clock=ManualClock(AS_OF + timedelta(hours=1)))
    evening = seed_company("1", 3, 300, clock=ManualClock(AS_OF + timedelta(hours=23)))

    assert _dump(morning) == _dump(evening)


@pytest.fixture(scope="module")
def company():
    return seed_company("9130000000000009", 21, 3000, company_name="Northwind Bakery", as_of=AS_OF)


def test_size_and_shape(company) -> None:
    counts = company.counts()

    assert 0.9 * 3000 <= sum(counts.values()) <= 1.1 * 3000
    assert counts["CompanyInfo"] == 1 and company.get("CompanyInfo", "1")["CompanyName"] == "Northwind Bakery"
    assert min(counts["Vendor"], counts["Customer"], counts["Bill"], counts["Invoice"]) > 50
    accounts = company.all_entities("Account")
    banks = [a for a in accounts if a["AccountType"] == "Bank"]
    assert len(banks) == 4 and [a["Active"] for a in banks].count(False) == 1
    assert {"Credit Card", "Accounts Payable", "Accounts Receivable"} <= {a["AccountType"] for a in accounts}
    assert all(a["CurrentBalance"] > 0 for a in banks if a["Active"])


def test_every_entity_has_qbo_system_fields(company) -> None:
    for entity in company.counts():
        for row in company.all_entities(entity):
            assert isinstance(row["Id"], str) and isinstance(row["SyncToken"], str)
            assert row["domain"] == "QBO" and row["sparse"] is False
            meta = row["MetaData"]
            assert TIMESTAMP.match(meta["CreateTime"]) and TIMESTAMP.match(meta["LastUpdatedTime"])
            created, updated = (datetime.fromisoformat(meta[key]) for key in ("CreateTime", "LastUpdatedTime"))
            assert created <= updated <= AS_OF


def test_people_have_unique_names_and_emails(company) -> None:
    parties = company.all_entities("Vendor") + company.all_entities("Customer")
    names = [party["DisplayName"].lower() for party in parties]

    assert len(names) == len(set(names))
    assert all("@" in party["PrimaryEmailAddr"]["Address"] for party in parties)
    assert any(not party["Active"] for party in parties)


@pytest.mark.parametrize(("document", "payment", "party"), [
    ("Bill", "BillPayment", ("VendorRef", "Vendor")), ("Invoice", "Payment", ("CustomerRef", "Customer"))])
def test_documents_payments_and_balances_agree(company, document, payment, party) -> None:
    documents = company.all_entities(document, decimal=True)
    payments = {row["Id"]: row for row in company.all_entities(payment, decimal=True)}
    applied: dict[str, Decimal] = defaultdict(Decimal)
    for row in payments.values():
        for line in row["Line"]:
            applied[line["LinkedTxn"][0]["TxnId"]] += line["Amount"]
    today = AS_OF.astimezone(company.tz).date()
    open_by_party: dict[str, Decimal] = defaultdict(Decimal)

    for row in documents:
        lines = sum(line["Amount"] for line in row["Line"] if line["DetailType"] != "SubTotalLineDetail")
        assert row["TotalAmt"] == lines
        assert row["TotalAmt"] - row["Balance"] == applied[row["Id"]]
        assert 0 <= row["Balance"] <= row["TotalAmt"]
        for link in row["LinkedTxn"]:
            linked = payments[link["TxnId"]]
            assert any(line["LinkedTxn"][0]["TxnId"] == row["Id"] for line in linked["Line"])
        assert today - timedelta(days=121) <= date.fromisoformat(row["DueDate"]) <= today + timedelta(days=60)
        assert row["TxnDate"] <= row["DueDate"]
        open_by_party[row[party[0]]["value"]] += row["Balance"]

    paid = [row for row in documents if row["Balance"] == 0]
    partial = [row for row in documents if 0 < row["Balance"] < row["TotalAmt"]]
    unpaid = [row for row in documents if row["Balance"] == row["TotalAmt"]]
    assert paid and partial and unpaid
    for row in company.all_entities(party[1], decimal=True):
        assert row["Balance"] == open_by_party[row["Id"]]
    control = "Accounts Payable" if document == "Bill" else "Accounts Receivable"
    account = next(a for a in company.all_entities("Account", decimal=True) if a["AccountType"] == control)
    assert account["CurrentBalance"] == sum(open_by_party.values())


def test_fifty_thousand_entities_can_be_generated() -> None:
    store = seed_company("9130000000050000", 1, 50_000, as_of=AS_OF)

    assert 47_500 <= sum(store.counts().values()) <= 52_500
    assert store.query("SELECT COUNT(*) FROM Bill").total == store.counts()["Bill"]
