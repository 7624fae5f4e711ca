"""``check(config) -> Report``: find the domain operations, what each reaches, and the rule findings.

An operation is a public method of a service class, or a public module-level function, of a service
module. A class or function of the domain packages that is itself live or sync code (marked or
configured so) is not an operation: it is one ``sync-or-live-code-in-domain`` finding, however many
methods it has.
"""

from __future__ import annotations

import ast
import gc
import importlib.util
import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from archguard.dataflow.analysis import Analyzer, OperationReach
from archguard.dataflow.config import LOCAL_PATTERNS, ConfigError, DataFlowConfig
from archguard.dataflow.index import ClassInfo, FunctionInfo, ProjectIndex, import_bindings
from archguard.dataflow.model import Category, Finding, Hop, OperationResult, Report, Vocabulary
from archguard.dataflow.names import expression_matches, in_packages


def check(config: DataFlowConfig, *, modules: Iterable[str] | None = None,
          package_dirs: dict[str, Path] | None = None) -> Report:
    """Run the data-flow rules over the source of the configured packages.

    ``modules`` (e.g. the grimp graph's modules) and ``package_dirs`` replace the search of the root
    packages in the source directories; the import-linter contract passes them. On a large tree the
    service modules are shared out between ``config.jobs`` worker processes (see ``DataFlowConfig.jobs``).
    Raises ``ConfigError`` naming every configured package, module or class that does not exist.
    """
    # The syntax trees read stay alive until the end, and the cyclic garbage collector would walk all of
    # them again and again as they grow (a third of the run time on a large tree): it is paused meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        module_list = None if modules is None else sorted(modules)
        checker = _Checker(_index(config, module_list, package_dirs), config)
        external = checker.validate()
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
                results = list(pool.map(_check_part, [(config, module_list, package_dirs, external, part)
                                                      for part in parts]))
            operations = [op for part_operations, _, _, _ in results for op in part_operations]
            domain_code = [f for _, _, findings, _ in results for f in findings]
            for _, reached, _, _ in results:
                for port, hop in reached.items():
                    checker.analyzer.reached_ports.setdefault(port, hop)
            checker.extra_parsed = sum(parsed for _, _, _, parsed in results)
        else:
            operations, domain_code = checker.check_operations(service_modules)
        return checker.finish(operations, domain_code)
    finally:
        if collecting:
            gc.enable()


PARALLEL_THRESHOLD = 1000  # service modules; below this one process is about as fast as starting workers


def _index(config: DataFlowConfig, modules: list[str] | None, package_dirs: dict[str, Path] | None
           ) -> ProjectIndex:
    return ProjectIndex(config.root, config.packages_to_read, modules=modules, package_dirs=package_dirs,
                        exclude=config.exclude_modules, source_dirs=config.source_directories)


def _jobs(requested: int, service_modules: int) -> int:
    if requested == 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if requested == 0:  # automatic
        if service_modules < PARALLEL_THRESHOLD:
            return 1
        requested = min(os.cpu_count() or 1, 8)
    return max(1, min(requested, service_modules))


def _check_part(args: tuple[DataFlowConfig, list[str] | None, dict[str, Path] | None, list[_External], list[str]]
                ) -> tuple[list[OperationResult], dict[str, Hop], list[Finding], int]:
    """A worker process: the operations of some service modules."""
    config, modules, package_dirs, external, service_modules = args
    gc.disable()  # as in the parent (see check); the worker ends with the task
    index = _index(config, modules, package_dirs)
    checker = _Checker(index, config)
    for entry in external:
        checker.analyzer.add_external_class(entry.name, entry.aliases, entry.categories)
    operations, domain_code = checker.check_operations(service_modules)
    return operations, dict(checker.analyzer.reached_ports), domain_code, index.parsed_count


@dataclass(frozen=True)
class _External:
    """A configured class from outside the project, with the names it is known by."""

    name: str
    aliases: tuple[str, ...]
    categories: frozenset[Category]


