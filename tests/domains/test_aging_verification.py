"""The aging cross-check (Pattern 2): the mirror's AP and AR aging against QBO's own aging reports, here over
the fake gateway, which ages its own copy of the documents as QBO's reports do."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

import pytest

from domains.core.aging import AGING_BUCKETS, AGING_PERIOD_DAYS, AGING_PERIODS, bucket_name
from domains.core.errors import LiveDataUnavailable, NotFound
from domains.verification.services.aging import AgingVerificationService
from infra.interfaces.errors import QboReconnectRequired, QboUnavailableError
from infra.interfaces.patterns import Pattern, pattern_of
from infra.interfaces.records import AgingLedger
from tests.fakes.mirror import InMemoryMirror
from tests.fakes.world import NOW, TODAY, bill, invoice, wire_world

BUCKETS = ["Current", "1-30", "31-60", "61-90", "91 and over"]


@pytest.fixture
def world():
    """One business whose bills and invoices fall in every bucket, held alike by the mirror and by QBO."""
    mirror = InMemoryMirror()
    firm = mirror.add_firm("Harbor")
    business = mirror.add_business(firm.id, "Bakery")
    b = business.id
    bills = [bill(b, "1", "100.00", 3), bill(b, "2", "250.00", -1), bill(b, "3", "40.00", -30),
             bill(b, "4", "900.00", -31), bill(b, "5", "75.00", -90), bill(b, "6", "60.00", -91),
             bill(b, "7", "0.00", -200, total="80.00")]
    invoices = [invoice(b, "10", "6000.00", 0), invoice(b, "11", "100.00", -60), invoice(b, "12", "2500.00", -61),
                invoice(b, "13", "100.00", -400)]
    for record in [*bills, *invoices]:
        mirror.add(record)
    mirror.mark_synced(b, NOW - timedelta(hours=1))
    services = wire_world(mirror)
    realm = business.qbo_realm_id
    for record in bills:
        services.gateway.bills[(realm, record.qbo_id)] = record
    for record in invoices:
        services.gateway.invoices[(realm, record.qbo_id)] = record
    return services, b


def test_the_buckets_are_qbos_default_aging():
    """QBO's AgedPayables/AgedReceivables default: Current, then 4 periods of 30 days, the last open-ended."""
    assert [bucket_name(lo, hi) for _, lo, hi in AGING_BUCKETS] == BUCKETS
    assert (AGING_PERIOD_DAYS, AGING_PERIODS) == (30, 4)
    assert [(lo, hi) for _, lo, hi in AGING_BUCKETS][1:] == [
        ((i - 1) * AGING_PERIOD_DAYS + 1, None if i == AGING_PERIODS else i * AGING_PERIOD_DAYS)
        for i in range(1, AGING_PERIODS + 1)]


def test_verify_aging_is_a_live_operation():
    assert pattern_of(AgingVerificationService.verify_aging) is Pattern.LIVE


def test_a_mirror_that_matches_qbo_has_no_differences(world):
    s, b = world
    result = s.verification.verify_aging(b)

    assert result.ok and result.differences == [] and result.problems == ()
    assert result.as_of == TODAY
    assert [(c.ledger, c.bucket) for c in result.buckets] == (
        [(AgingLedger.PAYABLES, name) for name in BUCKETS] + [(AgingLedger.RECEIVABLES, name) for name in BUCKETS])
    ap = {c.bucket: c.qbo for c in result.buckets if c.ledger is AgingLedger.PAYABLES}
    assert ap == {"Current": Decimal("100.00"), "1-30": Decimal("290.00"), "31-60": Decimal("900.00"),
                  "61-90": Decimal("75.00"), "91 and over": Decimal("60.00")}
    ar = {c.bucket: c.mirror for c in result.buckets if c.ledger is AgingLedger.RECEIVABLES}
    assert ar == {"Current": Decimal("6000.00"), "1-30": Decimal("0"), "31-60": Decimal("100.00"),
                  "61-90": Decimal("2500.00"), "91 and over": Decimal("100.00")}
    assert result.freshness.age == timedelta(hours=1)
    assert s.gateway.calls == ["aging_report", "aging_report"]


