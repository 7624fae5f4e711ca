"""Each data-flow rule, and each blind spot of import rules, on a planted tree: the exact finding.

Every tree under planted/ is the clean project in planted/base with one case's files laid over it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archguard.dataflow import Category, DataFlowConfig, Kind, check
from tests.dataflow.support import COLLECTIONS, OP, PLANTED, PORTS, check_planted, planted_tree

SEND = f"QboGateway.send_invoice ({PORTS}:24)"

CASES: dict[str, list[str]] = {
    # A local_read calls the live port injected through an __init__ annotation.
    "direct-live-port": [
        f"{OP}.aging_report [local_read] reaches live port QboGateway: "
        f"CollectionsService.aging_report ({COLLECTIONS}:16) -> {SEND}",
    ],
    # ... through two private helpers: invisible to any import rule.
    "private-helper": [
        f"{OP}.aging_report [local_read] reaches live port QboGateway: "
        f"CollectionsService.aging_report ({COLLECTIONS}:17) -> CollectionsService._remind ({COLLECTIONS}:21) "
        f"-> CollectionsService._send ({COLLECTIONS}:24) -> {SEND}",
    ],
    # ... through a helper inherited from a base class of the project.
    "inherited-helper": [
        f"{OP}.aging_report [local_read] reaches live port QboGateway: "
        f"CollectionsService.aging_report ({COLLECTIONS}:23) -> _GatewayUser._send ({COLLECTIONS}:13) -> {SEND}",
    ],
    # The service is a dataclass; the port is a field.
    "dataclass-field": [
        f"{OP}.aging_report [local_read] reaches live port QboGateway: "
        f"CollectionsService.aging_report ({COLLECTIONS}:18) -> {SEND}",
    ],
    # The constructor builds a class of the live package (not a port): `self._gateway = LiveGateway(...)`.
    "constructor-assignment": [
        f"{OP}.aging_report [local_read] reaches live class LiveGateway: "
        f"CollectionsService.aging_report ({COLLECTIONS}:17) -> LiveGateway.send_invoice (infra/qbo/client.py:16)",
    ],
    # Another domain service, injected, whose live operation is called from the read.
    "other-service": [
        f"{OP}.aging_report [local_read] reaches live port QboGateway: "
        f"CollectionsService.aging_report ({COLLECTIONS}:17) -> "
        f"ReminderService.remind (domains/ar/services/reminders.py:15) -> {SEND}",
    ],
    # `import infra` at module level; `infra.qbo.client.get()` in the read.
    "module-attribute-chain": [
        f"{OP}.aging_report [local_read] reaches live function infra.qbo.client.get: "
        f"CollectionsService.aging_report ({COLLECTIONS}:19) -> get (infra/qbo/client.py:8)",
    ],
    # `from infra import qbo` at module level; `qbo.client.get()` in the read.
    "from-import-chain": [
        f"{OP}.aging_report [local_read] reaches live function infra.qbo.client.get: "
        f"CollectionsService.aging_report ({COLLECTIONS}:16) -> get (infra/qbo/client.py:8)",
    ],
    # Imports inside the functions: an HTTP module, a module of the live package.
    "lazy-import": [
        f"{OP}.aging_report [local_read] reaches HTTP/SDK module httpx: "
        f"CollectionsService.aging_report ({COLLECTIONS}:15) -> import httpx",
        f"{OP}.ar_summary [local_read] reaches live module infra.qbo.client: "
        f"CollectionsService.ar_summary ({COLLECTIONS}:22) -> from infra.qbo import client",
        f"{OP}.ar_summary [local_read] reaches live function infra.qbo.client.get: "
        f"CollectionsService.ar_summary ({COLLECTIONS}:24) -> get (infra/qbo/client.py:8)",
    ],
    # importlib.import_module("httpx"): no import graph has this edge.
    "importlib-literal": [
        f"{OP}.aging_report [local_read] reaches HTTP/SDK module httpx: "
        f"CollectionsService.aging_report ({COLLECTIONS}:17) -> importlib.import_module('httpx')",
    ],
    # Declared live, reaches only the mirror.
    "live-without-live-port": [
        f"{OP}.aging_report [live] reaches no live port (observed: mirror): "
        f"CollectionsService.aging_report ({COLLECTIONS}:14)",
    ],
    # A domain operation starts a background sync job.
    "reaches-sync-job": [
        f"{OP}.send_invoice [live] reaches sync job InvoiceSync: "
        f"CollectionsService.send_invoice ({COLLECTIONS}:18) -> InvoiceSync.run (infra/jobs/invoice_sync.py:10)",
    ],
    # A public operation with no marker (and no expectation in the configuration).
    "undeclared-operation": [
        f"{OP}.overdue_count [undeclared] is not declared local_read or live (observed: mirror); "
        f"mark it @local_read or @live: CollectionsService.overdue_count ({COLLECTIONS}:17)",
    ],
    # A Protocol in the port module without @local_port / @live_port.
    "undeclared-port": [
        "infra.interfaces.ports.CreditMirror [port] is not declared local_port or live_port; "
        f"mark it @local_port or @live_port: CreditMirror ({PORTS}:28)",
    ],
    # Marked local_read and live at once.
    "invalid-declaration": [
        f"{OP}.send_invoice [local_read+live] is marked local_read and live; an operation has exactly one "
        f"pattern: CollectionsService.send_invoice ({COLLECTIONS}:15)",
    ],
    # Calls on an untyped constructor parameter stored on self, and on an attribute never assigned.
    "unresolved-call": [
        f"{OP}.aging_report [local_read] makes an unresolved call self._client.refresh() "
        f"(client is an untyped parameter): CollectionsService.aging_report ({COLLECTIONS}:16)",
        f"{OP}.ar_summary [local_read] makes an unresolved call self._cache.clear() "
        f"(CollectionsService has no attribute _cache): CollectionsService.ar_summary ({COLLECTIONS}:21)",
    ],
}

RULE_OF = {
    "live-without-live-port": "live-reaches-no-live-port",
    "reaches-sync-job": "domain-reaches-sync",
    "undeclared-operation": "undeclared-operation",
    "undeclared-port": "undeclared-port",
    "invalid-declaration": "invalid-declaration",
    "unresolved-call": "unresolved-call",
}


def test_every_planted_case_has_expectations() -> None:
    folders = {p.name for p in PLANTED.iterdir() if p.is_dir() and not p.name.startswith(".")} - {"base", "othercode"}
    assert folders == set(CASES)


def test_clean_planted_tree_has_no_findings(tmp_path: Path) -> None:
    report = check_planted("base", tmp_path, strict=True)

    assert report.texts() == []
    assert report.ok
    assert {op.name: (op.declared, op.observed, op.verdict) for op in report.operations} == {
        f"{OP}.aging_report": ("local_read", "mirror", "ok"),
        f"{OP}.send_invoice": ("live", "live API", "ok"),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_planted_case_gives_exactly_its_findings(case: str, tmp_path: Path) -> None:
    report = check_planted(case, tmp_path)

    assert report.texts() == CASES[case]
    rule = RULE_OF.get(case, "local-read-reaches-live")
    assert {f.rule for f in report.findings} == {rule}


def test_local_read_chain_through_a_helper_is_the_shortest_one(tmp_path: Path) -> None:
    report = check_planted("private-helper", tmp_path)

    reach = next(r for r in report.operation(f"{OP}.aging_report").reaches if r.category is Category.LIVE)
    assert [hop.name for hop in reach.chain] == [
        "CollectionsService.aging_report", "CollectionsService._remind", "CollectionsService._send",
        "QboGateway.send_invoice",
    ]


def test_violations_fail_and_unresolved_calls_fail_only_in_strict_mode(tmp_path: Path) -> None:
    tree = planted_tree("unresolved-call", tmp_path / "tree")

    relaxed = check(DataFlowConfig(root=tree))
    strict = check(DataFlowConfig(root=tree, strict=True))

    assert {f.kind for f in relaxed.findings} == {Kind.UNRESOLVED}
    assert relaxed.ok and relaxed.failing() == ()
    assert not strict.ok and len(strict.failing()) == 2
    assert relaxed.operation(f"{OP}.aging_report").observed == "mirror + unresolved"
    assert relaxed.operation(f"{OP}.aging_report").verdict == "unresolved"


def test_observed_pattern_is_reported_with_or_without_declarations(tmp_path: Path) -> None:
    tree = planted_tree("undeclared-operation", tmp_path / "tree")

    report = check(DataFlowConfig(root=tree, require_declarations=False))

    assert report.texts() == []
    assert {op.name: (op.declared, op.observed, op.verdict) for op in report.operations} == {
        f"{OP}.aging_report": ("local_read", "mirror", "ok"),
        f"{OP}.overdue_count": (None, "mirror", "not declared"),
    }


def test_expectations_in_the_configuration_declare_operations_and_must_exist(tmp_path: Path) -> None:
    tree = planted_tree("undeclared-operation", tmp_path / "tree")
    expected = {f"{OP}.overdue_count": "local_read", f"{OP}.gone": "live", f"{OP}.aging_report": "live"}

    report = check(DataFlowConfig(root=tree, expected=expected))

    assert report.texts() == [
        f"{OP}.aging_report [local_read/live] is marked local_read in the code but expected live in the "
        f"configuration: CollectionsService.aging_report ({COLLECTIONS}:14)",
        f"{OP}.gone [live] is expected in the configuration, but no such operation exists",
    ]
    assert report.operation(f"{OP}.overdue_count").declared_by == "config"


def test_fingerprints_ignore_line_numbers(tmp_path: Path) -> None:
    first = check_planted("private-helper", tmp_path / "a")
    moved = planted_tree("private-helper", tmp_path / "b" / "private-helper")
    module = moved / "domains/ar/services/collections.py"
    module.write_text(module.read_text().replace('"""\n\nfrom', '"""\n\n\n\n\nfrom', 1))
    second = check(DataFlowConfig(root=moved))

    assert first.texts() != second.texts()  # the lines moved ...
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]  # ... not the key


def test_local_and_live_packages_without_markers_count_by_configuration(tmp_path: Path) -> None:
    """A class of a configured live package is live without any marker (constructor-assignment case);
    with the package removed from the configuration, nothing there is live any more."""
    tree = planted_tree("constructor-assignment", tmp_path / "tree")

    report = check(DataFlowConfig(root=tree, live_packages=()))

    # Not live any more: the checker follows into LiveGateway and finds httpx instead.
    assert report.texts() == [
        f"{OP}.aging_report [local_read] reaches HTTP/SDK module httpx: CollectionsService.aging_report "
        f"({COLLECTIONS}:17) -> LiveGateway.send_invoice (infra/qbo/client.py:17) -> self._http.post()",
    ]


def test_worker_processes_give_the_same_report(tmp_path: Path) -> None:
    tree = planted_tree("other-service", tmp_path / "tree")

    single = check(DataFlowConfig(root=tree, jobs=1))
    shared = check(DataFlowConfig(root=tree, jobs=2))  # one service module per worker

    assert shared.operations == single.operations
    assert shared.findings == single.findings
    assert len(single.operations) == 2