class _Checker:
    def __init__(self, index: ProjectIndex, config: DataFlowConfig) -> None:
        self.index = index
        self.config = config
        self.analyzer = Analyzer(index, config)
        self.vocabulary = Vocabulary(config.local_label, config.live_label, config.sync_label)
        self.extra_parsed = 0

    # The configuration against the code -----------------------------------------------------------------

    def validate(self) -> list[_External]:
        """Every configured package, module and class exists; ``ConfigError`` naming those that do not.
        Returns the configured external classes (declared to the analyzer)."""
        config, index = self.config, self.index
        problems: list[str] = []
        for option in ("root_packages", "domain_packages", "infra_packages", "port_modules", "live_packages",
                       "local_packages", "jobs_packages"):
            for name in getattr(config, option):
                if not index.has_module(name):
                    problems.append(f"{option}: {name} (no such package or module in the project)")
        names = index.module_names
        for option in ("service_modules", "exclude_modules"):
            for expression in getattr(config, option):
                if option == "service_modules" and not any(expression_matches(n, expression) for n in names):
                    problems.append(f"{option}: {expression} (matches no module)")
        external: dict[str, _External] = {}
        for option, category in (("live_classes", Category.LIVE), ("local_classes", Category.LOCAL),
                                 ("sync_classes", Category.SYNC)):
            for name in getattr(config, option):
                if index.in_project(name):
                    problem = self._project_name_problem(name, functions=option == "sync_classes")
                else:
                    aliases, problem = _external_class_aliases(name)
                    if problem is None:
                        known = external.get(name)
                        cats = (known.categories if known else frozenset()) | {category}
                        external[name] = _External(name, tuple(aliases), frozenset(cats))
                if problem:
                    problems.append(f"{option}: {name} ({problem})")
        if problems:
            raise ConfigError("the configuration names what does not exist:\n"
                              + "\n".join(f"  - {problem}" for problem in problems))
        for entry in external.values():
            self.analyzer.add_external_class(entry.name, entry.aliases, entry.categories)
        return list(external.values())

    def _project_name_problem(self, name: str, *, functions: bool) -> str | None:
        module_name, _, attr = name.rpartition(".")
        if not module_name or not self.index.has_module(module_name):
            return f"no module {module_name or name} in the project"
        info = self.index.module(module_name)
        if info is None:
            return f"module {module_name} cannot be read"
        if attr in info.classes or (functions and attr in info.functions):
            return None
        if attr in info.functions:
            return f"{attr} is a function, not a class"
        return f"module {module_name} defines no class {attr}"

    # Operations -------------------------------------------------------------------------------------

    def check_operations(self, service_modules: list[str]) -> tuple[list[OperationResult], list[Finding]]:
        operations: list[OperationResult] = []
        domain_code: list[Finding] = []
        for module_name in service_modules:
            info = self.index.module(module_name)
            if info is None:
                continue
            for cls in info.classes.values():
                finding = self._domain_code_class(cls)
                if finding is not None:
                    domain_code.append(finding)
                elif self.analyzer.is_service_class(cls):
                    for method in self.analyzer.public_methods(cls):
                        operations.append(self._operation(method, cls.qualname))
            for func in info.functions.values():
                if func.name.startswith("_"):
                    continue
                finding = self._domain_code_function(func)
                if finding is not None:
                    domain_code.append(finding)
                else:
                    operations.append(self._operation(func, None))
        return operations, domain_code

    def finish(self, operations: list[OperationResult], domain_code: list[Finding]) -> Report:
        findings: list[Finding] = [f for op in operations for f in op.findings]
        findings.extend(domain_code)
        findings.extend(self._domain_code_outside_services())
        seen_operations = {op.name for op in operations}
        findings.extend(self._undeclared_ports())
        for name, pattern in sorted(self.config.expected.items()):
            if name not in seen_operations:
                findings.append(Finding("unknown-expectation", name, pattern,
                                        f"is expected in the configuration, but {self._why_not_an_operation(name)}",
                                        target=name))
        return Report(
            operations=tuple(sorted(operations, key=lambda op: op.name)),
            findings=tuple(sorted(set(findings), key=Finding.sort_key)),
            strict=self.config.strict,
            modules_read=self.index.parsed_count + self.extra_parsed,
            vocabulary=self.vocabulary,
            root=str(self.index.root),
        )

    def _operation(self, func: FunctionInfo, bound: str | None) -> OperationResult:
        """One operation: ``func`` called on an instance of ``bound`` (its class, or a subclass that
        inherits it: the operation is then named after the subclass)."""
        config = self.config
        name = func.qualname if bound is None or func.class_qualname == bound else f"{bound}.{func.name}"
        info = self.index.module(func.module)
        path = info.display_path if info else ""
        declared, declared_by, invalid = self._declaration(func, name)
        reach = self.analyzer.operation_reach(func, bound)
        op_hop = Hop(func.display, path, func.lineno)
        shown = invalid or declared or "undeclared"
        findings: list[Finding] = []

        def add(rule: str, message: str, target: str = "", chain: tuple[Hop, ...] = (op_hop,)) -> None:
            findings.append(Finding(rule, name, shown, message, target, chain, path, func.lineno))

        if invalid:
            add("invalid-declaration", self._invalid_message(invalid), invalid)
        categories = {r.category for r in reach.reaches}
        observed = _observed(reach, self.vocabulary)
        if declared is None and not invalid and config.require_declarations:
            markers = _either([f"@{m}" for m in (*config.local_read_markers[:1], *config.local_write_markers[:1],
                                                 *config.live_markers[:1])])
            add("undeclared-operation",
                f"is not declared local_read, local_write or live (observed: {observed}); mark it {markers}")
        for r in reach.reaches:
            if r.category is Category.SYNC:
                add("domain-reaches-sync", f"reaches {r.display}", r.target, r.chain)
            elif r.category is Category.LIVE and declared in LOCAL_PATTERNS:
                add("local-reaches-live", f"reaches {r.display}", r.target, r.chain)
        if declared == "live" and Category.LIVE not in categories and not reach.unresolved:
            # (With an unresolved call, that call may be the live one: it is the finding, not this.)
            add("live-reaches-no-live-port", f"reaches no live port (observed: {observed})")
        for u in reach.unresolved:
            add("unresolved-call", f"makes an unresolved call {u.text} ({u.reason})", f"{u.function}:{u.text}",
                u.chain)
        return OperationResult(
            name=name, path=path, line=func.lineno, declared=declared, declared_by=declared_by,
            reaches=reach.reaches, unresolved=len(reach.unresolved), findings=tuple(findings), observed=observed,
        )

    def _declaration(self, func: FunctionInfo, name: str) -> tuple[str | None, str | None, str | None]:
        """(declared pattern, where it was declared, an invalid combination or None). ``name`` is the
        operation's (the subclass's, for an inherited method); an expectation may name the definition."""
        config = self.config
        decorators = set(func.decorators)
        in_code = [pattern for pattern, markers in (("local_read", config.local_read_markers),
                                                    ("local_write", config.local_write_markers),
                                                    ("live", config.live_markers))
                   if decorators & set(markers)]
        expected = config.expected.get(name, config.expected.get(func.qualname))
        if len(in_code) > 1:
            return None, None, "+".join(in_code)
        if in_code:
            if expected is not None and expected != in_code[0]:
                return None, None, f"{in_code[0]}/{expected}"
            return in_code[0], "code", None
        if expected is not None:
            return expected, "config", None
        return None, None, None

    def _invalid_message(self, invalid: str) -> str:
        if "/" in invalid:
            code, expected = invalid.split("/")
            return f"is marked {code} in the code but expected {expected} in the configuration"
        return f"is marked {' and '.join(invalid.split('+'))}; an operation has exactly one pattern"

    # Live or sync code in the domain layer --------------------------------------------------------------

    def _domain_code_class(self, cls: ClassInfo) -> Finding | None:
        """One finding for a class of the domain packages that is itself live or sync code (its methods
        are then not operations: the root cause is where the class lives, not each method)."""
        cats = self.analyzer.class_categories(cls.qualname) & {Category.LIVE, Category.SYNC}
        sync_methods = [m for m in cls.methods.values() if set(m.decorators) & set(self.config.sync_job_markers)]
        if sync_methods:
            cats |= {Category.SYNC}
        if not cats or self.analyzer.is_protocol(cls.qualname):
            return None  # a port declared in the domain (a Protocol) is an interface, not the code behind it
        return self._domain_code_finding(cls.qualname, "class", cats, cls.lineno, cls.module,
                                         self._reason(cls.qualname, cls.decorators, cats, bool(sync_methods)))

    def _domain_code_function(self, func: FunctionInfo) -> Finding | None:
        cats = self.analyzer.function_categories(func) & {Category.LIVE, Category.SYNC}
        if not cats:
            return None
        return self._domain_code_finding(func.qualname, "function", cats, func.lineno, func.module,
                                         self._reason(func.qualname, func.decorators, cats, False))

    def _domain_code_outside_services(self) -> list[Finding]:
        """Marked or configured live/sync classes of the domain packages outside the service modules."""
        config = self.config
        findings: list[Finding] = []
        candidates = {name.rpartition(".")[0] for name in (*config.live_classes, *config.sync_classes)}
        # Marked ones: a module is parsed only if its text names a sync marker as a decorator.
        decorators = tuple(f"@{m}" for m in config.sync_job_markers) + tuple(f".{m}\n" for m in config.sync_job_markers)
        for module_name in self.index.module_names:
            if (module_name not in candidates and in_packages(module_name, config.domain_packages)
                    and not self._is_service_module(module_name)):
                text = self.index.source_text(module_name)
                if text and any(marker in text for marker in decorators):
                    candidates.add(module_name)
        for module_name in sorted(candidates):
            if not in_packages(module_name, config.domain_packages) or self._is_service_module(module_name):
                continue
            info = self.index.module(module_name)
            for cls in (info.classes.values() if info else ()):
                finding = self._domain_code_class(cls)
                if finding is not None:
                    findings.append(finding)
            for func in (info.functions.values() if info else ()):
                finding = self._domain_code_function(func)
                if finding is not None:
                    findings.append(finding)
        return findings

    def _domain_code_finding(self, qualname: str, kind: str, cats: set[Category] | frozenset[Category], line: int,
                             module: str, reason: str) -> Finding:
        info = self.index.module(module)
        path = info.display_path if info else None
        what = " and ".join(c.value for c in (Category.LIVE, Category.SYNC) if c in cats)
        jobs = ", ".join(self.config.jobs_packages) or "a jobs package"
        where = (f"move it to {jobs}" if Category.SYNC in cats
                 else "put it behind a live port and move it to the infrastructure")
        message = f"is {what} code in the domain layer ({reason}); {where}"
        return Finding("sync-or-live-code-in-domain", qualname, kind, message, qualname,
                       (Hop(_short(qualname), path, line),), path, line)

    def _reason(self, qualname: str, decorators: tuple[str, ...], cats: Iterable[Category], sync_methods: bool) -> str:
        config = self.config
        reasons = []
        if qualname in config.sync_classes:
            reasons.append("sync_classes")
        if qualname in config.live_classes:
            reasons.append("live_classes")
        marked = set(decorators) & {*config.sync_job_markers, *config.live_port_markers}
        reasons += [f"marked @{m}" for m in sorted(marked)]
        if sync_methods:
            reasons.append(f"methods marked @{config.sync_job_markers[0]}")
        if not reasons:
            reasons.append("configured through a base class or package")
        return ", ".join(reasons)

    def _is_service_module(self, module: str) -> bool:
        return in_packages(module, self.config.domain_packages) and any(
            expression_matches(module, e) for e in self.config.service_module_expressions)

    # Expectations that match nothing ------------------------------------------------------------------

    def _why_not_an_operation(self, name: str) -> str:
        """Why ``name`` (from ``expected``) is no operation: the most specific reason there is."""
        parts = name.split(".")
        module_name = next((".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)
                            if self.index.has_module(".".join(parts[:i]))), None)
        if module_name is None:
            return f"there is no module {'.'.join(parts[:-1]) or name}"
        rest = parts[len(module_name.split(".")):]
        info = self.index.module(module_name)
        if len(rest) > 1 and info is not None and not any(
                rest[0] in names for names in (info.classes, info.functions, info.bindings, info.variables)):
            return f"there is no module {module_name}.{rest[0]}"
        if not self._is_service_module(module_name):
            expressions = ", ".join(self.config.service_module_expressions)
            return f"{module_name} is not a service module (service modules match {expressions})"
        if info is None:
            return f"{module_name} cannot be read"
        head = rest[0]
        if head in info.classes:
            cls = info.classes[head]
            if len(rest) == 1:
                return f"{head} is a class, not a function or method (name one of its methods)"
            method = next((k.methods[rest[1]] for k in self.analyzer.mro(cls.qualname)[0] if rest[1] in k.methods),
                          None)
            if len(rest) > 2:
                return f"{'.'.join(rest[:2])} is a method; operations are not nested deeper"
            if method is None:
                return f"class {head} has no method {rest[1]}"
            if method.name.startswith("_"):
                return f"{head}.{rest[1]} is private"
            if method.is_property:
                return f"{head}.{rest[1]} is a property"
            if self._domain_code_class(cls) is not None:
                return f"{head} is live or sync code in the domain layer, not a service"
            if self.analyzer.is_base_class(cls):
                return (f"{head} is a base class (abstract, or named like one of base_classes): its methods are "
                        "operations of the service classes that inherit them")
            return f"{head} is not a service class ({self._not_a_service(cls)})"
        if head in info.functions:
            if len(rest) > 1:
                return f"{head} is a function; it has no member {'.'.join(rest[1:])}"
            if head.startswith("_"):
                return f"{head} is private"
            return f"{head} is live or sync code in the domain layer, not an operation"
        if head in info.bindings or head in info.variables:
            return f"{head} is imported or assigned in {module_name}, not defined there as a function or class"
        return f"{module_name} has no {head}"

    def _not_a_service(self, cls: ClassInfo) -> str:
        if cls.name.startswith("_"):
            return "it is private"
        kind = self.analyzer.class_kind(cls.qualname)
        if kind != "behaviour":
            return {"enum": "an enum", "exception": "an exception", "protocol": "a Protocol",
                    "record": "a record with no public method"}[kind]
        return f"its name matches none of service_classes: {', '.join(self.config.service_classes)}"

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


