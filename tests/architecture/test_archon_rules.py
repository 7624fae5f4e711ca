"""The import direction runway -> domains -> infra, as pytest-archon rules.

These restate the main .importlinter rules in a second tool, readable inside pytest. Every module of
the checked package is a candidate, so `only_direct_imports=True` loses nothing (a transitive route
inside the package starts with a direct import by one of its modules) and keeps the rules fast.
Each rule is also run on a planted tree where it must fail, naming the import.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_archon import archrule
from pytest_archon.failure import Failure, pop_failures
from pytest_archon.rule import RuleConstraints

from tests.architecture.support import PLANTED, ROOT_PACKAGES, copy_without_violations


def domains_do_not_import_runway() -> RuleConstraints:
    return (
        archrule("domains-below-runway", comment="domains never import runway")
        .match("domains", "domains.*")
        .should_not_import("runway", "runway.*")
    )


def domains_use_only_infra_interfaces() -> RuleConstraints:
    return (
        archrule("domains-use-infra-interfaces", comment="domains import from infra only infra.interfaces")
        .match("domains", "domains.*")
        .should_not_import("infra", "infra.*")
        .may_import("infra.interfaces", "infra.interfaces.*")
    )


def infra_imports_no_caller() -> RuleConstraints:
    return (
        archrule("infra-at-the-bottom", comment="infra imports neither domains nor runway")
        .match("infra", "infra.*")
        .should_not_import("domains", "domains.*", "runway", "runway.*")
    )


def runway_reaches_infra_only_in_bootstrap() -> RuleConstraints:
    return (
        archrule("runway-composition-root",
                 comment="in runway only runway.bootstrap imports infra's implementation")
        .match("runway", "runway.*")
        .exclude("runway.bootstrap", "runway.bootstrap.*")
        .should_not_import("infra", "infra.*")
        .may_import("infra.interfaces", "infra.interfaces.*")
    )


def archguard_is_standalone() -> RuleConstraints:
    return (
        archrule("archguard-standalone", comment="archguard inspects the project and imports none of it")
        .match("archguard", "archguard.*")
        .should_not_import(*(pattern for root in ROOT_PACKAGES for pattern in (root, f"{root}.*")))
    )


RULES: dict[str, tuple[Callable[[], RuleConstraints], str]] = {
    # rule name: (rule, package it is checked on)
    "domains_do_not_import_runway": (domains_do_not_import_runway, "domains"),
    "domains_use_only_infra_interfaces": (domains_use_only_infra_interfaces, "domains"),
    "infra_imports_no_caller": (infra_imports_no_caller, "infra"),
    "runway_reaches_infra_only_in_bootstrap": (runway_reaches_infra_only_in_bootstrap, "runway"),
    "archguard_is_standalone": (archguard_is_standalone, "archguard"),
}


def _failures(rule: Callable[[], RuleConstraints], package: str) -> list[Failure]:
    """Run a rule and take its failures back from pytest-archon (which would otherwise fail the test)."""
    pop_failures()
    rule().check(package, only_direct_imports=True)
    return list(pop_failures())


def _chains(failures: list[Failure]) -> list[str]:
    return sorted(" -> ".join(failure.path) for failure in failures)


@pytest.mark.parametrize("name", RULES)
def test_real_tree(name: str) -> None:
    rule, package = RULES[name]
    rule().check(package, only_direct_imports=True)


# The same rules on planted trees. pytest-archon finds packages with importlib.util.find_spec, which
# answers from sys.modules first, so the real root packages are taken out of it for the duration.


@pytest.fixture()
def use_tree(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    def use(tree: Path) -> None:
        for name in list(sys.modules):
            if name.split(".")[0] in (*ROOT_PACKAGES, "archguard"):
                monkeypatch.delitem(sys.modules, name)
        monkeypatch.syspath_prepend(str(tree))

    yield use


PLANTED_CASES = [
    ("domains_do_not_import_runway", "layers", "domains.ap.services.bill -> runway.services.forecast"),
    ("domains_use_only_infra_interfaces", "domains-infra-interfaces-only",
     "domains.ap.services.bill -> infra.db.session"),
    ("domains_use_only_infra_interfaces", "indirect-http", "domains.ap.services.bill -> infra.qbo.client"),
    ("infra_imports_no_caller", "infra-no-upward-imports", "infra.db.session -> domains.core.money"),
    ("runway_reaches_infra_only_in_bootstrap", "runway-infra-only-in-bootstrap",
     "runway.services.forecast -> infra.db.session"),
]


@pytest.mark.parametrize(("name", "tree", "chain"), PLANTED_CASES, ids=[f"{c[0]}-{c[1]}" for c in PLANTED_CASES])
def test_rule_fails_on_planted_tree(name: str, tree: str, chain: str, use_tree, tmp_path: Path) -> None:
    rule, package = RULES[name]
    use_tree(PLANTED / tree)

    assert _chains(_failures(rule, package)) == [chain]


@pytest.mark.parametrize(("name", "tree", "chain"), PLANTED_CASES, ids=[f"{c[0]}-{c[1]}" for c in PLANTED_CASES])
def test_rule_passes_on_planted_tree_without_the_violation(name: str, tree: str, chain: str, use_tree,
                                                           tmp_path: Path) -> None:
    rule, package = RULES[name]
    use_tree(copy_without_violations(PLANTED / tree, tmp_path / tree))

    assert _failures(rule, package) == []


def test_archguard_rule_fails_when_archguard_imports_the_project(use_tree, tmp_path: Path) -> None:
    (tmp_path / "archguard").mkdir()
    (tmp_path / "archguard" / "__init__.py").write_text("")
    (tmp_path / "archguard" / "diagram.py").write_text(textwrap.dedent("""
        def roots():
            import runway.bootstrap

            return runway.bootstrap
    """))
    use_tree(tmp_path)

    assert _chains(_failures(archguard_is_standalone, "archguard")) == ["archguard.diagram -> runway.bootstrap"]
