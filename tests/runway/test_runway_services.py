"""Runway formula, digest, prep tray and advisor console on a hand-checked portfolio."""

from datetime import timedelta
from decimal import Decimal

import pytest

from domains.core.errors import NotFound
from runway.figures import RunwayStatus, compute_runway, status_for
from tests.fakes.world import small_world, wire_world


@pytest.fixture
def world():
    mirror, ids = small_world()
    return wire_world(mirror), ids


@pytest.mark.parametrize("days, status", [
    ("0", RunwayStatus.CRITICAL), ("6.9", RunwayStatus.CRITICAL), ("7", RunwayStatus.WARNING),
    ("29.9", RunwayStatus.WARNING), ("30", RunwayStatus.HEALTHY), ("89.9", RunwayStatus.HEALTHY),
    ("90", RunwayStatus.EXCELLENT), (None, RunwayStatus.EXCELLENT)])
def test_status_bands(days, status):
    assert status_for(None if days is None else Decimal(days)) is status


def test_runway_formula():
    figures = compute_runway(cash=Decimal("900"), open_ar=Decimal("300"), open_ap=Decimal("300"),
                             paid_in_window=Decimal("9000"), received_in_window=Decimal("0"), window_days=90)
    assert figures.net_burn_per_day == Decimal("100.0000")
    assert figures.runway_days == Decimal("9.0") and figures.runway_weeks == Decimal("1.3")
    assert figures.status is RunwayStatus.WARNING
    broke = compute_runway(cash=Decimal("0"), open_ar=Decimal("0"), open_ap=Decimal("50"),
                           paid_in_window=Decimal("90"), received_in_window=Decimal("0"))
    assert broke.runway_days == Decimal("0.0") and broke.status is RunwayStatus.CRITICAL
    earning = compute_runway(cash=Decimal("1"), open_ar=Decimal("0"), open_ap=Decimal("0"),
                             paid_in_window=Decimal("10"), received_in_window=Decimal("20"))
    assert earning.runway_days is None and earning.status is RunwayStatus.EXCELLENT


def test_runway_of_one_client_from_the_mirror(world):
    s, ids = world
    answer = s.runway.runway(ids["bakery"])
    f = answer.data
    assert (f.cash, f.open_ar, f.open_ap) == (Decimal("12500.50"), Decimal("10200.00"), Decimal("1350.00"))
    assert f.net_position == Decimal("21350.50")
    assert f.net_burn_per_day == Decimal("79.9989")
    assert f.runway_days == Decimal("266.9") and f.status is RunwayStatus.EXCELLENT
    assert not answer.freshness.stale


def test_weekly_digest(world):
    s, ids = world
    digest = s.runway.weekly_digest(ids["bakery"], live_cash=False)
    assert digest.business.name == "Bakery"
    assert [b.qbo_id for b in digest.bills_due_this_week] == ["3"]
    assert [i.invoice.qbo_id for i in digest.invoices_to_chase] == ["10", "11", "12", "13", "14"]
    assert (digest.last_week.paid, digest.last_week.received) == (Decimal("9000.00"), Decimal("0.10"))
    assert digest.ap.due_soon_total == Decimal("40.00")
    assert digest.cash_source == "mirror"
    with pytest.raises(NotFound):
        s.runway.weekly_digest(999_999)


def test_prep_tray_orders_actions_by_priority_then_amount(world):
    s, ids = world
    tray = s.tray.prep_tray(ids["bakery"])
    assert tray.cash_cap == Decimal("11100.50")
    assert [(a.kind.value, a.qbo_id, a.priority) for a in tray.actions] == [
        ("chase_invoice", "10", "critical"), ("chase_invoice", "11", "critical"),
        ("chase_invoice", "12", "high"), ("pay_bill", "2", "high"), ("chase_invoice", "13", "high"),
        ("pay_bill", "1", "high"), ("chase_invoice", "14", "medium"), ("chase_invoice", "15", "medium"),
        ("pay_bill", "3", "medium"), ("chase_invoice", "16", "low")]
    assert tray.to_pay_total == Decimal("390.00")


def test_console_ranks_a_firms_clients_by_runway_and_shows_staleness(world):
    s, ids = world
    rows = s.console.console(ids["firm_a"])
    assert [(r.rank, r.business.name) for r in rows] == [(1, "Bakery"), (2, "Studio")]
    assert rows[0].runway.runway_days == Decimal("266.9")
    assert rows[1].runway.runway_days is None and rows[1].freshness.stale
    assert rows[1].freshness.age == timedelta(hours=30)
    assert [r.business.name for r in s.console.console(ids["firm_b"])] == ["Elsewhere"]


def test_console_staleness_follows_the_configured_threshold():
    """RUNWAY_STALE_AFTER_HOURS (wired as stale_after) applies to the console as to every Pattern 1 answer."""
    mirror, ids = small_world()
    s = wire_world(mirror, stale_after=timedelta(hours=48))
    studio = next(r for r in s.console.console(ids["firm_a"]) if r.business.name == "Studio")
    assert studio.freshness.age == timedelta(hours=30) and not studio.freshness.stale


def test_digest_uses_the_live_cash_position_when_qbo_answers(world):
    from infra.interfaces.records import AccountRecord

    s, ids = world
    realm = s.mirror.businesses[ids["bakery"]].qbo_realm_id
    s.gateway.accounts[realm] = [AccountRecord(0, "A1", "9", "Checking", "Bank", current_balance=Decimal("999.99"))]
    digest = s.runway.weekly_digest(ids["bakery"], live_cash=True)
    assert digest.cash_source == "live" and digest.runway.cash == Decimal("999.99")
    assert digest.cash_fallback_reason is None
    assert s.runway.weekly_digest(ids["bakery"]).cash_source == "mirror"  # the mirror unless asked
    assert s.gateway.calls.count("bank_accounts") == 1


def test_digest_says_when_it_fell_back_to_mirrored_cash(world):
    from infra.interfaces.errors import QboUnavailableError

    s, ids = world
    s.gateway.fail_next(QboUnavailableError("HTTP 503"))
    digest = s.runway.weekly_digest(ids["bakery"], live_cash=True)
    assert digest.cash_source == "mirror (QuickBooks unavailable)"
    assert digest.cash_fallback_reason == "QuickBooks unavailable: HTTP 503"
    assert digest.runway.cash == Decimal("12500.50")
    assert digest.freshness.stale