def _observed(reach: OperationReach, vocabulary: Vocabulary) -> str:
    return vocabulary.observed({r.category for r in reach.reaches}, bool(reach.unresolved))


def _either(words: list[str]) -> str:
    """``a, b or c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _short(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


# External classes named in the configuration ------------------------------------------------------------


def _external_class_aliases(name: str) -> tuple[list[str], str | None]:
    """The names an installed (not project) class is known by, found by reading its package's source
    (nothing is imported): ``sqlalchemy.orm.Session`` is defined as ``sqlalchemy.orm.session.Session``.
    Returns (aliases, None), or ([], why it cannot be found)."""
    aliases: list[str] = []
    module_name, _, attr = name.rpartition(".")
    seen: set[str] = set()
    while module_name and name not in seen:
        seen.add(name)
        path = _external_module_path(module_name)
        if path is None:
            if not aliases and importlib.util.find_spec(module_name.split(".")[0]) is None:
                return [], f"{module_name.split('.')[0]} is neither a package of the project nor installed"
            if not aliases:
                return [], f"no module {module_name} (in the project or installed)"
            return aliases, None
        if path.suffix != ".py":
            return aliases, None  # a compiled module: its names cannot be read, the name is trusted
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            return aliases, None
        target = _binding_in(tree, attr, module_name, path.name == "__init__.py")
        if target is None:
            if not aliases:
                return [], f"module {module_name} has no name {attr}"
            return aliases, None
        if target == name:  # defined here
            return aliases, None
        aliases.append(target)
        name = target
        module_name, _, attr = target.rpartition(".")
    return aliases, None


def _binding_in(tree: ast.Module, attr: str, module_name: str, is_package: bool) -> str | None:
    """What ``attr`` is in a module: itself (``module.attr``) if defined or assigned there, the name it
    was imported from, or None if the module does not bind it."""
    found: str | None = None
    for stmt in _top_level(tree.body):
        if isinstance(stmt, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == attr:
            found = f"{module_name}.{attr}"
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == attr for t in targets):
                found = f"{module_name}.{attr}"
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for bound, binding in import_bindings(stmt, module_name, is_package):
                if bound == attr:
                    found = f"{binding.module}.{binding.name}" if binding.name else binding.module
    return found


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    result: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If | ast.Try):
            for block in (stmt.body, stmt.orelse, *(h.body for h in getattr(stmt, "handlers", ())),
                          getattr(stmt, "finalbody", [])):
                result.extend(_top_level(block))
        else:
            result.append(stmt)
    return result


def _external_module_path(module_name: str) -> Path | None:
    """The source file of an installed module, found from its top-level package's location (only the
    top-level package is looked up, which imports nothing)."""
    top, *rest = module_name.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if not rest:
        if spec.origin and spec.origin not in ("built-in", "frozen"):
            return Path(spec.origin)
        return None
    for location in spec.submodule_search_locations or ():
        target = Path(location).joinpath(*rest)
        if (target / "__init__.py").is_file():
            return target / "__init__.py"
        for suffix in (".py", ".pyi"):
            if target.with_suffix(suffix).is_file():
                return target.with_suffix(suffix)
        compiled = list(target.parent.glob(f"{target.name}.*.so")) if target.parent.is_dir() else []
        if compiled:
            return compiled[0]
    return None


__all__ = ["check"]
