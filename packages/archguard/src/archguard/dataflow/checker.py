"""``check(config) -> Report``: find the domain operations, what each reaches, and the rule findings."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from archguard.dataflow.analysis import Analyzer, OperationReach
from archguard.dataflow.config import DataFlowConfig
from archguard.dataflow.index import ClassInfo, FunctionInfo, ProjectIndex
from archguard.dataflow.model import Category, Finding, Hop, OperationResult, Report
from archguard.dataflow.names import in_packages


def check(config: DataFlowConfig, *, modules: Iterable[str] | None = None,
          package_dirs: dict[str, Path] | None = None) -> Report:
    """Run the data-flow rules over the source under ``config.root``.

    ``modules`` (e.g. the grimp graph's modules) and ``package_dirs`` replace the search of the root
    packages on disk; the import-linter contract passes them. On a large tree the service modules are
    shared out between ``config.jobs`` worker processes (see ``DataFlowConfig.jobs``).
    """
    # The syntax trees read stay alive until the end, and the cyclic garbage collector would walk all of
    # them again and again as they grow (a third of the run time on a large tree): it is paused meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        module_list = None if modules is None else sorted(modules)
        index = ProjectIndex(config.root, config.packages_to_read, modules=module_list, package_dirs=package_dirs,
                             exclude=config.exclude_modules)
        checker = _Checker(index, config)
        service_modules = checker.analyzer.service_modules()
        jobs = _jobs(config.jobs, len(service_modules))
        if jobs > 1:
            # Contiguous slices of the sorted names: a package's services (which call each other) stay
            # in one worker, so fewer modules are read twice.
            size = -(-len(service_modules) // jobs)
            parts = [service_modules[i:i + size] for i in range(0, len(service_modules), size)]
            jobs = len(parts)
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(jobs, mp_context=context) as pool:
                results = list(pool.map(_check_part, [(config, module_list, package_dirs, part) for part in parts]))
            operations = [op for part_operations, _, _ in results for op in part_operations]
            for _, reached, _ in results:
                for port, hop in reached.items():
                    checker.analyzer.reached_ports.setdefault(port, hop)
            checker.extra_parsed = sum(parsed for _, _, parsed in results)
        else:
            operations = checker.check_operations(service_modules)
        return checker.finish(operations)
    finally:
        if collecting:
            gc.enable()


PARALLEL_THRESHOLD = 1000  # service modules; below this one process is about as fast as starting workers


def _jobs(requested: int, service_modules: int) -> int:
    if requested == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if requested == 0:  # automatic
        if service_modules < PARALLEL_THRESHOLD:
            return 1
        requested = min(os.cpu_count() or 1, 8)
    return max(1, min(requested, service_modules))


def _check_part(args: tuple[DataFlowConfig, list[str] | None, dict[str, Path] | None, list[str]]
                ) -> tuple[list[OperationResult], dict[str, Hop], int]:
    """A worker process: the operations of some service modules."""
    config, modules, package_dirs, service_modules = args
    gc.disable()  # as in the parent (see check); the worker ends with the task
    index = ProjectIndex(config.root, config.packages_to_read, modules=modules, package_dirs=package_dirs,
                         exclude=config.exclude_modules)
    checker = _Checker(index, config)
    operations = checker.check_operations(service_modules)
    return operations, dict(checker.analyzer.reached_ports), index.parsed_count


class _Checker:
    def __init__(self, index: ProjectIndex, config: DataFlowConfig) -> None:
        self.index = index
        self.config = config
        self.analyzer = Analyzer(index, config)
        self.extra_parsed = 0

    def check_operations(self, service_modules: list[str]) -> list[OperationResult]:
        return [self._operation(cls, method) for cls, method in self._operations(service_modules)]

    def finish(self, operations: list[OperationResult]) -> Report:
        notes = self._notes()
        findings: list[Finding] = [f for op in operations for f in op.findings]
        seen_operations = {op.name for op in operations}
        findings.extend(self._undeclared_ports())
        for name, pattern in sorted(self.config.expected.items()):
            if name not in seen_operations:
                findings.append(Finding("unknown-expectation", name, pattern,
                                        "is expected in the configuration, but no such operation exists",
                                        target=name))
        return Report(
            operations=tuple(sorted(operations, key=lambda op: op.name)),
            findings=tuple(sorted(findings, key=Finding.sort_key)),
            strict=self.config.strict,
            modules_read=self.index.parsed_count + self.extra_parsed,
            notes=tuple(notes),
        )

    # Operations -------------------------------------------------------------------------------------

    def _operations(self, service_modules: list[str]) -> list[tuple[ClassInfo, FunctionInfo]]:
        found: list[tuple[ClassInfo, FunctionInfo]] = []
        for module_name in service_modules:
            info = self.index.module(module_name)
            if info is None:
                continue
            for cls in info.classes.values():
                if not self.analyzer.is_service_class(cls):
                    continue
                for method in cls.methods.values():
                    if method.name.startswith("_") or method.is_property:
                        continue
                    found.append((cls, method))
        return found

    def _operation(self, cls: ClassInfo, method: FunctionInfo) -> OperationResult:
        config = self.config
        info = self.index.module(method.module)
        path = info.display_path if info else ""
        declared, declared_by, invalid = self._declaration(method)
        reach = self.analyzer.operation_reach(method, cls.qualname)
        op_hop = Hop(method.display, path, method.lineno)
        shown = invalid or declared or "undeclared"
        findings: list[Finding] = []

        def add(rule: str, message: str, target: str = "", chain: tuple[Hop, ...] = (op_hop,)) -> None:
            findings.append(Finding(rule, method.qualname, shown, message, target, chain, path, method.lineno))

        if invalid:
            add("invalid-declaration", self._invalid_message(method, invalid), invalid)
        categories = {r.category for r in reach.reaches}
        observed = _observed(reach)
        if declared is None and not invalid and config.require_declarations:
            markers = " or ".join(f"@{m}" for m in (*config.local_read_markers[:1], *config.live_markers[:1]))
            add("undeclared-operation",
                f"is not declared local_read or live (observed: {observed}); mark it {markers}")
        for r in reach.reaches:
            if r.category is Category.SYNC:
                add("domain-reaches-sync", f"reaches {r.display}", r.target, r.chain)
            elif r.category is Category.LIVE and declared == "local_read":
                add("local-read-reaches-live", f"reaches {r.display}", r.target, r.chain)
        if declared == "live" and Category.LIVE not in categories:
            add("live-reaches-no-live-port", f"reaches no live port (observed: {observed})")
        for u in reach.unresolved:
            add("unresolved-call", f"makes an unresolved call {u.text} ({u.reason})", f"{u.function}:{u.text}",
                u.chain)
        return OperationResult(
            name=method.qualname, path=path, line=method.lineno, declared=declared, declared_by=declared_by,
            reaches=reach.reaches, unresolved=len(reach.unresolved), findings=tuple(findings),
        )

    def _declaration(self, method: FunctionInfo) -> tuple[str | None, str | None, str | None]:
        """(declared pattern, where it was declared, an invalid combination or None)."""
        config = self.config
        decorators = set(method.decorators)
        in_code = []
        if decorators & set(config.local_read_markers):
            in_code.append("local_read")
        if decorators & set(config.live_markers):
            in_code.append("live")
        if decorators & set(config.sync_job_markers):
            in_code.append("sync")
        expected = config.expected.get(method.qualname)
        if len(in_code) > 1 or in_code == ["sync"]:
            return None, None, "+".join(in_code)
        if in_code:
            if expected is not None and expected != in_code[0]:
                return None, None, f"{in_code[0]}/{expected}"
            return in_code[0], "code", None
        if expected is not None:
            return expected, "config", None
        return None, None, None

    def _invalid_message(self, method: FunctionInfo, invalid: str) -> str:
        if "/" in invalid:
            code, expected = invalid.split("/")
            return f"is marked {code} in the code but expected {expected} in the configuration"
        if invalid == "sync":
            return "is marked as a sync job; a domain operation is local_read or live, never a sync"
        return f"is marked {' and '.join(invalid.split('+'))}; an operation has exactly one pattern"

    # Ports ------------------------------------------------------------------------------------------

    def _undeclared_ports(self) -> list[Finding]:
        analyzer = self.analyzer
        ports: dict[str, Hop] = dict(analyzer.reached_ports)
        for module_name in self.index.module_names:
            if not in_packages(module_name, self.config.port_modules):
                continue
            info = self.index.module(module_name)
            if info is None:
                continue
            for cls in info.classes.values():
                if Category.UNDECLARED_PORT in analyzer.class_categories(cls.qualname):
                    ports.setdefault(cls.qualname, analyzer.class_hop(cls.qualname))
        config = self.config
        markers = " or ".join(f"@{m}" for m in (*config.local_port_markers[:1], *config.live_port_markers[:1]))
        findings = []
        for qualname, hop in sorted(ports.items()):
            findings.append(Finding("undeclared-port", qualname, "port",
                                    f"is not declared local_port or live_port; mark it {markers}",
                                    qualname, (hop,), hop.path, hop.line))
        return findings

    def _notes(self) -> list[str]:
        notes = []
        # Only what must exist: live, local and jobs packages may legitimately not be written yet.
        for option in ("domain_packages", "port_modules"):
            for name in getattr(self.config, option):
                if not self.index.has_module(name):
                    notes.append(f"{option}: {name} was not found")
        return notes


def _observed(reach: OperationReach) -> str:
    present = {r.category for r in reach.reaches}
    parts = [str(c) for c in Category if c in present]
    if reach.unresolved:
        parts.append("unresolved")
    return " + ".join(parts) if parts else "nothing"
