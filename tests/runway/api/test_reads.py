"""Every read endpoint against the seeded SQLite mirror: shapes, money as strings, freshness on every answer."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from infra.interfaces.errors import QboUnavailableError
from infra.interfaces.records import AccountRecord, BillRecord
from tests.runway.api.conftest import TODAY

MONEY = re.compile(r"^-?\d+\.\d{2}$")
MONEY_KEYS = {"cash", "open_ar", "open_ap", "paid_in_window", "received_in_window", "net_position", "net_burn_per_day",
              "total_amount", "balance", "amount", "total", "cash_cap", "remaining", "open_total", "overdue_total",
              "due_soon_total", "received", "paid", "to_pay_total", "to_collect_total", "current_balance"}
FLOAT_KEYS = {"age_hours"}


def check_money(value, key: str | None = None) -> None:
    """Money is a 2-decimal string everywhere; the only floats are ages in hours."""
    if isinstance(value, dict):
        for k, v in value.items():
            check_money(v, k)
    elif isinstance(value, list):
        for item in value:
            check_money(item, key)
    elif isinstance(value, float):
        assert key in FLOAT_KEYS, f"float at {key}: {value}"
    elif key in MONEY_KEYS:
        assert isinstance(value, str) and MONEY.match(value), f"{key}={value!r} is not money"


def check_freshness(freshness: dict, *, source: str = "mirror") -> None:
    assert set(freshness) >= {"last_synced_at", "stale", "age_hours", "source"}
    assert freshness["source"] == source


def test_console_ranks_every_client_of_the_firm_and_flags_the_stale_one(api):
    response = api.get("/v1/console")
    assert response.status_code == 200
    body = response.json()
    check_money(body)
    assert body["firm"] == {"id": api.portfolio.firm_id, "name": api.portfolio.firm_name}
    ids = [c["business"]["id"] for c in body["clients"]]
    assert sorted(ids) == sorted(api.portfolio.business_ids)  # the other firm's client is not there
    assert [c["rank"] for c in body["clients"]] == list(range(1, len(ids) + 1))
    assert body["clients"][0]["runway"]["status"] == "critical"
    days = [Decimal(c["runway"]["runway_days"]) for c in body["clients"] if c["runway"]["runway_days"] is not None]
    assert days == sorted(days)
    stale = [c for c in body["clients"] if c["freshness"]["stale"]]
    assert [c["business"]["id"] for c in stale] == [api.portfolio.stale_business_id]
    assert body["stale_clients"] == 1
    for client in body["clients"]:
        check_freshness(client["freshness"])


def test_the_other_firm_sees_only_its_own_client(api):
    body = api.get("/v1/console", headers=api.other_headers).json()
    assert [c["business"]["id"] for c in body["clients"]] == [api.portfolio.other_business_id]


def test_digest_is_from_the_mirror_with_its_freshness(api):
    bid = api.portfolio.business_id
    body = api.get(f"/v1/businesses/{bid}/digest").json()
    check_money(body)
    check_freshness(body["freshness"])
    assert body["business"]["id"] == bid and body["as_of"] == TODAY.isoformat()
    assert body["cash_source"] == "mirror" and body["cash_fallback_reason"] is None
    assert body["last_week"]["days"] == 7
    assert len(body["invoices_to_chase"]) <= 5


def test_a_stale_client_is_answered_and_flagged(api):
    body = api.get(f"/v1/businesses/{api.portfolio.stale_business_id}/digest").json()
    assert body["freshness"]["stale"] is True
    assert body["freshness"]["age_hours"] >= 72.0
    assert "(stale)" in body["freshness"]["description"]


def test_tray(api):
    body = api.get(f"/v1/businesses/{api.portfolio.business_id}/tray").json()
    check_money(body)
    check_freshness(body["freshness"])
    assert body["actions"], "the critical client has things to do"
    assert {a["kind"] for a in body["actions"]} <= {"pay_bill", "chase_invoice"}


@pytest.mark.parametrize("status", ["unpaid", "overdue"])
def test_bills_by_status(api, status):
    body = api.get(f"/v1/businesses/{api.portfolio.business_id}/bills", params={"status": status, "limit": 7}).json()
    check_money(body)
    check_freshness(body["freshness"])
    assert 0 < len(body["bills"]) <= 7
    assert all(Decimal(b["balance"]) > 0 for b in body["bills"])
    if status == "overdue":
        assert all(date.fromisoformat(b["due_date"]) < TODAY for b in body["bills"])


def _other_firm_with_known_bills(api):
    """The other firm's client (tests/runway/api/conftest.py: B1 400.00 due in 5 days, B2 250.00 overdue by 30) plus
    B3 700.00 due in 40 days, B4 paid (balance 0) due in 10 days and B5 75.00 due today."""
    b = api.portfolio.other_business_id
    api.container.writer.upsert_bills([
        BillRecord(b, "B3", "0", "V1", _day(-5), _day(40), Decimal("700.00"), Decimal("700.00"), doc_number="G-3"),
        BillRecord(b, "B4", "0", "V1", _day(-5), _day(10), Decimal("90.00"), Decimal("0.00"), doc_number="G-4"),
        BillRecord(b, "B5", "0", "V1", _day(-5), _day(0), Decimal("75.00"), Decimal("75.00"), doc_number="G-5"),
    ])
    return b


def _day(n: int) -> date:
    return TODAY + timedelta(days=n)


def _bills(body) -> list[tuple[str, str, str]]:
    return [(b["qbo_id"], b["balance"], b["due_date"]) for b in body["bills"]]


def test_bills_due_within_days(api):
    bid = _other_firm_with_known_bills(api)
    body = api.get(f"/v1/businesses/{bid}/bills/due", params={"days": 30}, headers=api.other_headers).json()
    check_money(body)
    check_freshness(body["freshness"])
    # Due from today through 30 days ahead, earliest first; not the overdue B2, the paid B4 nor B3 (day 40).
    assert _bills(body) == [("B5", "75.00", _day(0).isoformat()), ("B1", "400.00", _day(5).isoformat())]
    later = api.get(f"/v1/businesses/{bid}/bills/due", params={"days": 40}, headers=api.other_headers).json()
    assert [b["qbo_id"] for b in later["bills"]] == ["B5", "B1", "B3"]


@pytest.mark.parametrize(("cap", "due_within_days", "chosen", "total"), [
    # Smallest first (B5 75, B2 250, B1 400, B3 700), stopping at the first that would not fit.
    ("500", 60, ["B5", "B2"], "325.00"),
    ("1425", 60, ["B5", "B2", "B1", "B3"], "1425.00"),
    # Only bills due within 3 days (the overdue B2 included): B5, then B2 does not fit under 100.
    ("100", 3, ["B5"], "75.00"),
    ("74.99", None, [], "0.00"),
])
def test_payment_ready_bills_fit_the_cap(api, cap, due_within_days, chosen, total):
    bid = _other_firm_with_known_bills(api)
    params = {"cap": cap} | ({"due_within_days": due_within_days} if due_within_days is not None else {})
    body = api.get(f"/v1/businesses/{bid}/bills/payment-ready", params=params, headers=api.other_headers).json()
    check_money(body)
    check_freshness(body["freshness"])
    assert [b["qbo_id"] for b in body["bills"]] == chosen
    assert body["cash_cap"] == f"{Decimal(cap):.2f}" and body["total"] == total
    assert Decimal(body["remaining"]) == Decimal(cap) - Decimal(total)


def test_overdue_invoices_with_priorities(api):
    body = api.get(f"/v1/businesses/{api.portfolio.business_id}/invoices/overdue", params={"limit": 10}).json()
    check_money(body)
    check_freshness(body["freshness"])
    assert 0 < len(body["invoices"]) <= 10
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    ranks = [order[i["priority"]] for i in body["invoices"]]
    assert ranks == sorted(ranks)


def test_aging_has_every_bucket(api):
    body = api.get(f"/v1/businesses/{api.portfolio.business_id}/aging").json()
    check_money(body)
    assert [b["label"] for b in body["buckets"]] == ["current", "1-30", "31-60", "61-90", "90+"]
    assert Decimal(body["total"]) == sum(Decimal(b["total"]) for b in body["buckets"])


def test_payments_filtered_by_status_and_dates(api):
    bid = api.portfolio.business_id
    body = api.get(f"/v1/businesses/{bid}/payments",
                   params={"status": "completed", "start": "2026-10-01", "end": "2026-11-27", "limit": 20}).json()
    check_money(body)
    check_freshness(body["freshness"])
    assert 0 < len(body["payments"]) <= 20
    assert all(p["status"] == "completed" and "2026-10-01" <= p["txn_date"] <= "2026-11-27" for p in body["payments"])
    bad = api.get(f"/v1/businesses/{bid}/payments", params={"start": "2026-11-27", "end": "2026-10-01"})
    assert bad.status_code == 422 and bad.json()["field"] == "start"


def test_runway(api):
    body = api.get(f"/v1/businesses/{api.portfolio.business_id}/runway").json()
    check_money(body)
    check_freshness(body["freshness"])
    assert body["runway"]["status"] == "critical" and body["runway"]["window_days"] == 90


def test_cash_is_live_and_says_when_it_fell_back(api):
    bid = api.portfolio.business_id
    realm = api.container.portfolio.get_business(bid).qbo_realm_id
    api.gateway.accounts[realm] = [AccountRecord(bid, "35", "3", "Operating", "Bank", "Checking", Decimal("1234.5"))]
    live = api.get(f"/v1/businesses/{bid}/cash").json()
    check_money(live)
    assert live["source"] == "live" and live["fell_back"] is False and live["total"] == "1234.50"
    check_freshness(live["freshness"], source="live")

    api.gateway.fail_next(QboUnavailableError("down", status_code=503))
    other = api.portfolio.business_ids[1]  # not cached yet
    fallback = api.get(f"/v1/businesses/{other}/cash").json()
    assert fallback["fell_back"] is True and fallback["source"] == "mirror (QuickBooks unavailable)"
    assert fallback["fallback_reason"].startswith("QuickBooks unavailable")
    check_freshness(fallback["freshness"])


def test_cash_without_quickbooks_answers_the_mirror_and_says_so(make_api):
    api = make_api(gateway=None)
    body = api.get(f"/v1/businesses/{api.portfolio.business_id}/cash").json()
    assert body["fell_back"] is True and "not configured" in body["fallback_reason"]
    assert body["accounts"] and body["freshness"]["source"] == "mirror"


@pytest.mark.parametrize(("path", "params", "field"), [
    ("bills", {"status": "paid"}, "status"),
    ("bills", {"limit": 0}, "limit"),
    ("bills/due", {"days": -1}, "days"),
    ("bills/due", {"days": 100000}, "days"),
    ("bills/payment-ready", {}, "cap"),
    ("bills/payment-ready", {"cap": "12.345"}, "cap"),
    ("bills/payment-ready", {"cap": "1e9999"}, "cap"),
    ("invoices/overdue", {"limit": "many"}, "limit"),
    ("payments", {"status": "lost"}, "status"),
    ("payments", {"start": "2026-13-01"}, "start"),
])
def test_bad_query_parameters_answer_invalid_input_naming_the_field(api, path, params, field):
    response = api.get(f"/v1/businesses/{api.portfolio.business_id}/{path}", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_input" and body["field"] == field
    assert {"type", "title", "status", "detail"} <= set(body)
