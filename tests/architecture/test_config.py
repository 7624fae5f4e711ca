""".importlinter itself: stable ids, reasons for every ignore, stale ignores fail the run."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract
from importlinter.contracts.layers import LayersContract
from importlinter.contracts.private_modules import PrivateModulesContract
from importlinter.contracts.protected import ProtectedContract

from archguard.config_check import ignore_entries, uncommented_ignores
from archguard.contracts import ForbiddenSourceImportsContract, IndependentChildrenContract
from archguard.dataflow.contract import DataFlowContract
from tests.architecture.support import CONFIG, PLANTED, copy_without_violations, run_lint_imports

CONTRACT_IDS = {
    "layers",
    "domains-no-http",
    "domains-no-http-source",
    "domains-infra-interfaces-only",
    "infra-interfaces-leaf",
    "runway-infra-only-in-bootstrap",
    "infra-no-upward-imports",
    "domains-independent",
    "acyclic-siblings",
    "data-flow",
}
CONTRACT_TYPES = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
    "independence": IndependenceContract,
    "protected": ProtectedContract,
    "private_modules": PrivateModulesContract,
    "acyclic_siblings": AcyclicSiblingsContract,
    "forbidden_source_imports": ForbiddenSourceImportsContract,
    "independent_children": IndependentChildrenContract,
    "data_flow": DataFlowContract,
}


def _contracts() -> dict[str, configparser.SectionProxy]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    prefix = "importlinter:contract:"
    return {name[len(prefix):]: parser[name] for name in parser.sections() if name.startswith(prefix)}


def test_contract_ids_are_the_ones_tests_and_docs_refer_to() -> None:
    assert set(_contracts()) == CONTRACT_IDS


def test_every_contract_that_takes_ignore_imports_errors_on_unmatched_ones() -> None:
    """import-linter 2.17 reads unmatched_ignore_imports_alerting per contract only (an [importlinter]
    setting is ignored), so each contract states it."""
    missing = [
        contract_id
        for contract_id, options in _contracts().items()
        if hasattr(CONTRACT_TYPES[options["type"]], "unmatched_ignore_imports_alerting")
        and options.get("unmatched_ignore_imports_alerting") != "error"
    ]
    assert missing == []


def test_every_ignore_in_the_real_config_has_its_reason_on_the_line_above() -> None:
    offenders = uncommented_ignores(CONFIG.read_text())
    assert offenders == [], "ignore_imports entries without a reason comment above them:\n" + "\n".join(
        entry.describe() for entry in offenders
    )


def test_ignore_comment_check_finds_entries_without_a_reason() -> None:
    text = """
[importlinter:contract:one]
ignore_imports =
    # The legacy report is removed with ticket 123.
    domains.ap.services.bill -> infra.db.session
    domains.ar -> infra.db
    #
    domains.bank -> infra.db

[importlinter:contract:two]
# Inline form, still needs a reason above it.
ignore_imports = runway.cli -> infra.db
"""
    entries = ignore_entries(text)

    assert [(e.section, e.entry) for e in entries] == [
        ("importlinter:contract:one", "domains.ap.services.bill -> infra.db.session"),
        ("importlinter:contract:one", "domains.ar -> infra.db"),
        ("importlinter:contract:one", "domains.bank -> infra.db"),
        ("importlinter:contract:two", "runway.cli -> infra.db"),
    ]
    assert [e.entry for e in uncommented_ignores(text)] == ["domains.ar -> infra.db", "domains.bank -> infra.db"]
    assert entries[0].reason == "The legacy report is removed with ticket 123."


def _with_ignore(config_text: str, contract_id: str, entry: str) -> str:
    """The config with an ignore_imports entry (and its reason) added to one contract."""
    header = f"[importlinter:contract:{contract_id}]\n"
    assert header in config_text
    return config_text.replace(header, f"{header}ignore_imports =\n    # Planted by a test.\n    {entry}\n", 1)


@pytest.mark.parametrize(
    ("entry", "kept"),
    [
        # Matches the planted violation: the ignore works and the contract is kept.
        ("domains.ap.services.bill -> runway.services.forecast", True),
        # Stale: no such import in the tree. unmatched_ignore_imports_alerting = error fails the run.
        ("domains.ap.services.bill -> runway.cli", False),
    ],
    ids=["matching", "stale"],
)
def test_ignore_imports_in_the_real_config_fails_when_stale(entry: str, kept: bool, tmp_path: Path) -> None:
    config = tmp_path / ".importlinter"
    config.write_text(_with_ignore(CONFIG.read_text(), "layers", entry))

    run = run_lint_imports(PLANTED / "layers", "layers", config=config)

    if kept:
        assert run.returncode == 0, run.report
        assert "(1 ignored import)" in run.output, run.report
    else:
        assert run.returncode == 1, run.report
        assert f"No matches for ignored import {entry}." in run.output, run.report


def test_stale_ignore_fails_even_when_the_tree_is_clean(tmp_path: Path) -> None:
    clean = copy_without_violations(PLANTED / "infra-no-upward-imports", tmp_path / "tree")
    config = tmp_path / ".importlinter"
    entry = "infra.db.session -> domains.core.money"
    config.write_text(_with_ignore(CONFIG.read_text(), "infra-no-upward-imports", entry))

    run = run_lint_imports(clean, "infra-no-upward-imports", config=config)

    assert run.returncode == 1, run.report
    assert f"No matches for ignored import {entry}." in run.output, run.report
