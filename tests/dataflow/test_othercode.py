"""The checker on another codebase: other package names (app.domain, app.adapters, app.jobs), no
markers in the code at all, expectations and known classes given in a TOML file."""

from __future__ import annotations

from pathlib import Path

from archguard.dataflow import check, load_toml
from archguard.dataflow.cli import main
from tests.dataflow.support import PLANTED

ROOT = PLANTED / "othercode"
CONFIG = ROOT / "dataflow.toml"
REPORTS = "app.domain.services.reports.ReportService"
BILLING = "app.domain.services.billing.BillingService"
REFRESHED_CHAIN = ("ReportService.refreshed_summary (app/domain/services/reports.py:18) -> "
                   "SyncService.pull (app/domain/sync.py:12)")


def test_without_expectations_the_report_shows_what_each_operation_reaches() -> None:
    config = load_toml(CONFIG, root=ROOT).with_(expected={})

    report = check(config)

    assert {op.name: (op.declared, op.observed) for op in report.operations} == {
        f"{BILLING}.charge": (None, "live"),
        f"{BILLING}.close_month": (None, "local + sync"),
        f"{REPORTS}.describe": (None, "nothing"),
        f"{REPORTS}.refreshed_summary": (None, "local + live + sync"),
        f"{REPORTS}.summary": (None, "local"),
    }
    # With nothing declared, only the rules that need no declaration apply: no domain operation syncs,
    # and no sync code lives in the domain layer.
    assert {f.rule for f in report.findings} == {"domain-reaches-sync", "sync-or-live-code-in-domain"}


def test_expected_patterns_from_the_configuration_are_checked() -> None:
    report = check(load_toml(CONFIG, root=ROOT))

    assert report.texts() == [
        f"{BILLING}.close_month [undeclared] reaches sync job app.jobs.nightly.refresh_all: "
        "BillingService.close_month (app/domain/services/billing.py:19) -> refresh_all (app/jobs/nightly.py:6)",
        # SyncService is named in the configuration as live and as a sync: both rules catch it.
        f"{REPORTS}.refreshed_summary [local_read] reaches sync job SyncService: " + REFRESHED_CHAIN,
        f"{REPORTS}.refreshed_summary [local_read] reaches live class SyncService: " + REFRESHED_CHAIN,
        # ... and the class itself is one finding, wherever it lives in the domain packages.
        "app.domain.sync.SyncService [class] is live and sync code in the domain layer (sync_classes, "
        "live_classes); move it to app.jobs: SyncService (app/domain/sync.py:8)",
    ]
    assert report.operation(f"{REPORTS}.summary").verdict == "ok"
    assert report.operation(f"{BILLING}.charge").declared_by == "config"
    assert report.operation(f"{BILLING}.charge").verdict == "ok"


def test_requiring_declarations_flags_the_operations_the_configuration_does_not_name() -> None:
    report = check(load_toml(CONFIG, root=ROOT).with_(require_declarations=True))

    undeclared = sorted(f.subject for f in report.findings if f.rule == "undeclared-operation")
    assert undeclared == [f"{BILLING}.close_month", f"{REPORTS}.describe"]


def test_audit_runs_on_the_other_codebase(tmp_path: Path) -> None:
    output = tmp_path / "map.md"

    status = main(["audit", "--root", str(ROOT), "--config", str(CONFIG), "--no-cache", "--format", "markdown",
                   "--output", str(output)])

    assert status == 1
    assert f"| `{REPORTS}.summary` | local_read | local | local port ReportStore | ok |" in output.read_text()
