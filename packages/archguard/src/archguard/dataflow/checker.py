"""``check(config) -> Report``: find the domain operations, what each reaches, and the rule findings.

An operation is a public method of a service class, or a public module-level function, of a service
module. A class or function of the domain packages that is itself live or sync code (marked or
configured so) is not an operation: it is one ``sync-or-live-code-in-domain`` finding, however many
methods it has.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import importlib.util
import marshal
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any

from archguard.dataflow.analysis import Analyzer
from archguard.dataflow.config import LOCAL_PATTERNS, ConfigError, DataFlowConfig
from archguard.dataflow.index import ClassInfo, FunctionInfo, ProjectIndex, import_bindings
from archguard.dataflow.model import Category, Finding, Hop, OperationResult, Reach, Report, Vocabulary
from archguard.dataflow.names import expression_matches, expressions_matcher, in_packages, packages_matcher
from archguard.dataflow.summaries import CALL, REACH, Derived, Key, Summary, UnresolvedSite, derive

#: How many of the operations reaching an unresolved call site its finding's text names (JSON and SARIF
#: list up to ``summaries.NAMED_OPERATIONS``; every one is counted).
UNRESOLVED_NAMES_SHOWN = 3


def check(config: DataFlowConfig, *, modules: Iterable[str] | None = None,
          package_dirs: dict[str, Path] | None = None, cache_dir: Path | None = None) -> Report:
    """Run the data-flow rules over the source of the configured packages.

    ``modules`` (e.g. the grimp graph's modules) and ``package_dirs`` replace the search of the root
    packages in the source directories; the import-linter contract passes them. With ``cache_dir`` the
    summaries of a previous run are reused where no module they were read from changed (see
    ``archguard.dataflow.cache``): the report is the same, byte for byte, as without it. On a large tree
    the service modules may be shared out between ``config.jobs`` worker processes.
    Raises ``ConfigError`` naming every configured package, module or class that does not exist.
    """
    # The cyclic garbage collector would walk every syntax tree held again and again as they are made (a
    # third of the run time on a large tree); nothing made here is cyclic garbage worth collecting early.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Run(config, None if modules is None else sorted(modules), package_dirs, cache_dir).report()
    finally:
        if collecting:
            gc.enable()


@dataclass(frozen=True)
class ReusedReport:
    """The report a previous run rendered, still the report of the source (``check_or_reuse``)."""

    rendered: Path  # the rendering kept beside the cache (copy it: another run may replace it)
    digest: str  # its content's hash (``file_digest``), as it was kept
    status: int  # the exit status it gave
    failing: int  # how many findings failed
    statistics: dict[str, int]


def check_or_reuse(config: DataFlowConfig, *, cache_dir: Path, render_key: str) -> Report | ReusedReport:
    """``check``, or the report last rendered as ``render_key`` (format, options, output) if it is still
    the report of the source: the cache was left as that run wrote it, the same modules exist, and every
    record of the cache whose dependencies changed since comes out the same when worked out again (a
    change that moved nothing the checker reads, like a comment), or differs only in the lines of
    changed files the rendering never names (a line added above the code: every position below it
    moves, and none of them is shown). Either way the cache is brought up to date. A ``Report`` it
    returns carries in ``memo`` what the caller keeps with its rendering (``remember_rendering``)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        run = _Run(config, None, None, cache_dir)
        reused = run.reuse(render_key)
        return reused if reused is not None else run.report()
    finally:
        if collecting:
            gc.enable()


def remember_rendering(report: Report, render_key: str, rendered: Path, status: int) -> None:
    """Keep a report's rendering (the file ``rendered``, copied) with the cache it was derived from
    (``check_or_reuse``). The copy is made file to file: a large report is never held twice in memory."""
    if report.memo is None:
        return
    import shutil

    from archguard import cachefile

    path, identity, names = report.memo
    copy = Path(path).with_suffix(".rendered")
    temporary = copy.with_name(f".{copy.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(rendered, temporary)
        digest = file_digest(temporary)
        os.replace(temporary, copy)
    except OSError:
        temporary.unlink(missing_ok=True)
        return
    cachefile.write(Path(path), {"identity": identity, "names": names, "render": render_key, "digest": digest,
                                 "status": status, "failing": len(report.failing())})


def file_digest(path: Path) -> str:
    """A file's content hash, read in pieces."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _names_digest(names: Iterable[str]) -> str:
    return hashlib.blake2b("\n".join(names).encode("utf-8"), digest_size=16).hexdigest()


PARALLEL_THRESHOLD = 400  # service modules to read; below this one process is about as fast as starting workers
#: Syntax trees unused for this many service modules are dropped (their summaries are kept), unless a
#: module had to be parsed again once already; and the least recently used are dropped while the
#: source of the trees held exceeds TREE_BUDGET bytes (a tree takes some 20-40 times its source).
IDLE_MODULES = 24
TREE_BUDGET = 32_000_000
EVICT_EVERY = 8  # service modules between two looks at what to drop


def _index(config: DataFlowConfig, modules: list[str] | None, package_dirs: dict[str, Path] | None
           ) -> ProjectIndex:
    return ProjectIndex(config.root, config.packages_to_read, modules=modules, package_dirs=package_dirs,
                        exclude=config.exclude_modules, source_dirs=config.source_directories)


def _jobs(requested: int, service_modules: int) -> int:
    if requested == 1 or service_modules < 2:
        return 1
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if requested == 0:  # automatic
        if service_modules < PARALLEL_THRESHOLD:
            return 1
        requested = min(os.cpu_count() or 1, 8)
    return max(1, min(requested, service_modules))


class OperationDeclaration(tuple):
    """An operation as its service module defines it (plain data, as the cache keeps it)."""

    __slots__ = ()
    name: str = property(itemgetter(0))  # type: ignore[assignment]  # module.Class.method or module.function
    function: str = property(itemgetter(1))  # type: ignore[assignment]  # the qualname of the function run
    module: str = property(itemgetter(2))  # type: ignore[assignment]  # the module defining that function
    bound: str | None = property(itemgetter(3))  # type: ignore[assignment]  # the class of ``self``
    path: str = property(itemgetter(4))  # type: ignore[assignment]
    line: int = property(itemgetter(5))  # type: ignore[assignment]
    display: str = property(itemgetter(6))  # type: ignore[assignment]
    declared: str | None = property(itemgetter(7))  # type: ignore[assignment]
    declared_by: str | None = property(itemgetter(8))  # type: ignore[assignment]
    invalid: str | None = property(itemgetter(9))  # type: ignore[assignment]

    def __new__(cls, name: str, function: str, module: str, bound: str | None, path: str, line: int,
                display: str, declared: str | None, declared_by: str | None, invalid: str | None
                ) -> OperationDeclaration:
        return tuple.__new__(cls, (name, function, module, bound, path, line, display, declared, declared_by,
                                   invalid))

    def __getnewargs__(self) -> tuple:
        return tuple(self)

    @property
    def key(self) -> Key:
        return (self[1], self[3])

    @property
    def owner(self) -> str:
        return owner_of(self[3], self[2])


@dataclass(frozen=True, slots=True)
class ModuleDeclarations:
    """What a service module declares: its operations, and its classes and functions that are live or
    sync code in the domain layer."""

    operations: tuple[OperationDeclaration, ...]
    domain_code: tuple[Finding, ...]


def owner_of(bound: str | None, module: str) -> str:
    """The module a summary is about: the module of the class ``self`` is an instance of, which decides
    it (and sees the function's own module through its bases), else the function's module."""
    return bound.rpartition(".")[0] if bound else module


class _Run:
    """One check: the declarations of the service modules, the summaries of everything their operations
    reach (read, or taken from the cache), then the report derived from them."""

    def __init__(self, config: DataFlowConfig, modules: list[str] | None, package_dirs: dict[str, Path] | None,
                 cache_dir: Path | None) -> None:
        self.config = config
        self.modules = modules
        self.package_dirs = package_dirs
        self.index = _index(config, modules, package_dirs)
        self.checker = _Checker(self.index, config)
        self.analyzer = self.checker.analyzer
        self.external = self.checker.validate()
        self.cache = None
        if cache_dir is not None:
            from archguard.dataflow.cache import Cache

            self.cache = Cache.open(cache_dir, config, self.index, self.external)
        self.checker.fact = self.fact
        self.declarations: dict[str, ModuleDeclarations] = {}
        self.facts: dict[tuple[str, str], tuple[Finding, ...]] = {}
        self.summaries: dict[Key, Summary] = {}
        self.owners: dict[Key, str] = {}  # the module each summary is about
        self.computed_owners: set[str] = set()  # owners something was read for in this run
        self.summaries_computed = 0
        #: What the operations of each service module reach, in plain data, for the cache (only for the
        #: modules it was worked out for in this run).
        self.derived: dict[str, tuple] = {}
        #: The service modules whose results the cache holds, still true (``read``).
        self.reused_derived: dict[str, tuple] = {}
        self.done: set[str] = set()  # service modules read (here or by a worker)
        self.declarations_computed = 0
        self.extra_parses = 0  # in worker processes
        self.workers_lost = 0  # workers that died: their parts were read by the parent
        #: Per owner, its summaries as the cache writes them, made by the one worker that alone computed
        #: summaries about it (while the parent still read): see ``_summary_records``.
        self.summary_bytes: dict[str, tuple[int, bytes]] = {}  # (how many summaries, marshalled)
        self.reusing = False  # reusing the last report (``reuse``): the cache keeps all it holds
        #: Summaries ``_same_records`` worked out without what they call (trying to reuse the last report):
        #: if the report is derived after all, their calls are followed first (``_follow_unfollowed``).
        self.unfollowed: list[Key] = []
        self.results_rederived = 0  # service modules whose kept results were derived again (``reuse``)

    def report(self) -> Report:
        started = time.perf_counter()
        service_modules = self.analyzer.service_modules()
        pending = service_modules
        if self.cache is not None and self.cache.loaded:  # work for workers: what the cache does not hold
            pending = [module for module in service_modules if not self._held(module)]
        jobs = _jobs(self.config.jobs, len(pending))
        if jobs > 1:
            self._in_workers(pending, jobs)
        self.read(service_modules)
        self._follow_unfollowed()
        read = time.perf_counter()
        ops, results, sites, ports = self._derive(service_modules)
        report = self.checker.finish(self.declarations, ops, results, sites, ports, service_modules)
        derived = time.perf_counter()
        if self.cache is not None:
            self.cache.save(self)
        saved = time.perf_counter()
        report.statistics.update(
            read_ms=round((read - started) * 1000), derive_ms=round((derived - read) * 1000),
            save_ms=round((saved - derived) * 1000))
        if self.cache is not None and self.cache.identity is not None and not self.config.expected:
            object.__setattr__(report, "memo", (str(self.cache.memo_path), self.cache.identity,
                                                _names_digest(self.index.module_names)))
        report.statistics.update(
            service_modules=len(service_modules), operations=len(report.operations),
            modules_parsed=self.index.parsed_count + self.checker.extra_parsed,
            parses=self.index.parses + self.extra_parses, summaries=len(self.summaries),
            summaries_computed=self.summaries_computed, declarations_computed=self.declarations_computed,
            cache_used=int(self.cache is not None and self.cache.loaded), workers=jobs)
        if self.workers_lost:
            report.statistics.update(workers_lost=self.workers_lost)
        return report

    def reuse(self, render_key: str) -> ReusedReport | None:
        """See ``check_or_reuse``."""
        from archguard import cachefile

        cache = self.cache
        if cache is None or not cache.loaded or cache.identity is None or self.config.expected:
            return None  # (an expectation matching no operation is explained from modules no record names)
        memo = cachefile.read(cache.memo_path)
        rendered = cache.memo_path.with_suffix(".rendered")
        if not isinstance(memo, dict) or memo.get("identity") != cache.identity or memo.get("render") != render_key \
                or memo.get("names") != _names_digest(self.index.module_names) or not rendered.is_file():
            return None
        started = time.perf_counter()
        invalid = sorted(cache.invalid)
        if not self._same_records(invalid, self._unshown_paths(rendered)):
            return None
        self.reusing = True
        cache.save(self)
        if cache.identity is not None:
            cachefile.write(cache.memo_path, {**memo, "identity": cache.identity})
        statistics = dict(reused_report=1, records_checked=len(invalid), results_derived=self.results_rederived,
                          modules_parsed=self.index.parsed_count, summaries_computed=self.summaries_computed,
                          declarations_computed=self.declarations_computed,
                          check_ms=round((time.perf_counter() - started) * 1000))
        return ReusedReport(rendered, memo["digest"], memo["status"], memo["failing"], statistics)

    def _unshown_paths(self, rendered: Path) -> frozenset[str]:
        """The paths of the changed module files that the kept rendering never names: no position in them
        is shown (every format shows a line beside its path: ``name (path:line)``, ``"path"`` and
        ``"line"`` members, a SARIF location's URI and region). Only paths written the same way in every
        format (letters, digits, ``_ . / -``) are looked for."""
        assert self.cache is not None
        index = self.index
        candidates = set()
        for name in self.cache.changed:
            path = index.path_of(name)
            if path is not None:
                display = index.display_path(Path(path))
                if _PLAIN_PATH.fullmatch(display):
                    candidates.add(display)
        if not candidates:
            return frozenset()
        try:
            text = rendered.read_bytes()
        except OSError:
            return frozenset()
        return frozenset(path for path in candidates if path.encode("ascii") not in text)

    def _same_records(self, owners: list[str], unshown: frozenset[str] = frozenset()) -> bool:
        """Work out again every record of ``owners`` (whose dependencies changed): True if each comes out
        as the cache holds it (kept for the cache then), False at the first that does not.

        A record may also come out with only its positions in the files ``unshown`` moved (lines added or
        removed there, in files the rendering never names): the rendering stays the same, but the results
        kept for the service modules whose operations reach a moved record are derived again from the
        summaries (``_derive_moved``), so the cache holds the positions as they are now."""
        from archguard.dataflow.cache import _declarations_to, _finding_to

        cache, analyzer, checker = self.cache, self.analyzer, self.checker
        assert cache is not None
        derived: dict[str, tuple] = {}
        moved: set[str] = set()  # owners some of whose records came out with positions moved

        def same(new: object, old: object, unmoved: Callable[[Any, frozenset[str]], object]) -> bool:
            if new == old:
                return True
            if unshown and unmoved(new, unshown) == unmoved(old, unshown):
                moved.add(owner)
                return True
            return False

        for owner in owners:
            summaries = cache.raw(owner, "summaries") or {}
            rest = cache.raw(owner, "rest") or {}
            if not set(rest) <= {"declarations", "derived", "outside", "ports"}:
                return False
            # Whatever is worked out here is the owner's, afresh: kept (and saved) if the check goes on.
            self.computed_owners.add(owner)
            for text, old in summaries.items():
                qualname, _, bound = text.partition("|")
                key = (qualname, bound or None)
                func = analyzer.function_info(qualname)
                if func is None:
                    return False
                summary = analyzer.summary(func, key[1])
                self.summaries_computed += 1
                self.summaries[key] = summary
                self.owners[key] = owner
                self.unfollowed.append(key)
                if not same(marshal.loads(marshal.dumps(summary)), old, _summary_unmoved):
                    return False
            if "declarations" in rest:
                declarations = checker.declare(owner)
                self.declarations_computed += 1
                self.declarations[owner] = declarations
                if not same(_declarations_to(declarations), rest["declarations"], _declarations_unmoved):
                    return False
            for name in ("outside", "ports"):
                if name in rest:
                    compute = (lambda m=owner: checker.outside(m)) if name == "outside" else (
                        lambda m=owner: checker._ports_in(m))
                    if not same(tuple(_finding_to(f) for f in self.fact(owner, name, compute)), rest[name],
                                _findings_unmoved):
                        return False
            if "derived" in rest:
                derived[owner] = rest["derived"]
        if moved:
            again = self._derive_moved(moved, unshown)
            if again is None:
                return False
            derived.update(again)
            self.results_rederived = len(again)
        self.derived.update(derived)  # derived from records that all came out the same (positions aside)
        return True

    def _derive_moved(self, moved: set[str], unshown: frozenset[str]) -> dict[str, tuple] | None:
        """The results of every service module whose operations reach a summary of ``moved`` owners,
        derived again (what the cache keeps); None if one comes out otherwise than as kept, positions
        in ``unshown`` aside, or its operations reach an unresolved call site (those are counted over
        all operations at once: the report is derived anew then).

        The modules are found by the names of the moved owners in the kept results' bytes (a name
        appears in marshal data as it is written), then by the modules the results record."""
        cache = self.cache
        assert cache is not None
        needles = [owner.encode("utf-8") for owner in moved]
        found: list[tuple[str, tuple]] = []
        for module in self.analyzer.service_modules():
            data = cache.raw_bytes(module, "rest")
            if data is None or not any(needle in data for needle in needles):
                continue
            record = marshal.loads(data).get("derived")
            if record is None or record[0] is None:
                continue  # never taken from the cache (the modules it spans are not kept)
            if moved.isdisjoint(record[0]):
                continue
            if record[3]:
                return None
            found.append((module, record))
        if not found:
            return {}
        for module, _ in found:
            if module not in self.declarations:
                declarations = cache.declarations(module)
                if declarations is None:
                    return None
                self.declarations[module] = declarations
        modules = [module for module, _ in found]
        ops = _sorted_operations(self.declarations, modules)
        self._summarise(ops, through_known=True)
        result = derive([op.key for op in ops], self.summaries, self.owners)
        if any(result.unresolved):
            return None
        again = self._derived_records(modules, ops, result)
        for module, old in found:
            if _derived_unmoved(again[module], unshown) != _derived_unmoved(old, unshown):
                return None
        return again

    def used_owners(self) -> set[str]:
        """Every module something of this run's result is about."""
        return (set(self.owners.values()) | set(self.declarations) | {owner for owner, _ in self.facts}
                | set(self.derived) | {owner for found in self.reused_derived.values() for owner in found[0]})

    def read(self, service_modules: Iterable[str]) -> None:
        """The declarations of ``service_modules`` and the summary of everything their operations reach,
        dropping the syntax trees no longer in use as it goes."""
        index, analyzer = self.index, self.analyzer
        for module in service_modules:
            if module in self.done:
                continue
            self.done.add(module)
            declarations = self.declarations.get(module)
            if declarations is None:
                declarations = self.cache.declarations(module) if self.cache is not None else None
                if declarations is None:
                    declarations = self.checker.declare(module)
                    self.computed_owners.add(module)
                    self.declarations_computed += 1
                self.declarations[module] = declarations
            derived = self.cache.derived(module) if self.cache is not None else None
            if derived is not None and not derived[3] and len(derived[1]) == len(declarations.operations):
                # Nothing its operations reach changed, and they reach no unresolved call site: their
                # results stand, and none of their summaries is needed.
                self.reused_derived[module] = derived
                continue
            self._summarise(declarations.operations)
            index.tick += 1
            if index.tick % EVICT_EVERY == 0:
                for idle in index.to_evict(IDLE_MODULES, TREE_BUDGET):
                    analyzer.drop_trees(idle)

    def _held(self, module: str) -> bool:
        """Whether the cache holds all a service module needs (its declarations and results)."""
        assert self.cache is not None
        declarations = self.cache.declarations(module)
        derived = self.cache.derived(module)
        return declarations is not None and derived is not None and not derived[3] \
            and len(derived[1]) == len(declarations.operations)

    def _derive(self, service_modules: list[str]
                ) -> tuple[list[OperationDeclaration], list[tuple[tuple[Reach, ...], int]], list[UnresolvedSite],
                           dict[str, Hop]]:
        """What every operation reaches, derived from the summaries; for a service module whose results
        the cache holds (``read``), taken from there. Unresolved call sites are counted over all
        operations at once: when the modules derived afresh reach one, every module is."""
        owners = self.owners if self.cache is not None else None
        fresh = [module for module in service_modules if module not in self.reused_derived]
        ops = _sorted_operations(self.declarations, fresh)
        derived = derive([op.key for op in ops], self.summaries, owners)
        if self.reused_derived and any(derived.unresolved):
            self._summarise(op for module in self.reused_derived for op in self.declarations[module].operations)
            self.reused_derived.clear()
            fresh = list(service_modules)
            ops = _sorted_operations(self.declarations, fresh)
            derived = derive([op.key for op in ops], self.summaries, owners)
        results: dict[str, tuple[tuple[Reach, ...], int]] = {
            op.name: (reaches, unresolved) for op, reaches, unresolved in zip(
                ops, derived.reaches, derived.unresolved, strict=True)}
        ports = dict(derived.ports)
        if self.cache is not None:
            self._keep_derived(fresh, ops, derived)
        new, categories = tuple.__new__, {c.value: c for c in Category}
        make_hop = partial(new, Hop)
        for module, (_, per_op, module_ports, _) in self.reused_derived.items():
            for op, (reaches, unresolved) in zip(self.declarations[module].operations, per_op, strict=True):
                results[op.name] = (tuple([
                    new(Reach, (categories[c], target, display, tuple(map(make_hop, chain))))
                    for c, target, display, chain in reaches]), unresolved)
            for target, hop in module_ports:
                ports.setdefault(target, Hop(*hop))
        everything = _sorted_operations(self.declarations, service_modules)
        return everything, [results[op.name] for op in everything], derived.sites, ports

    def _keep_derived(self, modules: list[str], ops: list[OperationDeclaration], derived: Derived) -> None:
        self.derived.update(self._derived_records(modules, ops, derived))

    def _derived_records(self, modules: list[str], ops: list[OperationDeclaration], derived: Derived
                         ) -> dict[str, tuple]:
        """For the cache: per service module, its operations' results in plain data, the modules they
        reach into (None if too many to keep), the undeclared ports reached, and whether any
        unresolved call site is reached."""
        records: dict[str, tuple] = {}
        position = {op.name: i for i, op in enumerate(ops)}
        spans = derived.owners or []
        plain = derived.plain  # (the reaches as plain data, made with them: see ``summaries.derive``)
        assert plain is not None, "derived without owners: nothing of it is kept for the cache"
        for module in modules:
            indexes = [position[op.name] for op in self.declarations[module].operations]
            owners: set[str] | None = {module}
            for i in indexes:
                span = spans[i] if spans else None
                if span is None or owners is None:
                    owners = None
                    break
                owners |= span
            per_op = tuple((plain[i], derived.unresolved[i]) for i in indexes)
            ports = tuple(sorted((r.target, (p.name, p.path, p.line)) for i in indexes for r in derived.reaches[i]
                                 if r.category is Category.UNDECLARED_PORT
                                 for p in (derived.ports.get(r.target, Hop(_short(r.target))),)))
            records[module] = (None if owners is None else tuple(sorted(owners)), per_op, ports,
                               any(derived.unresolved[i] for i in indexes))
        return records

    def fact(self, owner: str, name: str, compute: Callable[[], Iterable[Finding]]) -> tuple[Finding, ...]:
        """Findings about one module (``compute``d as that module's, or taken from the cache), once a run."""
        found = self.facts.get((owner, name))
        if found is not None:
            return found
        found = self.cache.fact(owner, name) if self.cache is not None else None
        if found is None:
            self.analyzer.begin()
            previous = self.analyzer.enter(owner)
            try:
                found = tuple(compute())
            finally:
                self.analyzer.leave(previous)
            self.computed_owners.add(owner)
        self.facts[(owner, name)] = found
        return found

    def _summarise(self, operations: Iterable[OperationDeclaration], *, through_known: bool = False) -> None:
        """The summary of everything ``operations`` reach (taken from the cache, or computed). A summary
        already known ends the walk there, unless ``through_known`` (what it calls may not be known:
        ``_same_records`` computes summaries without following their calls)."""
        self._walk([(op.key, op.owner) for op in operations], through_known)

    def _follow_unfollowed(self) -> None:
        """The summaries of what the summaries ``_same_records`` worked out call (a reuse of the last
        report tried in vain: the walks of ``read`` stopped at them, as at any summary known)."""
        summaries = self.summaries
        stack = [((edge[2], edge[3]), owner_of(edge[3], edge[4])) for key in self.unfollowed
                 for edge in summaries[key][2] if edge[0] == CALL and (edge[2], edge[3]) not in summaries]
        self.unfollowed = []
        self._walk(stack, False)

    def _walk(self, stack: list[tuple[Key, str]], through_known: bool) -> None:
        summaries, owners, cache = self.summaries, self.owners, self.cache
        walked: set[Key] = set()
        while stack:
            key, owner = stack.pop()
            summary = summaries.get(key)
            if summary is not None:
                if not through_known or key in walked:
                    continue
                walked.add(key)
            else:
                summary = cache.summary(owner, key) if cache is not None else None
                if summary is None:
                    func = self.analyzer.function_info(key[0])
                    assert func is not None, key
                    summary = self.analyzer.summary(func, key[1])
                    self.computed_owners.add(owner)
                    self.summaries_computed += 1
                summaries[key] = summary
                owners[key] = owner
            for edge in summary[2]:
                if edge[0] == CALL:
                    callee = (edge[2], edge[3])
                    if callee not in summaries or through_known and callee not in walked:
                        stack.append((callee, owner_of(edge[3], edge[4])))

    def _while_workers_run(self) -> None:
        """What the parent works out once it has read its own slice, while its workers may still read
        theirs (it would do it after them): the findings about the domain modules outside the service
        modules, which depend on no summary and read those modules' bytes only, unless a marker is
        found. (``finish`` asks for them first too, as a run in one process does after reading every
        slice. The port modules' findings are left for later: their syntax trees would add to the
        memory held while the workers are at their peak.)"""
        self.checker.domain_code_outside_services()

    def _in_workers(self, service_modules: list[str], jobs: int) -> None:
        # Contiguous slices of the sorted names: a package's services (which call each other and share
        # their helpers) stay in one worker, so a module is seldom read by two. (Slices taken as the
        # workers go, meeting wherever their work balances, would balance sympy's, but which worker reads
        # a module would then depend on timing, and some inferred types on what a worker read before:
        # the report must not change from run to run.)
        # The parent reads the first slice itself, as a worker would (it holds what a worker forked from
        # it starts with, and reads its slice first): it would otherwise idle while its workers read, then
        # unpickle and merge what one more worker found (and that worker's memory would add to the peak).
        # Its summaries come first, as the first worker's did. A worker that dies (killed, out of memory)
        # loses nothing: the parent reads its slice after the others.
        from concurrent.futures import ProcessPoolExecutor  # (only when workers are used: a slow import)
        from concurrent.futures.process import BrokenProcessPool

        size = -(-len(service_modules) // jobs)
        parts = [service_modules[i:i + size] for i in range(0, len(service_modules), size)]
        own, others = parts[0], parts[1:]
        import multiprocessing

        context = multiprocessing.get_context("fork")
        global _WORKER_RUN
        _WORKER_RUN = self
        results: list[tuple] = []
        try:
            with ProcessPoolExecutor(len(others), mp_context=context) as pool:
                futures = [pool.submit(_read_part, part) for part in others]  # (every worker is forked now)
                try:
                    self.read(own)
                    self._drop_trees()
                    self._while_workers_run()
                except BaseException:
                    _stop_workers(pool)
                    raise
                lost: list[str] = []
                for part, future in zip(others, futures, strict=True):
                    try:
                        results.append(future.result())
                    except BrokenProcessPool:  # a worker died (killed, out of memory): its part is read here
                        lost.extend(part)
                        self.workers_lost += 1
        finally:
            _WORKER_RUN = None
        # An owner's summaries marshalled by a worker are the record the cache writes if no other process
        # (the parent, before merging, or another worker) holds a summary about it: the merged summaries
        # about it are then that worker's, in its order.
        sources: dict[str, int] = dict.fromkeys(self.owners.values(), 1)
        for result in results:
            for owner in set(result[2].values()):
                sources[owner] = sources.get(owner, 0) + 1
        for result in results:
            self.summary_bytes.update((owner, data) for owner, data in result[9].items() if sources[owner] == 1)
        digests = self.index.digests
        for declarations, summaries, owners, computed, reads, facts, reused, counts, read_digests, _ in results:
            for name, digest in read_digests.items():  # (the cache records the state of each file read)
                digests.setdefault(name, digest)
            self.done.update(declarations)
            self.declarations.update(declarations)
            self.reused_derived.update(reused)
            for key, summary in summaries.items():
                self.summaries.setdefault(key, summary)
                self.owners.setdefault(key, owners[key])
            self.computed_owners |= computed
            for owner, read in reads.items():
                self.analyzer.reads.setdefault(owner, set()).update(read)
            self.facts.update(facts)
            parsed, parses, summaries_computed, declarations_computed = counts
            self.checker.extra_parsed += parsed
            self.extra_parses += parses
            self.summaries_computed += summaries_computed
            self.declarations_computed += declarations_computed
        if lost:
            self.read(lost)

    def _drop_trees(self) -> None:
        """Drop every syntax tree held (what was learnt from them stays): the parent's slice is read,
        and what follows (merging, deriving, rendering) needs none of them."""
        analyzer = self.analyzer
        for name in self.index.to_evict(0, 0):
            analyzer.drop_trees(name)


_WORKER_RUN: _Run | None = None


def _stop_workers(pool: Any) -> None:
    """End the workers of a pool at once (the parent failed: what they read would be thrown away), and
    return once they are gone.

    They are killed, not asked to stop: a worker forked from a host program inherits its signal handlers,
    and one that handles SIGTERM (to stop gracefully) would go on reading. Only the pool's own thread
    reaps them (it finds them dead and joins them): were this thread to join them too, whichever lost
    the race would find nothing to wait for and take a dead worker for a live one."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


#: A path written the same way in every format (JSON escapes nothing in it, a URI encodes nothing).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_./-]+")


def _hop_unmoved(hop: tuple | None, unshown: frozenset[str]) -> tuple | None:
    """A hop ``(name, path, line)`` with its line left out if it lies in an ``unshown`` file."""
    return hop if hop is None or hop[1] not in unshown else (hop[0], hop[1], None)


def _summary_unmoved(summary: tuple, unshown: frozenset[str]) -> tuple:
    """A summary (plain data) with the positions in ``unshown`` files left out: its edges' lines (in the
    function's own file) and the hops of its reaches."""
    display, path, edges = summary
    own = path in unshown
    return (display, path, tuple(
        (edge[0], None if own else edge[1], *edge[2:5], _hop_unmoved(edge[5], unshown), edge[6],
         _hop_unmoved(edge[7], unshown)) if edge[0] == REACH else
        (edge[0], None if own else edge[1], *edge[2:]) for edge in edges))


def _findings_unmoved(findings: tuple, unshown: frozenset[str]) -> tuple:
    return tuple((*f[:5], tuple(_hop_unmoved(h, unshown) for h in f[5]), f[6], None if f[6] in unshown else f[7])
                 for f in findings)


def _declarations_unmoved(declarations: tuple, unshown: frozenset[str]) -> tuple:
    operations, domain_code = declarations
    return (tuple((*op[:5], None if op[4] in unshown else op[5], *op[6:]) for op in operations),
            _findings_unmoved(domain_code, unshown))


def _derived_unmoved(derived: tuple, unshown: frozenset[str]) -> tuple:
    spans, per_op, ports, unresolved = derived
    return (spans, tuple((tuple((*reach[:3], tuple(_hop_unmoved(h, unshown) for h in reach[3]))
                                for reach in reaches), count) for reaches, count in per_op),
            tuple((target, _hop_unmoved(hop, unshown)) for target, hop in ports), unresolved)


def _sorted_operations(declarations: dict[str, ModuleDeclarations], modules: Iterable[str]
                       ) -> list[OperationDeclaration]:
    return sorted((op for module in modules for op in declarations[module].operations), key=lambda op: op.name)


def _read_part(service_modules: list[str]):
    """A worker process (forked from the run, so it starts with what the run knows): the declarations
    and summaries for some service modules."""
    run = _WORKER_RUN
    assert run is not None
    gc.disable()  # as in the parent (see check); the worker ends with the task
    run.read(service_modules)
    declarations = {m: run.declarations[m] for m in service_modules}
    counts = (run.index.parsed_count, run.index.parses, run.summaries_computed, run.declarations_computed)
    return (declarations, run.summaries, run.owners, run.computed_owners, run.analyzer.reads, run.facts,
            run.reused_derived, counts, run.index.digests, _summary_records(run))


def _summary_records(run: _Run) -> dict[str, tuple[int, bytes]]:
    """A worker's summaries per owner it computed, marshalled as the cache writes them (``Cache.save``),
    while the parent may still read (on a cold run only: a cache loaded may hold more of an owner's)."""
    if run.cache is None or run.cache.loaded:
        return {}
    from archguard.dataflow.cache import summaries_by_owner

    records = summaries_by_owner(run.owners, run.summaries, run.computed_owners)
    return {owner: (len(record), marshal.dumps(record)) for owner, record in records.items()}


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
        self.reached_ports: dict[str, Hop] = {}
        self.fact: Callable[[str, str, Callable[[], Iterable[Finding]]], tuple[Finding, ...]] = (
            lambda owner, name, compute: tuple(compute()))

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

    def declare(self, module_name: str) -> ModuleDeclarations:
        """The operations a service module defines, and its live or sync code (read as ``module_name``'s
        own: what it depends on is recorded as that module's reads)."""
        analyzer = self.analyzer
        analyzer.begin()
        previous = analyzer.enter(module_name)
        try:
            operations: list[OperationDeclaration] = []
            domain_code: list[Finding] = []
            info = self.index.module(module_name)
            if info is None:
                return ModuleDeclarations((), ())
            for cls in info.classes.values():
                finding = self._domain_code_class(cls)
                if finding is not None:
                    domain_code.append(finding)
                elif analyzer.is_service_class(cls):
                    for method in analyzer.public_methods(cls):
                        operations.append(self._declare(method, cls.qualname))
            for func in info.functions.values():
                if func.name.startswith("_"):
                    continue
                finding = self._domain_code_function(func)
                if finding is not None:
                    domain_code.append(finding)
                else:
                    operations.append(self._declare(func, None))
            return ModuleDeclarations(tuple(operations), tuple(domain_code))
        finally:
            analyzer.leave(previous)

    def _declare(self, func: FunctionInfo, bound: str | None) -> OperationDeclaration:
        """``func`` called on an instance of ``bound`` (its class, or a subclass that inherits it: the
        operation is then named after the subclass)."""
        name = func.qualname if bound is None or func.class_qualname == bound else f"{bound}.{func.name}"
        info = self.index.module(func.module)
        path = info.display_path if info else ""
        declared, declared_by, invalid = self._declaration(func, name)
        return OperationDeclaration(name, func.qualname, func.module, None if func.is_staticmethod else bound,
                                    path, func.lineno, func.display, declared, declared_by, invalid)

    def finish(self, declarations: dict[str, ModuleDeclarations], ops: list[OperationDeclaration],
               results: list[tuple[tuple[Reach, ...], int]], sites: list[UnresolvedSite],
               ports: dict[str, Hop], service_modules: list[str]) -> Report:
        """The report: ``ops`` (sorted by name) with what each reaches (``results``), the unresolved call
        sites and the undeclared ports reached."""
        names = [op.name for op in ops]
        operations = [self._operation(op, reaches, unresolved)
                      for op, (reaches, unresolved) in zip(ops, results, strict=True)]
        findings: list[Finding] = [f for op in operations for f in op.findings]
        findings.extend(f for module in service_modules for f in declarations[module].domain_code)
        findings.extend(self._unresolved_site(site, names) for site in sites)
        findings.extend(self.domain_code_outside_services())
        for target, hop in ports.items():
            self.reached_ports.setdefault(target, hop)
        findings.extend(self._undeclared_ports())
        seen_operations = set(names)
        for name, pattern in sorted(self.config.expected.items()):
            if name not in seen_operations:
                findings.append(Finding("unknown-expectation", name, pattern,
                                        f"is expected in the configuration, but {self._why_not_an_operation(name)}",
                                        target=name))
        return Report(
            operations=tuple(operations),
            findings=tuple(sorted(set(findings), key=Finding.sort_key)),
            strict=self.config.strict,
            modules_read=self.index.parsed_count + self.extra_parsed,
            vocabulary=self.vocabulary,
            root=str(self.index.root),
        )

    def _operation(self, op: OperationDeclaration, reaches: tuple[Reach, ...], unresolved: int) -> OperationResult:
        config = self.config
        declared = op.declared
        categories = {r.category for r in reaches}
        observed = self.vocabulary.observed(categories, bool(unresolved))
        live = Category.LIVE in categories
        if not (op.invalid or (declared is None and config.require_declarations) or Category.SYNC in categories
                or (live and declared in LOCAL_PATTERNS) or (declared == "live" and not live and not unresolved)):
            return tuple.__new__(OperationResult, (op.name, op.path, op.line, declared, op.declared_by, reaches,
                                                   unresolved, (), observed))
        op_hop = Hop(op.display, op.path, op.line)
        shown = op.invalid or declared or "undeclared"
        findings: list[Finding] = []

        def add(rule: str, message: str, target: str = "", chain: tuple[Hop, ...] = (op_hop,)) -> None:
            findings.append(Finding(rule, op.name, shown, message, target, chain, op.path, op.line))

        if op.invalid:
            add("invalid-declaration", self._invalid_message(op.invalid), op.invalid)
        if declared is None and not op.invalid and config.require_declarations:
            markers = _either([f"@{m}" for m in (*config.local_read_markers[:1], *config.local_write_markers[:1],
                                                 *config.live_markers[:1])])
            add("undeclared-operation",
                f"is not declared local_read, local_write or live (observed: {observed}); mark it {markers}")
        for r in reaches:
            if r.category is Category.SYNC:
                add("domain-reaches-sync", f"reaches {r.display}", r.target, r.chain)
            elif r.category is Category.LIVE and declared in LOCAL_PATTERNS:
                add("local-reaches-live", f"reaches {r.display}", r.target, r.chain)
        if declared == "live" and not live and not unresolved:
            # (With an unresolved call, that call may be the live one: it is the finding, not this.)
            add("live-reaches-no-live-port", f"reaches no live port (observed: {observed})")
        return OperationResult(
            name=op.name, path=op.path, line=op.line, declared=declared, declared_by=op.declared_by,
            reaches=reaches, unresolved=unresolved, findings=tuple(findings), observed=observed,
        )

    def _unresolved_site(self, site: UnresolvedSite, names: list[str]) -> Finding:
        """One finding per call site the checker cannot follow, naming the operations whose reach holds it."""
        count = site.operation_count
        shown = [names[i] for i in site.operations[:UNRESOLVED_NAMES_SHOWN]]
        listed = ", ".join(shown)
        if count > len(shown):
            listed += f" and {count - len(shown)} more"
        message = (f"makes an unresolved call {site.text} ({site.reason}), in the reach of {count} "
                   f"operation{'s' if count != 1 else ''} ({listed})")
        return Finding("unresolved-call", site.function, "call", message, site.text, site.chain, site.path,
                       site.line, operations=tuple(names[i] for i in site.operations), operation_count=count)

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

    def outside(self, module_name: str) -> list[Finding]:
        """The marked or configured live/sync code of a domain module outside the service modules."""
        config = self.config
        configured = {name.rpartition(".")[0] for name in (*config.live_classes, *config.sync_classes)}
        markers = tuple(f"@{m}" for m in config.sync_job_markers) + tuple(f".{m}\n" for m in config.sync_job_markers)
        return self._outside(module_name, module_name in configured, markers)

    def domain_code_outside_services(self) -> list[Finding]:
        """Marked or configured live/sync classes of the domain packages outside the service modules."""
        config = self.config
        configured = {name.rpartition(".")[0] for name in (*config.live_classes, *config.sync_classes)}
        # Marked ones: a module is parsed only if its text names a sync marker as a decorator.
        markers = tuple(f"@{m}" for m in config.sync_job_markers) + tuple(f".{m}\n" for m in config.sync_job_markers)
        findings: list[Finding] = []
        in_domain = packages_matcher(config.domain_packages)
        is_service = expressions_matcher(config.service_module_expressions)
        for module_name in self.index.module_names:
            if in_domain(module_name) and not is_service(module_name):
                findings.extend(self.fact(module_name, "outside", lambda m=module_name: self._outside(
                    m, m in configured, markers)))
        return findings

    def _outside(self, module_name: str, configured: bool, markers: tuple[str, ...]) -> list[Finding]:
        if not configured:
            # Looked for in the bytes (UTF-8 text holds a marker exactly where its bytes do), which are
            # decoded only then: a file that is not UTF-8 text is left out, as it always was.
            source = self.index.source_bytes(module_name)
            if not source or not any(marker.encode("utf-8") in source for marker in markers):
                return []
            try:
                source.decode("utf-8")
            except ValueError:
                return []
        info = self.index.module(module_name)
        findings = []
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
        """Every port reached or defined in the port modules that is declared neither local nor live."""
        found = {f.subject: f for f in self._port_findings(self.reached_ports.items())}
        for finding in self.port_module_findings():
            found.setdefault(finding.subject, finding)
        return [found[name] for name in sorted(found)]

    def port_module_findings(self) -> list[Finding]:
        """The undeclared ports defined in the port modules."""
        in_ports = packages_matcher(self.config.port_modules)
        return [finding for module_name in self.index.module_names if in_ports(module_name)
                for finding in self.fact(module_name, "ports", lambda m=module_name: self._ports_in(m))]

    def _ports_in(self, module_name: str) -> list[Finding]:
        analyzer = self.analyzer
        info = self.index.module(module_name)
        ports = [(cls.qualname, analyzer.class_hop(cls.qualname)) for cls in (info.classes.values() if info else ())
                 if Category.UNDECLARED_PORT in analyzer.class_categories(cls.qualname)]
        return self._port_findings(ports)

    def _port_findings(self, ports: Iterable[tuple[str, Hop]]) -> list[Finding]:
        config = self.config
        markers = " or ".join(f"@{m}" for m in (*config.local_port_markers[:1], *config.live_port_markers[:1]))
        message = f"is not declared local_port or live_port; mark it {markers}"
        return [Finding("undeclared-port", qualname, "port", message, qualname, (hop,), hop.path, hop.line)
                for qualname, hop in ports]


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


__all__ = ["ReusedReport", "check", "check_or_reuse", "remember_rendering"]