def test_a_balance_changed_in_the_mirror_names_its_bucket(world):
    s, b = world
    s.mirror.bills[3] = dataclasses.replace(s.mirror.bills[3], balance=Decimal("899.99"))  # bill 4, 31 days late

    result = s.verification.verify_aging(b)

    assert not result.ok
    assert [(c.ledger, c.bucket, c.difference) for c in result.differences] == [
        (AgingLedger.PAYABLES, "31-60", Decimal("-0.01"))]
    assert result.describe_differences() == ["AP 31-60: mirror 899.99, QBO 900.00 (mirror -0.01)"]


def test_a_document_missing_from_the_mirror_and_a_due_date_moved_name_every_bucket(world):
    s, b = world
    s.mirror.invoices = [i for i in s.mirror.invoices if i.qbo_id != "13"]  # 400 days late: 91 and over
    s.mirror.bills[0] = dataclasses.replace(s.mirror.bills[0], due_date=TODAY - timedelta(days=45))  # was current

    result = s.verification.verify_aging(b)

    assert [(c.ledger.value, c.bucket, c.mirror, c.qbo) for c in result.differences] == [
        ("payables", "Current", Decimal("0"), Decimal("100.00")),
        ("payables", "31-60", Decimal("1000.00"), Decimal("900.00")),
        ("receivables", "91 and over", Decimal("0"), Decimal("100.00")),
    ]


def test_qbo_aging_to_another_day_is_a_problem_of_the_check_itself(world):
    s, b = world
    s.gateway.report_date_shift = timedelta(days=-1)

    result = s.verification.verify_aging(b)

    assert not result.ok
    assert result.problems[0] == (f"AP: QBO aged its AgedPayables report to {TODAY - timedelta(days=1)}, "
                                  f"not {TODAY}")


def test_buckets_that_do_not_line_up_with_qbos_are_named_on_both_sides(world):
    s, b = world
    s.gateway.report_period_days = 15  # QBO aged in 15-day periods: Current, 1-15, 16-30, 31-45, 46 and over

    result = s.verification.verify_aging(b)

    ap = [c for c in result.differences if c.ledger is AgingLedger.PAYABLES]
    assert [(c.bucket, c.mirror is None, c.qbo is None) for c in ap] == [
        ("1-30", False, True), ("31-60", False, True), ("61-90", False, True), ("91 and over", False, True),
        ("1-15", True, False), ("16-30", True, False), ("31-45", True, False), ("46 and over", True, False)]
    assert "AP 1-15: QBO 250.00 in a bucket the mirror does not age" in result.describe_differences()
    assert "AP 1-30: mirror 290.00, and QBO's report has no such bucket" in result.describe_differences()
    assert [c.bucket for c in result.buckets if c.matches] == ["Current", "Current"]


def test_an_explicit_as_of_date_ages_both_sides_to_it(world):
    s, b = world
    day = TODAY + timedelta(days=10)

    result = s.verification.verify_aging(b, as_of=day)

    assert result.ok and result.as_of == day
    ap = {c.bucket: c.mirror for c in result.buckets if c.ledger is AgingLedger.PAYABLES}
    assert ap["Current"] == Decimal("0") and ap["1-30"] == Decimal("350.00")  # bill 1 now 7 days late


@pytest.mark.parametrize("error, message", [
    (QboUnavailableError("HTTP 503"), "QuickBooks' aging report could not be read: HTTP 503"),
    (QboReconnectRequired("invalid_grant"), "QuickBooks must be reconnected for this company"),
])
def test_qbo_unreachable_is_live_data_unavailable(world, error, message):
    s, b = world
    s.gateway.fail_next(error)
    with pytest.raises(LiveDataUnavailable, match=message):
        s.verification.verify_aging(b)


def test_an_unknown_business_is_not_found(world):
    s, _ = world
    with pytest.raises(NotFound):
        s.verification.verify_aging(424242)
    assert s.gateway.calls == []
