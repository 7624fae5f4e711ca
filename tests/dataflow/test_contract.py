"""The data_flow import-linter contract type, run by lint-imports like the other contracts.

The section is the one in the real .importlinter (commented out there until the real code is declared;
see support.data_flow_section), run on planted trees as tests/architecture runs the other contracts.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.domain.contract import InvalidContractOptions

from archguard.dataflow.cli import main
from archguard.dataflow.contract import DataFlowContract
from tests.architecture.support import run_lint_imports
from tests.dataflow.support import COLLECTIONS, OP, data_flow_section, planted_tree, session_section


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "importlinter.ini"
    config.write_text(session_section() + "\n" + data_flow_section() + extra)
    return config


def test_contract_fails_the_run_with_the_chain(tmp_path: Path) -> None:
    tree = planted_tree("private-helper", tmp_path / "tree")

    run = run_lint_imports(tree, "data-flow", config=_config(tmp_path))

    assert run.returncode == 1, run.report
    assert "Contracts: 0 kept, 1 broken." in run.output, run.report
    for line in (
        f"-   local-reaches-live: {OP}.aging_report [local_read] reaches live port QboGateway",
        f"         CollectionsService.aging_report ({COLLECTIONS}:17)",
        f"      -> CollectionsService._remind ({COLLECTIONS}:21)",
        f"      -> CollectionsService._send ({COLLECTIONS}:24)",
        "      -> QboGateway.send_invoice (infra/interfaces/ports.py:24)",
        "A local_read or local_write answers from the mirror (local ports) only;",
    ):
        assert line in run.output, run.report


def test_contract_is_kept_on_a_clean_tree_and_with_a_matching_baseline(tmp_path: Path) -> None:
    clean = planted_tree("base", tmp_path / "clean")
    assert run_lint_imports(clean, "data-flow", config=_config(tmp_path)).returncode == 0

    tree = planted_tree("private-helper", tmp_path / "tree")
    baseline = tmp_path / "baseline.json"
    main(["audit", "--root", str(tree), "--baseline", str(baseline), "--update-baseline"])
    run = run_lint_imports(tree, "data-flow", config=_config(tmp_path, f"baseline = {baseline}\n"))

    assert run.returncode == 0, run.report
    assert "Contracts: 1 kept, 0 broken." in run.output, run.report


def test_contract_options_are_validated() -> None:
    with pytest.raises(InvalidContractOptions) as raised:
        DataFlowContract("data-flow", {"root_packages": ["domains"]},
                         {"expected": ["domains.ar.X.op = sometimes"]})
    assert "expected patterns must be one of local_read, local_write, live" in raised.value.errors["data_flow"]

    with pytest.raises(InvalidContractOptions) as raised:
        DataFlowContract("data-flow", {"root_packages": ["domains"]}, {"strict": "true"})
    assert raised.value.errors["data_flow"].startswith("domain_packages: name at least one package")

    with pytest.raises(InvalidContractOptions) as raised:
        DataFlowContract("data-flow", {"root_packages": ["domains"]}, {"strickt": "true"})
    assert "Did you mean 'strict'?" in raised.value.errors["strickt"]


def test_the_section_configures_the_cli_the_same_way(tmp_path: Path) -> None:
    """`audit` without --config reads the data_flow contract of <root>/.importlinter."""
    from archguard.dataflow import from_importlinter

    config = from_importlinter(_config(tmp_path), root=tmp_path)

    assert config is not None
    assert config.strict is True
    assert config.live_packages == ("infra.qbo",)
    assert config.port_modules == ("infra.interfaces",)


def test_expectations_can_be_written_in_the_ini_section(tmp_path: Path) -> None:
    tree = planted_tree("undeclared-operation", tmp_path / "tree")
    extra = f"expected =\n    {OP}.overdue_count = local_read\n"

    run = run_lint_imports(tree, "data-flow", config=_config(tmp_path, extra))

    assert run.returncode == 0, run.report


def test_every_configuration_option_is_an_option_of_the_contract() -> None:
    from dataclasses import fields

    from archguard.dataflow import DataFlowConfig

    options = {f.name for f in fields(DataFlowConfig)} - {"root"}
    contract_fields = set(DataFlowContract._get_field_names())
    assert options <= contract_fields
    assert contract_fields - options == {"config_file", "baseline", "cache_dir", "broken_contract_guidance"}
