"""The checker on the real tree: fast, every call resolved, and the committed pattern map up to date."""

from __future__ import annotations

import time
from pathlib import Path

from archguard.dataflow import check
from archguard.dataflow.cli import check_file, load_config
from archguard.dataflow.report import REGENERATE_COMMAND, render
from tests.dataflow.support import REPO_ROOT

PATTERN_MAP = REPO_ROOT / "docs" / "architecture" / "PATTERN_MAP.md"


def _report():
    return check(load_config(None, REPO_ROOT))


def test_real_tree_is_checked_well_under_a_second() -> None:
    started = time.perf_counter()
    report = _report()
    elapsed = time.perf_counter() - started

    assert report.operations, "no domain operation found: is the configuration right?"
    assert elapsed < 1.5, f"the data-flow check took {elapsed:.2f} s"


def test_every_call_in_the_real_operations_resolves() -> None:
    """The real services are annotated, so strict mode costs nothing: no call the checker cannot follow."""
    report = _report()

    unresolved = [f.text for f in report.findings if f.rule == "unresolved-call"]
    assert unresolved == []


def test_pattern_map_is_up_to_date() -> None:
    message = check_file(PATTERN_MAP, render(_report(), "markdown"))

    assert message is None, message


def test_pattern_map_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "PATTERN_MAP.md"
    stale.write_text("# Data-flow pattern map\n\n(old)\n")

    message = check_file(stale, render(_report(), "markdown"))

    assert message is not None
    assert f"Regenerate it with:\n\n    {REGENERATE_COMMAND}" in message
    assert "-(old)" in message
