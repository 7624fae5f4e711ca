"""Every contract in .importlinter can fail and can pass.

Each folder under planted/ is a fake project with one violation on a line marked `# planted-violation`.
The real .importlinter is run on it, limited to the contract the folder is named after: it must fail
and name the offending import chain. The same tree with the marked line deleted must keep every
contract, which shows the tree holds exactly that one violation and that the rule can pass.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.architecture.support import CONFIG, PLANTED, copy_without_violations, marked_line, run_lint_imports


@dataclass(frozen=True)
class Planted:
    tree: str
    contract: str
    chain: str  # "importer -> imported"; the marked line number is appended as import-linter prints it
    extra: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return PLANTED / self.tree

    def expected_output(self) -> list[str]:
        if not self.chain:
            return list(self.extra)
        path, lineno = marked_line(self.path)
        extra = [text.format(lineno=lineno) for text in self.extra]
        return [f"{self.chain} (l.{lineno})", *extra]


CASES = [
    # A local read that calls the live port: invisible to every import rule (the import is allowed).
    Planted("data-flow", "data-flow", "", extra=(
        "local-reaches-live: domains.ar.services.collections.CollectionsService.aging_report [local_read] "
        "reaches live port QboGateway",
        "CollectionsService.aging_report (domains/ar/services/collections.py:16)",
        "-> QboGateway.send_invoice (infra/interfaces/ports.py:24)",
    )),
    Planted("layers", "layers", "domains.ap.services.bill -> runway.services.forecast"),
    # `import httpx` inside a function: grimp 3.20 records function-level imports, so the built-in
    # forbidden contract catches it.
    Planted("domains-no-http", "domains-no-http", "domains.ap.services.bill -> httpx"),
    Planted(
        "domains-no-http-source", "domains-no-http-source", "domains.ap.services.bill -> httpx",
        extra=('domains/ap/services/bill.py:{lineno}: importlib.import_module("httpx")',),
    ),
    Planted(
        "domains-infra-interfaces-only", "domains-infra-interfaces-only",
        "domains.ap.services.bill -> infra.db.session",
        extra=("domains/ap/services/bill.py:{lineno}: from infra.db.session import SqlBillMirror",),
    ),
    Planted("indirect-http", "domains-infra-interfaces-only", "domains.ap.services.bill -> infra.qbo.client"),
    Planted("infra-interfaces-leaf", "infra-interfaces-leaf", "infra.interfaces.ports -> infra.qbo.client"),
    Planted(
        "runway-infra-only-in-bootstrap", "runway-infra-only-in-bootstrap",
        "runway.services.forecast -> infra.db.session",
    ),
    Planted("infra-no-upward-imports", "infra-no-upward-imports", "infra.db.session -> domains.core.money"),
    Planted(
        "domains-independent", "domains-independent",
        "domains.ar.services.collections -> domains.ap.services.bill",
        extra=("domains.ar is not allowed to import domains.ap:",),
    ),
    # A package added under domains/ after .importlinter was written is covered without editing it.
    Planted(
        "new-bounded-context", "domains-independent",
        "domains.billing.services.invoicing -> domains.ar.services.collections",
        extra=("domains.billing is not allowed to import domains.ar:",),
    ),
    # importlib.import_module(name): no rule could tell what it loads.
    Planted(
        "computed-import", "domains-no-http-source", "domains.ap.services.bill -> importlib.import_module",
        extra=("Imports by a computed name (no rule can tell what they load) (read from the source):",
               "domains/ap/services/bill.py:{lineno}: importlib.import_module(name)  [dynamic import via "
               "importlib.import_module of a computed name, inside a function]"),
    ),
    # acyclic_siblings names the dependency it would remove, relative to the package holding the cycle.
    Planted(
        "acyclic-siblings", "acyclic-siblings", "",
        extra=("No cycles are allowed in domains.ap.services.", "- .payment -> .bill (1 import)"),
    ),
]


def _contract_ids() -> list[str]:
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    return [section.split(":", 2)[2] for section in parser.sections() if section.startswith("importlinter:contract:")]


def test_every_contract_has_a_planted_violation() -> None:
    """A contract without a planted violation has never been seen to fail."""
    assert set(_contract_ids()) <= {case.contract for case in CASES}
    assert sorted(p.name for p in PLANTED.iterdir() if p.is_dir()) == sorted(case.tree for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.tree)
def test_contract_fails_on_its_planted_violation(case: Planted) -> None:
    run = run_lint_imports(case.path, case.contract)

    assert run.returncode == 1, run.report
    assert "Contracts: 0 kept, 1 broken." in run.output, run.report
    for text in case.expected_output():
        assert text in run.output, run.report


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.tree)
def test_same_tree_keeps_every_contract_without_the_violation(case: Planted, tmp_path: Path) -> None:
    clean = copy_without_violations(case.path, tmp_path / case.tree)

    run = run_lint_imports(clean)

    count = len(_contract_ids())
    assert run.returncode == 0, run.report
    assert f"Contracts: {count} kept, 0 broken." in run.output, run.report


def test_allowed_indirect_chain_to_httpx_is_not_a_no_http_violation() -> None:
    """domains -> infra.qbo.client -> httpx: domains-no-http judges direct imports only
    (allow_indirect_imports), and domains-infra-interfaces-only refuses the first hop (case above)."""
    run = run_lint_imports(PLANTED / "indirect-http", "domains-no-http")

    assert run.returncode == 0, run.report


def test_importlib_import_is_invisible_to_the_graph_contract() -> None:
    """Why domains-no-http-source exists: the import graph has no edge for importlib.import_module("httpx")."""
    run = run_lint_imports(PLANTED / "domains-no-http-source", "domains-no-http")

    assert run.returncode == 0, run.report
