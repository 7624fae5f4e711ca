"""Each data-flow rule, and each blind spot of import rules, on a planted tree: the exact finding.

Every tree under planted/ is the clean project in planted/base with one case's files laid over it
(its configuration is planted/base/pyproject.toml, which a case may replace).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archguard.dataflow import Category, Kind, check
from tests.dataflow.support import COLLECTIONS, OP, PLANTED, PORTS, check_planted, planted_config, planted_tree

SEND = f"QboGateway.send_invoice ({PORTS}:24)"


def site(function: str, call: str, reason: str, line: int, operations: tuple[str, ...] = ()) -> str:
    """The finding of an unresolved call site in ``function`` of the collections service: reported once,
    naming the operations whose reach holds it (by default, the function itself)."""
    held = operations or (f"{OP}.{function}",)
    count = f"{len(held)} operation{'s' if len(held) != 1 else ''}"
    return (f"{OP}.{function} [call] makes an unresolved call {call} ({reason}), in the reach of {count} "
            f"({', '.join(held)}): CollectionsService.{function} ({COLLECTIONS}:{line})")
REMINDERS = "domains/ar/services/reminders.py"
REFRESH = "domains/ar/services/refresh.py"

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
    # Imports inside the functions: an HTTP module, a module of the live package. Importing a live
    # module and calling into it is one root cause (the call); importing it alone is a reach too.
    "lazy-import": [
        f"{OP}.aging_report [local_read] reaches HTTP/SDK module httpx: "
        f"CollectionsService.aging_report ({COLLECTIONS}:15) -> import httpx",
        f"{OP}.ar_summary [local_read] reaches live function infra.qbo.client.get: "
        f"CollectionsService.ar_summary ({COLLECTIONS}:24) -> get (infra/qbo/client.py:8)",
        f"{OP}.open_count [local_read] reaches live module infra.qbo.client: "
        f"CollectionsService.open_count ({COLLECTIONS}:29) -> from infra.qbo import client as live_client",
    ],
    # importlib.import_module("httpx"): no import graph has this edge.
    "importlib-literal": [
        f"{OP}.aging_report [local_read] reaches HTTP/SDK module httpx: "
        f"CollectionsService.aging_report ({COLLECTIONS}:17) -> importlib.import_module('httpx')",
    ],
    # Declared live, reaches only the mirror.
    "live-without-live-port": [
        f"{OP}.aging_report [live] reaches no live port (observed: local): "
        f"CollectionsService.aging_report ({COLLECTIONS}:14)",
    ],
    # A domain operation starts a background sync job.
    "reaches-sync-job": [
        f"{OP}.send_invoice [live] reaches sync job InvoiceSync: "
        f"CollectionsService.send_invoice ({COLLECTIONS}:18) -> InvoiceSync.run (infra/jobs/invoice_sync.py:10)",
    ],
    # A public operation with no marker (and no expectation in the configuration).
    "undeclared-operation": [
        f"{OP}.overdue_count [undeclared] is not declared local_read, local_write or live (observed: local); "
        f"mark it @local_read, @local_write or @live: CollectionsService.overdue_count ({COLLECTIONS}:17)",
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
        site("aging_report", "self._client.refresh()", "client is an untyped parameter", 16),
        site("ar_summary", "self._cache.clear()", "CollectionsService has no attribute _cache", 21),
    ],
    # Item 2: a public module-level function of a service module is an operation (a private one is not).
    "module-function-operation": [
        "domains.ar.services.reminders.overdue_total [local_read] reaches live port QboGateway: "
        f"overdue_total ({REMINDERS}:11) -> {SEND}",
        "domains.ar.services.reminders.resend_all [undeclared] is not declared local_read, local_write or live "
        f"(observed: live); mark it @local_read, @local_write or @live: resend_all ({REMINDERS}:15)",
    ],
    # Item 3: every call no one can follow is reported, never dropped.
    "unresolved-callables": [
        site("aging_report", "on_row()", "it is a Callable-typed value", 22),
        site("aging_report", "self._handlers['aging']()", "it is a Callable-typed value", 24),
        site("aging_report", "self.notifier()", "it is a Callable-typed value", 23),
        site("ar_summary", "getattr(self._invoices, name)()", "getattr with a computed name", 29),
        site("ar_summary", "later()", "it is a Callable-typed value", 31),
    ],
    # Item 3: ... and what can be followed is: aliases, stored lambdas, partials, helpers in any package,
    # properties, dicts of bound methods.
    "followed-callables": [
        f"{OP}.by_alias [local_read] reaches live port QboGateway: CollectionsService.by_alias "
        f"({COLLECTIONS}:24) -> {SEND}",
        f"{OP}.by_dict_of_methods [local_read] reaches live port QboGateway: CollectionsService.by_dict_of_methods "
        f"({COLLECTIONS}:46) -> {SEND}",
        f"{OP}.by_helper_package [local_read] reaches live port QboGateway: CollectionsService.by_helper_package "
        f"({COLLECTIONS}:38) -> send_through (helpers/sending.py:9) -> _really_send (helpers/sending.py:13) -> {SEND}",
        f"{OP}.by_partial [local_read] reaches live port QboGateway: CollectionsService.by_partial "
        f"({COLLECTIONS}:33) -> {SEND}",
        f"{OP}.by_property [local_read] reaches live port QboGateway: CollectionsService.by_property "
        f"({COLLECTIONS}:42) -> {SEND}",
        f"{OP}.by_stored_lambda [local_read] reaches live port QboGateway: CollectionsService.by_stored_lambda "
        f"({COLLECTIONS}:29) -> CollectionsService.__init__.<lambda> ({COLLECTIONS}:16) -> {SEND}",
    ],
    # Item 3: an attribute set in a base class from an untyped parameter that the subclass passes on.
    "base-class-attribute": [
        f"{OP}.aging_report [local_read] reaches live port QboGateway: CollectionsService.aging_report "
        f"({COLLECTIONS}:21) -> {SEND}",
    ],
    # Item 3: a method's return annotation (declared on a base Protocol) is followed; an abstract method
    # without one makes calls on its result unresolved (not calls on None, dropped).
    "return-annotation": [
        f"{OP}.aging_report [local_read] reaches live port QboGateway: CollectionsService.aging_report "
        f"({COLLECTIONS}:17) -> QboGateway.send_invoice ({PORTS}:25)",
        site("invoice_total", "invoice.total()", "InvoiceRepository.get() has no return annotation", 22),
    ],
    # Item 5: a sync (or live) class living in a domain package is one finding, not one per method; a
    # marked job function outside the service modules is found too.
    "sync-class-in-domain": [
        "domains.ar.refresh_job.refresh_all [function] is sync code in the domain layer (marked @sync_job); move it "
        "to infra.jobs: refresh_all (domains/ar/refresh_job.py:9)",
        "domains.ar.services.refresh.InvoiceRefresh [class] is sync code in the domain layer (marked @sync_job); "
        f"move it to infra.jobs: InvoiceRefresh ({REFRESH}:10)",
        "domains.ar.services.refresh.LedgerSync [class] is live and sync code in the domain layer (sync_classes, "
        f"live_classes); move it to infra.jobs: LedgerSync ({REFRESH}:28)",
    ],
    # Item 5: an enum, constant, record or exception of a jobs package is data; calling a job function is a sync.
    "jobs-references": [
        f"{OP}.send_invoice [live] reaches sync job infra.jobs.status.run_now: CollectionsService.send_invoice "
        f"({COLLECTIONS}:34) -> run_now (infra/jobs/status.py:26)",
    ],
    # Issue 10, item 1: one unresolved call site in a helper both operations call is one finding, naming both.
    "shared-unresolved-site": [
        site("_record", "self._audit.write()", "audit is an untyped parameter", 29,
             (f"{OP}.aging_report", f"{OP}.send_invoice")).replace(
            f": CollectionsService._record ({COLLECTIONS}:29)",
            f": CollectionsService.aging_report ({COLLECTIONS}:20) -> CollectionsService._record ({COLLECTIONS}:29)"),
    ],
    # Issue 10, item 1: recursion in the type inference ends. An iterator whose __iter__ returns itself
    # yields what __next__ returns; two iterators iterating each other are unresolved.
    "recursive-iterator": [
        f"{OP}.aging_report [local_read] reaches live port QboGateway: CollectionsService.aging_report "
        f"({COLLECTIONS}:42) -> {SEND}",
        site("page_count", "page.close()", "iterating Pages iterates it again", 48),
    ],
    # ... names defined only in terms of each other (class attributes, module variables, self attributes).
    "recursive-aliases": [
        site("aging_report", "EmailChannel.send()", "SmsChannel.send is defined only in terms of itself", 36),
        site("aging_report", "notify()", "remind is defined only in terms of itself", 37),
        site("aging_report", "self._primary.flush()", "self._backup is defined only in terms of itself", 38),
    ],
    # ... and classes that are each other's base: what the class defines resolves, what it inherits cannot.
    "cyclic-bases": [
        site("aging_report", "self._helper.archive()", "First has a base class that cannot be resolved", 22),
    ],
}

RULE_OF = {
    "live-without-live-port": "live-reaches-no-live-port",
    "reaches-sync-job": "domain-reaches-sync",
    "jobs-references": "domain-reaches-sync",
    "undeclared-operation": "undeclared-operation",
    "undeclared-port": "undeclared-port",
    "invalid-declaration": "invalid-declaration",
    "unresolved-call": "unresolved-call",
    "unresolved-callables": "unresolved-call",
    "module-function-operation": {"local-reaches-live", "undeclared-operation"},
    "return-annotation": {"local-reaches-live", "unresolved-call"},
    "sync-class-in-domain": "sync-or-live-code-in-domain",
    "shared-unresolved-site": "unresolved-call",
    "recursive-iterator": {"local-reaches-live", "unresolved-call"},
    "recursive-aliases": "unresolved-call",
    "cyclic-bases": "unresolved-call",
}


def test_every_planted_case_has_expectations() -> None:
    folders = {p.name for p in PLANTED.iterdir() if p.is_dir() and not p.name.startswith(".")} - {"base", "othercode"}
    assert folders == set(CASES)


def test_clean_planted_tree_has_no_findings(tmp_path: Path) -> None:
    report = check_planted("base", tmp_path, strict=True)

    assert report.texts() == []
    assert report.ok
    assert {op.name: (op.declared, op.observed, op.verdict) for op in report.operations} == {
        f"{OP}.aging_report": ("local_read", "local", "ok"),
        f"{OP}.send_invoice": ("live", "live", "ok"),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_planted_case_gives_exactly_its_findings(case: str, tmp_path: Path) -> None:
    report = check_planted(case, tmp_path)

    assert report.texts() == CASES[case]
    rule = RULE_OF.get(case, "local-reaches-live")
    assert {f.rule for f in report.findings} == (rule if isinstance(rule, set) else {rule})


def test_local_read_chain_through_a_helper_is_the_shortest_one(tmp_path: Path) -> None:
    report = check_planted("private-helper", tmp_path)

    reach = next(r for r in report.operation(f"{OP}.aging_report").reaches if r.category is Category.LIVE)
    assert [hop.name for hop in reach.chain] == [
        "CollectionsService.aging_report", "CollectionsService._remind", "CollectionsService._send",
        "QboGateway.send_invoice",
    ]


def test_violations_fail_and_unresolved_calls_fail_only_in_strict_mode(tmp_path: Path) -> None:
    tree = planted_tree("unresolved-call", tmp_path / "tree")

    relaxed = check(planted_config(tree))
    strict = check(planted_config(tree, strict=True))

    assert {f.kind for f in relaxed.findings} == {Kind.UNRESOLVED}
    assert relaxed.ok and relaxed.failing() == ()
    assert not strict.ok and len(strict.failing()) == 2
    assert relaxed.operation(f"{OP}.aging_report").observed == "local + unresolved"
    assert relaxed.operation(f"{OP}.aging_report").verdict == "unresolved"


def test_observed_pattern_is_reported_with_or_without_declarations(tmp_path: Path) -> None:
    tree = planted_tree("undeclared-operation", tmp_path / "tree")

    report = check(planted_config(tree, require_declarations=False))

    assert report.texts() == []
    assert {op.name: (op.declared, op.observed, op.verdict) for op in report.operations} == {
        f"{OP}.aging_report": ("local_read", "local", "ok"),
        f"{OP}.overdue_count": (None, "local", "not declared"),
    }


def test_expectations_in_the_configuration_declare_operations_and_must_exist(tmp_path: Path) -> None:
    tree = planted_tree("undeclared-operation", tmp_path / "tree")
    expected = {f"{OP}.overdue_count": "local_read", f"{OP}.gone": "live", f"{OP}.aging_report": "live"}

    report = check(planted_config(tree, expected=expected))

    assert report.texts() == [
        f"{OP}.aging_report [local_read/live] is marked local_read in the code but expected live in the "
        f"configuration: CollectionsService.aging_report ({COLLECTIONS}:14)",
        f"{OP}.gone [live] is expected in the configuration, but class CollectionsService has no method gone",
    ]
    assert report.operation(f"{OP}.overdue_count").declared_by == "config"


@pytest.mark.parametrize(("name", "why"), [
    ("domains.ar.services.nowhere.Service.op", "there is no module domains.ar.services.nowhere"),
    ("domains.core.freshness.FreshnessReader.of",
     "domains.core.freshness is not a service module (service modules match domains.**.services, "
     "domains.**.services.**)"),
    (f"{OP}._with_freshness", "CollectionsService._with_freshness is private"),
    (OP, "CollectionsService is a class, not a function or method (name one of its methods)"),
    (f"{OP}.aging_report.inner", "CollectionsService.aging_report is a method; operations are not nested deeper"),
    ("domains.ar.services.collections.FreshnessReader",
     "FreshnessReader is imported or assigned in domains.ar.services.collections, not defined there as a "
     "function or class"),
    ("domains.ar.services.collections.remind", "domains.ar.services.collections has no remind"),
    ("domains.ar.services.reminders._private_helper", "_private_helper is private"),
    ("domains.ar.services.reminders.overdue_total.x", "overdue_total is a function; it has no member x"),
])
def test_an_expectation_that_matches_no_operation_says_why(name: str, why: str, tmp_path: Path) -> None:
    """Item 2: an `expected` name matching nothing is a finding that says what the name is instead."""
    tree = planted_tree("module-function-operation", tmp_path / "tree")

    report = check(planted_config(tree, expected={name: "local_read"}))

    [finding] = [f for f in report.findings if f.rule == "unknown-expectation"]
    assert finding.text == f"{name} [local_read] is expected in the configuration, but {why}"


def test_a_module_function_of_a_service_module_is_declared_by_expectation(tmp_path: Path) -> None:
    tree = planted_tree("module-function-operation", tmp_path / "tree")

    report = check(planted_config(tree, expected={"domains.ar.services.reminders.resend_all": "live"}))

    op = report.operation("domains.ar.services.reminders.resend_all")
    assert (op.declared, op.declared_by, op.observed, op.verdict) == ("live", "config", "live", "ok")
    assert "domains.ar.services.reminders._private_helper" not in {o.name for o in report.operations}


def test_fingerprints_ignore_line_numbers(tmp_path: Path) -> None:
    first = check_planted("private-helper", tmp_path / "a")
    moved = planted_tree("private-helper", tmp_path / "b" / "private-helper")
    module = moved / "domains/ar/services/collections.py"
    module.write_text(module.read_text().replace('"""\n\nfrom', '"""\n\n\n\n\nfrom', 1))
    second = check(planted_config(moved))

    assert first.texts() != second.texts()  # the lines moved ...
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]  # ... not the key


def test_local_and_live_packages_without_markers_count_by_configuration(tmp_path: Path) -> None:
    """A class of a configured live package is live without any marker (constructor-assignment case);
    with the package removed from the configuration, nothing there is live any more."""
    tree = planted_tree("constructor-assignment", tmp_path / "tree")

    report = check(planted_config(tree, live_packages=()))

    # Not live any more: the checker follows into LiveGateway and finds httpx instead.
    assert report.texts() == [
        f"{OP}.aging_report [local_read] reaches HTTP/SDK module httpx: CollectionsService.aging_report "
        f"({COLLECTIONS}:17) -> LiveGateway.send_invoice (infra/qbo/client.py:17) -> self._http.post()",
    ]


def test_worker_processes_give_the_same_report(tmp_path: Path) -> None:
    tree = planted_tree("other-service", tmp_path / "tree")

    single = check(planted_config(tree, jobs=1))
    shared = check(planted_config(tree, jobs=2))  # one service module per worker

    assert shared.operations == single.operations
    assert shared.findings == single.findings
    assert len(single.operations) == 2
