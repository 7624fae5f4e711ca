"""Item 8: on each codebase of the corpus the checker reports exactly the expected findings: every planted
violation (each marked line named by a finding), the calls it cannot follow, and nothing else."""

from __future__ import annotations

import pytest

from archguard.dataflow.cli import main
from tests.architecture.support import run_lint_imports
from tests.corpus.corpus import CODEBASES, TABLE, audit, codebases, expected, planted_lines, render_table

NAMES = [codebase.name for codebase in codebases()]


def test_the_corpus_has_the_four_shapes() -> None:
    assert NAMES == ["fastapi_depends", "message_bus", "sqla_services", "src_layout"]


@pytest.mark.parametrize("name", NAMES)
def test_every_expected_finding_and_no_other(name: str) -> None:
    report = audit(name)

    assert report.texts() == [f.text for f in expected(name)]


@pytest.mark.parametrize("name", NAMES)
def test_every_planted_line_is_named_by_a_planted_finding(name: str) -> None:
    report = audit(name)
    planted_texts = {f.text for f in expected(name) if f.kind == "planted"}
    named = {(hop.path, hop.line) for finding in report.findings if finding.text in planted_texts
             for hop in finding.chain}

    assert planted_lines(name) <= named
    assert all(f.rule != "unresolved-call" for f in report.findings if f.text in planted_texts)
    assert all(f.rule == "unresolved-call" for f in report.findings
               if f.text in {e.text for e in expected(name) if e.kind == "unresolved"})


@pytest.mark.parametrize("name", NAMES)
def test_the_audit_command_finds_the_configuration_and_fails_on_the_planted_violations(
        name: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["audit", "--root", str(CODEBASES / name)]) == 1

    out = capsys.readouterr().out
    for finding in expected(name):
        assert finding.text in out


def test_lint_imports_and_the_audit_name_the_same_paths_in_a_src_layout() -> None:
    """The data_flow contract run by lint-imports (the package found on PYTHONPATH=src) shows the chain
    with the paths `archguard audit` shows: relative to the repository root, src/ included."""
    root = CODEBASES / "src_layout"

    run = run_lint_imports(root, "data-flow", config=root / ".importlinter", extra_path=(root / "src",))

    assert run.returncode == 1, run.report
    for finding in audit("src_layout").findings:
        for hop in finding.chain:
            assert str(hop) in run.output, run.report
    assert "(src/ledger/domain/services/accounts.py:37)" in run.output


def test_the_corpus_table_is_up_to_date() -> None:
    assert TABLE.read_text(encoding="utf-8") == render_table(), (
        "docs/architecture/CORPUS.md is out of date: uv run python -m tests.corpus.corpus --write")
