"""The seeded test and benchmark portfolios (tests/fixtures/portfolio_seed.py): deterministic, realistic, and spread
over the four runway bands."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from infra.db.engine import create_engine_for, create_session_factory, sqlite_url
from infra.db.repositories import SqlBankMirror, SqlPortfolioMirror
from infra.db.tables import accounts, bills, customers, invoices, metadata, vendors
from runway.bootstrap import DEMO_FIRM
from tests.fixtures.portfolio_seed import seed_benchmark_portfolio, seed_portfolio

TODAY = date(2026, 3, 31)
NOW = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
WINDOW = (TODAY - timedelta(days=89), TODAY)

pytestmark = pytest.mark.slow  # seeds whole portfolios, up to 100,000 documents


def runway_days(summary, *, cash_only: bool = False) -> Decimal | None:
    """The runway formula (runway.figures): net position (cash + open AR - open AP) over the
    90-day net burn per day; ``cash_only``: cash over the net burn."""
    burn = (summary.paid_last_window - summary.received_last_window) / 90
    if burn <= 0:
        return None
    position = summary.cash if cash_only else summary.cash + summary.open_ar - summary.open_ap
    return position / burn


def status(days: Decimal | None) -> str:
    if days is None or days >= 90:
        return "excellent"
    return "critical" if days < 7 else "warning" if days < 30 else "healthy"


def dump(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {table.name: conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                for table in metadata.sorted_tables}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, sqlite_template):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine_for(sqlite_url(path))
    summary = seed_portfolio(create_session_factory(engine), seed=7, today=TODAY, now=NOW)
    yield engine, summary
    engine.dispose()


def test_demo_portfolio_spans_the_runway_bands(demo):
    engine, seeded = demo
    assert seeded.firm.name == DEMO_FIRM
    rows = SqlPortfolioMirror(create_session_factory(engine)).business_summaries(seeded.firm.id, *WINDOW)
    assert len(rows) == 6
    statuses = {row.business.name: status(runway_days(row)) for row in rows}
    assert set(statuses.values()) == {"critical", "warning", "healthy", "excellent"}
    for business, row in zip(seeded.businesses, rows, strict=True):
        assert statuses[row.business.name] == business.target_status
        assert status(runway_days(row, cash_only=True)) == business.target_status  # both readings agree
        assert (row.cash, row.open_ar, row.open_ap) == (business.cash, business.open_ar, business.open_ap)
        assert (row.paid_last_window, row.received_last_window) == (business.paid_in_window,
                                                                   business.received_in_window)
        assert row.cash > 0


def test_one_client_is_three_days_stale(demo):
    engine, seeded = demo
    rows = SqlPortfolioMirror(create_session_factory(engine)).business_summaries(seeded.firm.id, *WINDOW)
    ages = sorted(NOW - row.last_success_at for row in rows)
    assert ages == [timedelta(0)] * 5 + [timedelta(days=3)]
    assert all(len(row.synced_entities) == 7 for row in rows)


def test_demo_portfolio_looks_like_real_books(demo):
    engine, seeded = demo
    assert seeded.total_rows > 10_000
    with engine.connect() as conn:
        for business in seeded.businesses:
            bid = business.business.id

            def count(table, *where, bid=bid):
                return conn.execute(select(func.count()).select_from(table)
                                    .where(table.c.business_id == bid, *where)).scalar_one()

            assert 20 <= count(vendors) <= 60
            assert 30 <= count(customers) <= 150
            assert 300 <= count(bills) <= 2000 and 300 <= count(invoices) <= 2000
            assert count(accounts, accounts.c.account_type == "Bank") == 2
            assert count(accounts, accounts.c.account_type == "Credit Card") == 1
            assert count(accounts, accounts.c.account_type == "Accounts Payable") == 1
            paid, partly, open_ = (count(bills, bills.c.balance == 0),
                                   count(bills, bills.c.balance > 0, bills.c.balance < bills.c.total_amount),
                                   count(bills, bills.c.balance == bills.c.total_amount))
            assert paid > 0 and partly > 0 and open_ > 0
            first_due, last_due = conn.execute(select(func.min(bills.c.due_date), func.max(bills.c.due_date))
                                               .where(bills.c.business_id == bid)).one()
            assert TODAY - timedelta(days=200) <= first_due <= TODAY - timedelta(days=100)
            assert TODAY + timedelta(days=30) <= last_due <= TODAY + timedelta(days=60)
            cents = conn.execute(select(bills.c.total_amount).where(bills.c.business_id == bid)).scalars().all()
            assert any(amount % 1 for amount in cents)  # amounts with cents
        bank = SqlBankMirror(create_session_factory(engine)).bank_accounts(seeded.businesses[0].business.id)
        assert sum(a.current_balance for a in bank) == seeded.businesses[0].cash


def test_same_seed_same_rows_other_seed_other_rows(demo, tmp_path, sqlite_template):
    engine, _ = demo
    again = tmp_path / "again.db"
    shutil.copyfile(sqlite_template, again)
    engine2 = create_engine_for(sqlite_url(again))
    seed_portfolio(create_session_factory(engine2), seed=7, today=TODAY, now=NOW)
    assert dump(engine2) == dump(engine)
    engine2.dispose()

    other = tmp_path / "other.db"
    shutil.copyfile(sqlite_template, other)
    engine3 = create_engine_for(sqlite_url(other))
    seed_portfolio(create_session_factory(engine3), seed=8, today=TODAY, now=NOW, scale="small")
    assert dump(engine3)["bills"] != dump(engine)["bills"]
    engine3.dispose()


def test_small_scale_on_both_databases(db):
    seeded = seed_portfolio(db.session_factory, seed=3, today=TODAY, now=NOW, scale="small")
    rows = SqlPortfolioMirror(db.session_factory).business_summaries(seeded.firm.id, *WINDOW)
    assert {status(runway_days(row)) for row in rows} == {"critical", "warning", "healthy", "excellent"}
    assert [b.target_status for b in seeded.businesses] == [status(runway_days(r)) for r in rows]
    with pytest.raises(ValueError):
        seed_portfolio(db.session_factory, today=TODAY, now=NOW, scale="huge")
    with pytest.raises(ValueError):
        seed_portfolio(db.session_factory, today=TODAY, now=NOW.replace(tzinfo=None))


def test_benchmark_portfolio_shape(sqlite_db):
    seeded = seed_benchmark_portfolio(sqlite_db.session_factory, businesses=5, largest_bills=3_000,
                                      largest_invoices=2_500, seed=1, today=TODAY, now=NOW)
    assert len(seeded.businesses) == 5
    largest, *others = seeded.businesses
    assert (largest.bills, largest.invoices) == (3_000, 2_500)
    assert all(150 <= b.bills <= 1000 and 150 <= b.invoices <= 1000 for b in others)
    rows = SqlPortfolioMirror(sqlite_db.session_factory).business_summaries(seeded.firm.id, *WINDOW)
    assert [status(runway_days(r)) for r in rows] == [b.target_status for b in seeded.businesses]
