"""The baseline: record known findings, fail only on new ones and on entries that no longer match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archguard.dataflow.cli import main
from tests.dataflow.support import OP, planted_tree


def _audit(tree: Path, baseline: Path, *extra: str) -> int:
    return main(["audit", "--root", str(tree), "--baseline", str(baseline), *extra])


def test_update_baseline_records_each_finding_by_fingerprint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("lazy-import", tmp_path / "tree")
    baseline = tmp_path / "dataflow-baseline.json"

    assert _audit(tree, baseline, "--update-baseline") == 0

    document = json.loads(baseline.read_text())
    assert document["version"] == 1
    assert [(e["rule"], e["subject"], e["target"]) for e in document["findings"]] == [
        ("local-reaches-live", f"{OP}.aging_report", "httpx"),
        ("local-reaches-live", f"{OP}.ar_summary", "infra.qbo.client.get"),
        ("local-reaches-live", f"{OP}.open_count", "infra.qbo.client"),
    ]
    assert all(e["text"].startswith(e["subject"]) and len(e["fingerprint"]) == 20 for e in document["findings"])
    assert "Wrote 3 finding(s) to the baseline" in capsys.readouterr().err


def test_known_findings_pass_and_a_new_one_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("private-helper", tmp_path / "tree")
    baseline = tmp_path / "baseline.json"
    _audit(tree, baseline, "--update-baseline")

    assert _audit(tree, baseline) == 0
    assert "1 known finding(s), 0 new (0 failing), 0 stale." in capsys.readouterr().err

    module = tree / "domains/ar/services/collections.py"
    module.write_text(module.read_text().replace(
        "        return rows\n", "        import requests\n\n        return rows\n"))
    assert _audit(tree, baseline) == 1

    err = capsys.readouterr().err
    assert (f"NEW finding, not in the baseline {baseline}: {OP}.aging_report [local_read] reaches HTTP/SDK "
            "module requests: CollectionsService.aging_report (domains/ar/services/collections.py:18) -> "
            "import requests") in err
    assert "1 known finding(s), 1 new (1 failing), 0 stale." in err


def test_moving_code_keeps_the_baseline_valid(tmp_path: Path) -> None:
    tree = planted_tree("private-helper", tmp_path / "tree")
    baseline = tmp_path / "baseline.json"
    _audit(tree, baseline, "--update-baseline")
    module = tree / "domains/ar/services/collections.py"
    module.write_text(module.read_text().replace("class CollectionsService:", "\n\n# moved\nclass CollectionsService:"))

    assert _audit(tree, baseline) == 0


def test_a_fixed_finding_leaves_a_stale_entry_that_fails(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("private-helper", tmp_path / "tree")
    baseline = tmp_path / "baseline.json"
    _audit(tree, baseline, "--update-baseline")
    module = tree / "domains/ar/services/collections.py"
    module.write_text(module.read_text().replace("        self._remind(business_id)\n", ""))

    assert _audit(tree, baseline) == 1

    err = capsys.readouterr().err
    assert (f"STALE baseline entry in {baseline}, no finding matches it any more (fixed? run again with "
            f"--update-baseline to remove it): {OP}.aging_report [local_read] reaches live port QboGateway: ") in err
    assert "0 known finding(s), 0 new (0 failing), 1 stale." in err
    assert _audit(tree, baseline, "--update-baseline") == 0
    assert json.loads(baseline.read_text())["findings"] == []
    assert _audit(tree, baseline) == 0


def test_a_new_unresolved_call_is_reported_but_fails_only_in_strict_mode(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("base", tmp_path / "tree")
    baseline = tmp_path / "baseline.json"
    _audit(tree, baseline, "--update-baseline")
    module = tree / "domains/ar/services/collections.py"
    module.write_text(module.read_text().replace(
        "    def _with_freshness(self, business_id: int, rows: list[int])",
        "    def _with_freshness(self, business_id: int, rows)").replace(
        "        return rows, self._freshness", "        rows.sort()\n        return rows, self._freshness"))

    assert _audit(tree, baseline) == 0
    assert "NEW (not failing: unresolved, strict mode off) finding" in capsys.readouterr().err
    assert _audit(tree, baseline, "--strict") == 1


def test_missing_baseline_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("base", tmp_path / "tree")

    assert _audit(tree, tmp_path / "nope.json") == 2
    assert "does not exist; create it with --update-baseline" in capsys.readouterr().err
