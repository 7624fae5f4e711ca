"""The generator's company profiles: seeded companies differ in cash, burn and overdue receivables, so a
portfolio of the default companies has something to triage. (A sandbox feature, not an Intuit behaviour.)

The runway figure is Runway's own formula (``runway.figures``) applied to what the sandbox
serves, so these tests fail if the generator and the product's bands drift apart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from qbo_sandbox import SandboxConfig, SandboxState, seed_company
from qbo_sandbox.seed import COMPANY_PROFILES, DEFAULT_PROFILE_ORDER
from runway.cli import app
from runway.figures import BURN_WINDOW_DAYS, RunwayFigures, compute_runway

AS_OF = datetime(2026, 11, 20, tzinfo=UTC)


def _runway(realm) -> tuple[RunwayFigures, Decimal]:
    """(Runway's figures for the realm as of its today, its overdue receivables)."""
    today = AS_OF.astimezone(realm.tz).date()
    start = today - timedelta(days=BURN_WINDOW_DAYS - 1)

    def in_window(entity: str) -> Decimal:
        return sum((row["TotalAmt"] for row in realm.rows(entity)
                    if start <= datetime.fromisoformat(row["TxnDate"]).date() <= today), Decimal(0))

    cash = sum((a["CurrentBalance"] for a in realm.rows("Account") if a["AccountType"] == "Bank" and a["Active"]),
               Decimal(0))
    open_ar = sum((i["Balance"] for i in realm.rows("Invoice") if i["Balance"] > 0), Decimal(0))
    open_ap = sum((b["Balance"] for b in realm.rows("Bill") if b["Balance"] > 0), Decimal(0))
    overdue = sum((i["Balance"] for i in realm.rows("Invoice")
                   if i["Balance"] > 0 and datetime.fromisoformat(i["DueDate"]).date() < today), Decimal(0))
    figures = compute_runway(cash=cash, open_ar=open_ar, open_ap=open_ap, paid_in_window=in_window("BillPayment"),
                             received_in_window=in_window("Payment"))
    return figures, overdue


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_any_four_default_companies_cover_every_runway_band(seed) -> None:
    state = SandboxState(SandboxConfig(realms=4, seed=seed, size=2500, as_of=AS_OF))
    figures = [_runway(state.realm(realm_id)) for realm_id in state.realm_ids]
    state.close()

    assert [f.status.value for f, _ in figures] == ["excellent", "critical", "warning", "healthy"]
    thriving, strapped, stretched, steady = figures
    # Distinct profiles: the cash-strapped company burns fastest and has the most receivables overdue.
    assert strapped[0].net_burn_per_day > max(stretched[0].net_burn_per_day, thriving[0].net_burn_per_day)
    assert strapped[1] > thriving[1]


def test_profiles_can_be_chosen_per_realm_and_unknown_ones_are_refused() -> None:
    state = SandboxState(SandboxConfig(realms=["1", "2"], seed=5, size=1500, as_of=AS_OF,
                                       company_profiles={"1": "steady", "2": "cash-strapped"}))
    statuses = [_runway(state.realm(realm_id))[0].status.value for realm_id in ("1", "2")]
    profiles = [state.realm(realm_id).profile for realm_id in ("1", "2")]
    state.close()

    assert statuses == ["healthy", "critical"] and profiles == ["steady", "cash-strapped"]
    assert set(DEFAULT_PROFILE_ORDER) == set(COMPANY_PROFILES)
    with pytest.raises(ValueError, match="unknown company profile 'doomed'"):
        SandboxState(SandboxConfig(realms=1, company_profiles=["doomed"]))


def test_the_default_profile_is_the_thriving_company_seed_company_always_made() -> None:
    """``seed_company`` without a profile generates what it always did (other tests' seeded data stays put)."""
    default = seed_company("4620816365000000001", 7, 1200, as_of=AS_OF)
    thriving = seed_company("4620816365000000001", 7, 1200, as_of=AS_OF, profile="thriving")
    strapped = seed_company("4620816365000000001", 7, 1200, as_of=AS_OF, profile="cash-strapped")

    assert default.all_entities("Bill") == thriving.all_entities("Bill")
    assert default.all_entities("Bill") != strapped.all_entities("Bill")
    # The profile changes amounts and outcomes, not the company: same vendors, as many bills and invoices.
    def names(store) -> list[str]:
        return [vendor["DisplayName"] for vendor in store.all_entities("Vendor")]

    assert names(default) == names(strapped)
    assert [default.counts()[e] for e in ("Bill", "Invoice")] == [strapped.counts()[e] for e in ("Bill", "Invoice")]


def test_the_demo_console_shows_all_four_bands(tmp_path) -> None:
    """``runway demo`` with its defaults: six companies synced from the sandbox, every band in the console."""
    result = CliRunner().invoke(app, ["demo", "--db", str(tmp_path / "demo.db")])

    assert result.exit_code == 0, result.output
    console = result.output.split("Advisor console:")[1].split("Weekly digest:")[0]
    statuses = re.findall(r"│\s*(critical|warning|healthy|excellent)\s*│", console)
    assert len(statuses) == 6 and set(statuses) == {"critical", "warning", "healthy", "excellent"}
