"""What each function does, found by reading the source: its summary (``Analyzer.summary``).

For every function the analysis reads, it lists the *edges* leaving it, in source order (computed once
per function and ``self`` class, whatever operation reaches it; ``archguard.dataflow.summaries`` turns
the summaries into what each operation reaches):

- a call (or a reference passed on as a callback, or a property read) into other project code, which
  is followed: ``self`` helpers, inherited methods, injected services, module functions in any module of
  the project (a top-level package nobody configured included), constructors, bound-method aliases,
  ``functools.partial`` of a known function, lambdas and nested functions stored or passed around;
- a *reach*: a call on a port or class that is marked or configured as local, live or sync (project or
  external, ``sqlalchemy.orm.Session``; or a class with behaviour in a package configured so), a call
  into or import of an HTTP/SDK module, a lazy import of a live or local module,
  ``importlib.import_module``/``__import__`` with a literal name. Using an enum, constant, record or
  exception of a jobs package reaches nothing: only calling or instantiating a job does;
- an unresolved call: a call whose callee cannot be told, reported and never dropped (an untyped
  parameter, an attribute never assigned, ``getattr`` with a computed name, a ``Callable``-typed value
  or a container of them, a ``functools.partial`` of one, a dynamic import by a computed name, the
  result of an abstract method without a return annotation, ...).

Types come from annotations (parameters, ``__init__`` parameters stored on ``self``, dataclass fields,
return annotations, found through the class's MRO), from what a constructor assigns
(``self.sync = SyncService(...)``), from what a subclass passes to a base class's ``__init__``
(``super().__init__(db)`` types the base's untyped ``db``), from assignments to local variables, loops
and ``with`` targets, and from the unannotated ``return`` statements of project functions. Module
attribute chains (``import infra; infra.qbo.client.get()``) resolve through the modules on disk,
whatever the import statement made available at run time.

The body of a function defined inside a function (and of a lambda) is read as part of the enclosing
function; called from elsewhere (a lambda stored on ``self`` by ``__init__``), it is read as a function
of its own, in the scope that defined it.

The inference is bounded: queries nest at most MAX_INFERENCE_DEPTH deep (a query met deeper is answered
first, at the top, then the outermost query again), a query met again while it is answered (recursion)
gets a conservative answer, and what depended on such an answer is not remembered beyond the summary
being computed (see ``Analyzer``): the same code gives the same summaries, in any order, in one process
or several. Syntax trees can be dropped at any time (``drop_trees``): what is
remembered for good holds no tree.

Limits, by design: code outside the project is not read; anything it returns is an opaque external
value (calls on it are not followed unless its class is configured), and only the configured HTTP/SDK
modules are taken to reach the network. A Protocol defined outside the infra packages (a domain-side
``Clock``) is read like any class: its method bodies (``...``) reach nothing.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable
from fnmatch import fnmatch
from typing import Any, TypeVar, cast

from archguard.dataflow.config import DataFlowConfig
from archguard.dataflow.index import (
    Binding,
    ClassInfo,
    FunctionInfo,
    ModuleInfo,
    ProjectIndex,
    decorator_name,
    import_bindings,
)
from archguard.dataflow.model import Category, Hop
from archguard.dataflow.names import (
    expressions_matcher,
    in_packages,
    longest_match,
    packages_matcher,
)
from archguard.dataflow.records import fields, mypyc_attr
from archguard.dataflow.summaries import CALL, REACH, UNRESOLVED, Edge, Summary, hop_tuple
from archguard.dataflow.types import (
    CONTAINER_NAMES,
    MAPPING_NAMES,
    NONE,
    SEQUENCE_NAMES,
    TUPLE_NAMES,
    CallableT,
    ClassRef,
    ContainerMethod,
    Ext,
    FuncRef,
    Instance,
    LocalFunc,
    ModuleRef,
    Neutral,
    SuperRef,
    Types,
    Unknown,
    builtin,
    type_variable_reason,
    union,
)
from archguard.source_imports import resolve_relative

_BUILTIN_NAMES = frozenset(dir(builtins))
_PROTOCOL_ORIGINS = frozenset({"typing.Protocol", "typing_extensions.Protocol"})
_NON_SERVICE_BASES = ("NamedTuple", "TypedDict", "Protocol")
_IMPORT_MODULE_ORIGINS = frozenset({"importlib.import_module", "builtins.__import__"})
# External values that can be called but whose callee no one can tell from the source: calling one is an
# unresolved call (the reason says what it is).
_OPAQUE_CALLABLES = {
    "collections.abc.Callable": "it is a Callable-typed value",
    "typing.Callable": "it is a Callable-typed value",
    "typing_extensions.Callable": "it is a Callable-typed value",
    "builtins.callable": "it is a Callable-typed value",
    "builtins.function": "it is a function value of unknown origin",
    "types.FunctionType": "it is a function value of unknown origin",
    "types.MethodType": "it is a function value of unknown origin",
    "types.LambdaType": "it is a function value of unknown origin",
    "functools.partial": "it is a functools.partial of something that cannot be followed",
    "operator.methodcaller": "it is an operator.methodcaller (the method is named by a string)",
    "builtins.object": "it is a value of unknown type",
}
_PASSTHROUGH_TYPING = frozenset({"Optional", "Annotated", "ClassVar", "Final", "Required", "NotRequired",
                                 "ReadOnly", "TypeGuard"})


# Local scopes -------------------------------------------------------------------------------------------


@mypyc_attr(native_class=False)
@fields("kind", "node", "path")
class _Source(tuple):
    """One way a local name gets a value: ``kind`` says how to read ``node``; ``path`` unpacks it
    (``"iter"`` for a loop/comprehension element, an int for a tuple position). (A tuple: every function
    read makes one per name it binds, and a frozen dataclass takes several times as long to make.)"""

    __slots__ = ()
    # value | annotation | enter | exception | binding | neutral | param | types
    kind: str
    node: ast.AST | Types | Binding  # a syntax node; the types themselves; the import binding
    path: tuple[object, ...]

    def __new__(cls, kind: str, node: object, path: tuple[object, ...] = ()) -> _Source:
        return tuple.__new__(cls, (kind, node, path))


_new_tuple = tuple.__new__


def _source(kind: str, node: object, path: tuple[object, ...] = ()) -> _Source:
    """A ``_Source`` made as ``_Source(...)`` makes it, without calling the class (a compiled function
    calling a Python class goes through its ``__new__`` slot: several times the cost of the tuple)."""
    return _new_tuple(_Source, (kind, node, path))


class Scope:
    """The names visible in one function (flat: nested functions, lambdas and comprehensions share it),
    read with ``self`` an instance of ``bound``. Its answers are about ``owner``: the module of ``bound``
    (what ``self`` is decides them), else the function's module."""

    def __init__(self, module: ModuleInfo, func: FunctionInfo | None, bound: str | None) -> None:
        self.module = module
        self.func = func
        self.bound = bound
        self.owner = bound.rpartition(".")[0] if bound else module.name
        self.sources: dict[str, list[_Source]] = {}
        self.cache: dict[str, Types] = {}
        self.node_cache: dict[int, Types] = {}
        self.in_progress: dict[str, int] = {}
        #: String annotations (``-> "Expr"``) parsed, by their text: kept as long as ``node_cache``, which
        #: is keyed by node identity (a parsed tree let go would free its nodes' identities for the next
        #: one parsed, which would then be answered from the cache as the first).
        self.string_annotations: dict[str, ast.expr] = {}
        #: Names defined in terms of each other (strongly connected through their sources), by name.
        self.cycles: _LocalCycles | None = None
        self.solving: dict[str, tuple[dict[str, Types], int]] = {}

    @property
    def defining_class(self) -> str | None:
        return self.func.class_qualname if self.func else None

    def add(self, name: str, source: _Source) -> None:
        self.sources.setdefault(name, []).append(source)


# The analysis ------------------------------------------------------------------------------------------


_NOT_YET = 1 << 30  # taint: no in-progress query has been met
#: Rounds a cycle of local names is solved in: the first from nothing, the second from what the first
#: found (``a, b = b, a``: each gets the other's first value); more rarely adds anything.
CYCLE_ROUNDS = 1
#: How deeply queries of the type inference may nest (a return type needing a return type needing ...):
#: bounds the stack on any code, recursive or not. A remembered query met deeper is answered first, at
#: the top, and then the outermost query again (``Analyzer._at_top``); any other is "unknown" there.
MAX_INFERENCE_DEPTH = 48
#: How many queries met too deep the outermost query answers first (``Analyzer._at_top``) before the
#: others are unknown where they are met: bounds the work on any code.
MAX_ANSWERED_FIRST = 64

_T = TypeVar("_T")


class _TooDeep(Exception):
    """A remembered query met deeper than MAX_INFERENCE_DEPTH: ``answer`` asks it (see
    ``Analyzer._at_top``)."""

    def __init__(self, key: tuple, answer: Callable[[], object]) -> None:
        super().__init__(key)
        self.key = key
        self.answer = answer


class Analyzer:
    """The type inference and the edges of each function, computed on demand and remembered.

    Results are remembered for good only when they do not depend on the order of the questions asked: a
    query met again while it is still being answered (recursion: a function returning its own result, a
    class whose ``__iter__`` returns ``self``, an alias of itself, cyclic bases, ``x = x + 1`` in a
    loop) gets a conservative answer, and every answer that saw such a conservative answer is
    *provisional*: it is reused only until the end of the current top-level computation (one function's
    summary, one module's declarations; ``begin``), then forgotten. Everything remembered for good is
    meant to be a function of the code alone, and each summary a function of the code and of the
    function summarised, whatever the order the operations are analysed in. (A query met deeper than
    ``MAX_INFERENCE_DEPTH`` is answered first, at the top, and remembered as if asked first: see
    ``_at_top``; only one in a recursion longer than that is unknown there.) Two ways it is not, yet: a
    provisional answer reused later in the same top-level computation may differ from the one a query
    remembered from elsewhere would have given (all of sympy read in reverse order names another reason
    at one of its 22,023 unresolved call sites); and what a base class's attribute is, asked first
    through a subclass, is remembered otherwise than asked directly. So the checker gives each worker
    process its modules by the source alone, never by timing.

    Each query also says which module it is about (its *owner*); the modules read while answering it are
    recorded as that owner's reads (``reads``), which is how a cached summary knows what it depends on.
    """

    def __init__(self, index: ProjectIndex, config: DataFlowConfig) -> None:
        self.index = index
        self.config = config
        self._mro: dict[str, tuple[tuple[ClassInfo, ...], tuple[str, ...]]] = {}
        self._mro_in_progress: dict[str, int] = {}
        self._instance_attrs: dict[str, dict[str, list[tuple[FunctionInfo, _Source]]]] = {}
        self._attr_cache: dict[tuple[str, str, str], Types] = {}
        self._class_member_in_progress: dict[tuple[str, str], int] = {}
        self._class_cats: dict[str, frozenset[Category]] = {}
        self._class_cats_in_progress: dict[str, int] = {}
        self._protocols: dict[str, bool] = {}
        self._scopes: dict[tuple[str, str | None], Scope] = {}
        self._module_scopes: dict[str, Scope] = {}
        self._returns: dict[tuple[str, str | None], Types] = {}
        self._returns_in_progress: dict[tuple[str, str | None], int] = {}
        self._member_in_progress: dict[tuple[str, str], int] = {}
        self._var_in_progress: dict[tuple[str, str], int] = {}
        self._iterating: dict[str, int] = {}
        self._module_members: dict[tuple[str, str], Types] = {}
        self._sources: dict[str, tuple[dict[str, list[_Source]], _LocalCycles]] = {}
        self._nodes: dict[str, list[ast.AST]] = {}
        self._return_nodes: dict[str, list[ast.Return]] = {}
        # Configured external classes, under every name they are known by: alias -> (name, categories).
        self._external_classes: dict[str, tuple[str, frozenset[Category]]] = {}
        self._external_lookup: dict[str, tuple[str | None, frozenset[Category], str]] = {}
        self._http_modules: dict[str, str | None] = {}
        self._function_categories: dict[tuple[str, str, tuple[str, ...]], frozenset[Category]] = {}
        # Functions and lambdas defined inside functions (or at module level), by (owner, LocalFunc.key).
        self._local_nodes: dict[tuple[str, str], ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda] = {}
        self._local_functions: dict[tuple[str, str], FunctionInfo] = {}
        self._local_scope_of: dict[str, FunctionInfo | None] = {}
        # Entries above that hold syntax trees, by the module whose trees they hold: dropped with it.
        self._tree_entries: dict[str, list[tuple[dict, object]]] = {}
        # Query frames: depth, and the shallowest in-progress query met below the current frame.
        self._depth = 0
        self._taint = _NOT_YET
        # Answers that depended on a query still in progress (recursion), kept for the current top-level
        # computation only: within it they are reused (as any answer would be), across computations not.
        self._provisional: dict[tuple, tuple[Any, int]] = {}
        self._provisional_at: dict[int, list[tuple]] = {}
        # The outermost query is being asked by _at_top (its frame opens without wrapping it again), and
        # how many _at_top calls gave up answering queries met too deep first.
        self._answering_at_top = False
        self._answering_too_deep = 0
        self._answered_first: set[tuple] | None = None  # the queries met too deep, answered first
        # Read tracking: the owner module of the current query, and what each owner read.
        self.reads: dict[str, set[str]] = {}
        self._owner: str | None = None
        self._idle_reads: set[str] = set()
        index.reading = self._idle_reads

    def add_external_class(self, name: str, aliases: Iterable[str], categories: frozenset[Category]) -> None:
        """Declare a configured external class (``checker.validate`` finds its aliases: the names it is
        re-exported under)."""
        for alias in (name, *aliases):
            known = self._external_classes.get(alias, (name, frozenset()))
            self._external_classes[alias] = (known[0], known[1] | categories)

    # Owners, taint and syntax trees ------------------------------------------------------------------

    def enter(self, owner: str | None) -> tuple[str | None, set[str]] | None:
        """Make ``owner`` (a module) the one reads are recorded for; returns what ``leave`` restores, or
        None when nothing changes (``owner`` is None or already the one: the queries asked most).
        The previous owner records that it used something of ``owner``."""
        if owner is None or owner == self._owner:
            return None
        index = self.index
        previous = (self._owner, index.reading)
        index.reading.add(owner)
        reads = self.reads.get(owner)
        if reads is None:
            reads = self.reads[owner] = set()
        self._owner = owner
        index.reading = reads
        return previous

    def leave(self, previous: tuple[str | None, set[str]] | None) -> None:
        if previous is not None:
            self._owner, self.index.reading = previous

    def _touch(self, owner: str) -> None:
        """A remembered answer about ``owner`` was used: the current owner depends on it."""
        self.index.reading.add(owner)

    def begin(self) -> None:
        """Start a top-level computation (a summary, a module's declarations): provisional answers, those
        that depended on a query still in progress, are forgotten, so the computation gives the same
        result whatever was computed before it."""
        self._provisional.clear()
        self._provisional_at.clear()

    def _recalled(self, key: tuple) -> Any:
        """A provisional answer given earlier in this computation (and still valid: what it depended on is
        still in progress); whatever uses it depends on the same."""
        entry = self._provisional.get(key)
        if entry is None:
            return None
        value, depth = entry
        if depth < self._taint:
            self._taint = depth
        return value

    def _store_provisional(self, key: tuple, value: object, taint: int, depth: int) -> None:
        """Keep an answer that saw a query in progress while that query is (``taint``: the depth of its
        frame); the answer of the query that was met again itself (``taint == depth``) until the end of
        the top-level computation (depth 0). Whatever asked for it is as provisional (its taint too)."""
        at = taint if taint < depth else 0
        if at < self._taint:
            # What the caller makes of this answer lasts no longer than it: an answer met again within
            # itself depends on where its cycle was entered (remembered, it made reports depend on the
            # order modules were read in).
            self._taint = at
        self._provisional[key] = (value, at)
        keys = self._provisional_at.get(at)
        if keys is None:
            self._provisional_at[at] = [key]
        else:
            keys.append(key)

    def _drop_provisional(self, depth: int) -> None:
        """The frame at ``depth`` is done: what was provisional on it is stale."""
        keys = self._provisional_at.pop(depth, None)
        if keys:
            provisional = self._provisional
            for key in keys:
                provisional.pop(key, None)

    def _hit_in_progress(self, depth: int) -> None:
        if depth < self._taint:
            self._taint = depth

    def _too_deep(self) -> bool:
        return self._depth >= MAX_INFERENCE_DEPTH

    def _unknown_too_deep(self) -> Types:
        """The answer of a query met too deep that is not answered first at the top (one whose answer is
        not remembered, or any once ``_at_top`` gave up)."""
        self._taint = 0  # depends on how deep it was asked: nothing on the current path is remembered
        return (Unknown("type inference nests too deeply here"),)

    def _met_too_deep(self, key: tuple, answer: Callable[[], Types]) -> Types:
        """A remembered query (``key``) met too deep: the outermost query answers it first (``answer``)
        and then itself again (see ``_at_top``)."""
        if self._answering_too_deep:
            return self._unknown_too_deep()
        raise _TooDeep(key, answer)

    def _asked_outside_top(self) -> bool:
        """Whether a query about to open its frame at depth 0 (the outermost one) is to be asked again
        through ``_at_top``; False for the one ``_at_top`` is asking (the first frame it opens)."""
        if self._answering_at_top:
            self._answering_at_top = False
            return False
        return True

    def _at_top(self, answer: Callable[[], _T]) -> _T:
        """``answer()``, the outermost query (at depth 0). A query met deeper than MAX_INFERENCE_DEPTH
        below it is answered first, here at the top, and remembered as it would be had it been asked
        first; then ``answer`` is asked again (what it learnt on the way that does not depend on the
        query met too deep is remembered: the second time goes faster). So the answer does not depend on
        where a long chain was entered. A query met too deep again after it was answered here (its answer
        depends on a query in progress: it is not remembered), or beyond MAX_ANSWERED_FIRST of them, is
        unknown where it is met, as any was before.

        The queries to answer wait on a list (the last is answered first), not on the stack: a chain of
        any length is answered in pieces no deeper than MAX_INFERENCE_DEPTH."""
        if self._answered_first is not None:  # (a query answered first here: _TooDeep goes to the loop)
            return self._asked_at_top(answer)
        answered_first: set[tuple] = set()
        self._answered_first = answered_first
        waiting: list[Callable[[], object]] = [answer]
        try:
            while True:
                current = waiting[-1]
                met: _TooDeep | None = None
                try:
                    result = self._asked_at_top(current)
                except _TooDeep as deeper:
                    met = deeper
                if met is not None:
                    if met.key not in answered_first and len(answered_first) < MAX_ANSWERED_FIRST:
                        answered_first.add(met.key)
                        waiting.append(met.answer)
                        continue
                    self._answering_too_deep += 1  # met again (or too many): unknown where it is met
                    try:
                        result = self._asked_at_top(current)
                    finally:
                        self._answering_too_deep -= 1
                waiting.pop()
                if not waiting:
                    return cast(_T, result)
        finally:
            self._answered_first = None

    def _asked_at_top(self, answer: Callable[[], _T]) -> _T:
        """``answer()``, its first frame opened as the outermost (see ``_asked_outside_top``)."""
        self._answering_at_top = True
        try:
            return answer()
        finally:
            self._answering_at_top = False

    def _remember_tree_entry(self, module: str, table: dict, key: object) -> None:
        self._tree_entries.setdefault(module, []).append((table, key))

    def drop_trees(self, module: str) -> None:
        """Forget everything that holds the syntax tree of ``module`` (its tree included): it is parsed
        again if needed. What was learnt from it (types, edges, summaries) stays."""
        for table, key in self._tree_entries.pop(module, ()):
            table.pop(key, None)
        self.index.evict(module)

    # Lookups -------------------------------------------------------------------------------------------

    def class_info(self, qualname: str) -> ClassInfo | None:
        module, _, name = qualname.rpartition(".")
        info = self.index.module(module) if module else None
        return info.classes.get(name) if info else None

    def function_info(self, qualname: str) -> FunctionInfo | None:
        if "<locals>" in qualname:
            owner, _, rest = qualname.partition(".<locals>.")
            key = rest.split(":", 1)[1] if ":" in rest else ""
            return self._local_function(owner, key)
        owner, _, name = qualname.rpartition(".")
        if self.index.has_module(owner):
            # A module's function: found without reading the package above it (whose class of that name,
            # if it had one, a submodule would hide), so it depends on that module only.
            info = self.index.module(owner)
            found = info.functions.get(name) if info is not None else None
            if found is not None:
                return found
        cls = self.class_info(owner)
        if cls is not None:
            return cls.methods.get(name)
        info = self.index.module(owner)
        return info.functions.get(name) if info is not None else None

    def module_of(self, name: str) -> ModuleInfo | None:
        return self.index.module(name)

    # Classes -------------------------------------------------------------------------------------------

    def mro(self, qualname: str) -> tuple[tuple[ClassInfo, ...], tuple[str, ...]]:
        """The project classes of a class's MRO (itself first) and the external bases met on the way
        (origins; ``"?"`` entries for bases that could not be resolved, a cyclic base included)."""
        found = self._mro.get(qualname)
        if found is not None:
            self.index.reading.add(qualname.rpartition(".")[0])
            return found
        found = self._recalled(("mro", qualname))
        if found is not None:
            return found
        depth = self._mro_in_progress.get(qualname)
        if depth is not None:  # a cyclic base: a class cannot be its own base
            self._hit_in_progress(depth)
            return (), ("?",)
        cls = self.class_info(qualname)
        if cls is None:
            return (), ()
        if not self._depth and self._asked_outside_top():  # the outermost query
            return self._at_top(lambda: self.mro(qualname))
        previous = self.enter(cls.module)
        self._depth += 1
        depth = self._depth
        self._mro_in_progress[qualname] = depth
        outer, self._taint = self._taint, _NOT_YET
        try:
            project: list[ClassInfo] = [cls]
            external: list[str] = []
            scope = self.module_scope(cls.module)
            for base in cls.node.bases:
                expr = base.value if isinstance(base, ast.Subscript) else base
                for t in self.eval(expr, scope):
                    if isinstance(t, ClassRef):
                        base_project, base_external = self.mro(t.cls)
                        project.extend(c for c in base_project if c not in project)
                        external.extend(e for e in base_external if e not in external)
                    elif isinstance(t, Ext):
                        if t.origin not in external:
                            external.append(t.origin)
                    else:
                        external.append("?")
            result = (tuple(project), tuple(external))
        finally:
            del self._mro_in_progress[qualname]
            self._depth -= 1
            taint = self._taint
            self._taint = outer if taint >= depth else min(outer, taint)
            if self._provisional_at:
                self._drop_provisional(depth)
            self.leave(previous)
        if taint > depth:
            self._mro[qualname] = result
            for module in {c.module for c in result[0]}:
                self._remember_tree_entry(module, self._mro, qualname)
        else:
            self._store_provisional(("mro", qualname), result, taint, depth)
        return result

    def is_protocol(self, qualname: str) -> bool:
        found = self._protocols.get(qualname)
        if found is not None:  # (asked once per reach of a port: remembered, as its bases' types would be)
            self.index.reading.add(qualname.rpartition(".")[0])
            return found
        cls = self.class_info(qualname)
        if cls is None:
            return False
        scope = self.module_scope(cls.module)
        outer, self._taint = self._taint, _NOT_YET
        try:
            found = False
            for base in cls.node.bases:
                expr = base.value if isinstance(base, ast.Subscript) else base
                if any(isinstance(t, Ext) and t.origin in _PROTOCOL_ORIGINS for t in self.eval(expr, scope)):
                    found = True
                    break
        finally:
            taint = self._taint
            if outer < taint:
                self._taint = outer
        if taint == _NOT_YET:  # (not if a base's type depended on a query still in progress)
            self._protocols[qualname] = found
        return found

    def is_service_class(self, cls: ClassInfo) -> bool:
        if cls.name.startswith("_") or not any(fnmatch(cls.name, p) for p in self.config.service_classes):
            return False
        return self.class_kind(cls.qualname) == "behaviour" and not self.is_base_class(cls)

    def is_base_class(self, cls: ClassInfo) -> bool:
        """A base of services (by name, or abstract): its methods are operations of its subclasses."""
        if any(fnmatch(cls.name, p) for p in self.config.base_classes):
            return True
        _, external = self.mro(cls.qualname)
        if any(origin in ("abc.ABC", "abc.ABCMeta") for origin in external):
            return True
        if any(isinstance(k, ast.keyword) and k.arg == "metaclass" and _terminal(k.value) == "ABCMeta"
               for k in cls.node.keywords):
            return True
        return any("abstractmethod" in m.decorators for m in cls.methods.values())

    def public_methods(self, cls: ClassInfo) -> list[FunctionInfo]:
        """The public, non-property methods of a class, its project base classes' included (the most
        derived definition of each name), in definition order, the class's own first."""
        found: dict[str, FunctionInfo] = {}
        for klass in self.mro(cls.qualname)[0]:
            for method in klass.methods.values():
                if method.name not in found:
                    found[method.name] = method
        return [m for m in found.values() if not m.name.startswith("_") and not m.is_property]

    def class_kind(self, qualname: str) -> str:
        """``enum``, ``exception``, ``protocol`` (or a NamedTuple/TypedDict: ``record``), ``record`` (no
        public method to call), or ``behaviour``: the only kind whose use can reach anything."""
        cls = self.class_info(qualname)
        if cls is None:
            return "record"
        _, external = self.mro(qualname)
        for origin in external:
            name = origin.rsplit(".", 1)[-1]
            if origin.startswith("enum."):
                return "enum"
            if origin.startswith("builtins.") and (name.endswith(("Exception", "Error", "Warning"))
                                                    or name == "BaseException"):
                return "exception"
            if name == "Protocol":
                return "protocol"
            if name in _NON_SERVICE_BASES:
                return "record"
        project, _ = self.mro(qualname)
        if not any(not m.name.startswith("_") and not m.is_property or m.name == "__call__"
                   for c in project for m in c.methods.values()):
            return "record"  # a record: nothing to call
        return "behaviour"

    def class_categories(self, qualname: str) -> frozenset[Category]:
        """How a class counts when an operation calls it: live, local, sync (several at once allowed),
        an undeclared port, or nothing (ordinary code, which is followed).

        A class counts by its markers, by the configuration naming it or one of its bases (project or
        external: ``sqlalchemy.orm.Session``), or by lying in a live, local or jobs package; in the last
        case only if it has behaviour: an enum, exception or record of a jobs package is data, and using
        it reaches nothing."""
        found = self._class_cats.get(qualname)
        if found is not None:
            self.index.reading.add(qualname.rpartition(".")[0])
            return found
        found = self._recalled(("cats", qualname))
        if found is not None:
            return found
        depth = self._class_cats_in_progress.get(qualname)
        if depth is not None:
            self._hit_in_progress(depth)
            return frozenset()
        module = qualname.rpartition(".")[0]
        if not self._depth and self._asked_outside_top():  # the outermost query
            return self._at_top(lambda: self.class_categories(qualname))
        previous = self.enter(module)
        self._depth += 1
        depth = self._depth
        self._class_cats_in_progress[qualname] = depth
        outer, self._taint = self._taint, _NOT_YET
        try:
            result = self._class_categories(qualname, module)
        finally:
            del self._class_cats_in_progress[qualname]
            self._depth -= 1
            taint = self._taint
            self._taint = outer if taint >= depth else min(outer, taint)
            if self._provisional_at:
                self._drop_provisional(depth)
            self.leave(previous)
        if taint > depth:
            self._class_cats[qualname] = result
        else:
            self._store_provisional(("cats", qualname), result, taint, depth)
        return result

    def _class_categories(self, qualname: str, module: str) -> frozenset[Category]:
        config = self.config
        project, external = self.mro(qualname)
        names = {c.qualname for c in project} or {qualname}
        decorators = {d for c in project for d in c.decorators}
        cats: set[Category] = set(self.external_categories(external)) if self._external_classes else set()
        in_jobs = in_packages(module, config.jobs_packages)
        in_live = in_packages(module, config.live_packages)
        in_local = in_packages(module, config.local_packages)
        by_package = (in_jobs or in_live or in_local) and self.class_kind(qualname) == "behaviour"
        if names & set(config.sync_classes) or decorators & set(config.sync_job_markers) or (by_package and in_jobs):
            cats.add(Category.SYNC)
        if names & set(config.live_classes) or decorators & set(config.live_port_markers) or (by_package and in_live):
            cats.add(Category.LIVE)
        if names & set(config.local_classes) or decorators & set(config.local_port_markers) \
                or (by_package and in_local):
            cats.add(Category.LOCAL)
        if not cats and self.is_protocol(qualname) and (
                in_packages(module, config.infra_packages) or in_packages(module, config.port_modules)):
            cats.add(Category.UNDECLARED_PORT)
        return frozenset(cats)

    def external_categories(self, origins: Iterable[str]) -> frozenset[Category]:
        """The categories of configured external classes among ``origins`` (dotted names as imported)."""
        cats: set[Category] = set()
        for origin in origins:
            cats |= self.external_class(origin)[1]
        return frozenset(cats)

    def external_class(self, origin: str) -> tuple[str | None, frozenset[Category], str]:
        """For an external dotted name (``sqlalchemy.orm.Session``, ``sqlalchemy.orm.Session.query``):
        the configured external class it is or lies in (as configured), its categories, and the member
        path below the class (``query``; empty for the class itself)."""
        if not self._external_classes:
            return None, frozenset(), ""
        found = self._external_lookup.get(origin)
        if found is None:
            found = (None, frozenset(), "")
            parts = origin.split(".")
            for i in range(len(parts), 0, -1):
                entry = self._external_classes.get(".".join(parts[:i]))
                if entry is not None:
                    found = (entry[0], entry[1], ".".join(parts[i:]))
                    break
            self._external_lookup[origin] = found
        return found

    def function_categories(self, func: FunctionInfo) -> frozenset[Category]:
        key = (func.qualname, func.module, func.decorators)
        found = self._function_categories.get(key)
        if found is None:
            found = self._function_categories[key] = self._compute_function_categories(func)
        return found

    def _compute_function_categories(self, func: FunctionInfo) -> frozenset[Category]:
        config = self.config
        cats: set[Category] = set()
        if set(func.decorators) & set(config.sync_job_markers) or func.qualname in config.sync_classes \
                or in_packages(func.module, config.jobs_packages):
            cats.add(Category.SYNC)
        if func.qualname in config.live_classes or in_packages(func.module, config.live_packages):
            cats.add(Category.LIVE)
        if func.qualname in config.local_classes or in_packages(func.module, config.local_packages):
            cats.add(Category.LOCAL)
        return frozenset(cats)

    def module_categories(self, module: str) -> frozenset[Category]:
        """What importing a module inside a function reaches: a live or local package. Importing a module
        of a jobs package runs no job (only calling one does), so it reaches nothing by itself."""
        config = self.config
        cats: set[Category] = set()
        if in_packages(module, config.live_packages):
            cats.add(Category.LIVE)
        if in_packages(module, config.local_packages):
            cats.add(Category.LOCAL)
        return frozenset(cats)

    def http_module(self, origin: str) -> str | None:
        try:
            return self._http_modules[origin]
        except KeyError:
            found = self._http_modules[origin] = longest_match(origin, self.config.http_modules)
            return found

    # Members of classes and modules ----------------------------------------------------------------------

    def instance_attrs(self, qualname: str) -> dict[str, list[tuple[FunctionInfo, _Source]]]:
        """``self.X = ...`` / ``self.X: T = ...`` in every method of the class (not its bases)."""
        found = self._instance_attrs.get(qualname)
        if found is not None:
            self.index.reading.add(qualname.rpartition(".")[0])
            return found
        result: dict[str, list[tuple[FunctionInfo, _Source]]] = {}
        cls = self.class_info(qualname)
        for method in (cls.methods.values() if cls else ()):
            args = method.node.args.posonlyargs + method.node.args.args
            if not args or method.is_staticmethod:
                continue
            self_name = args[0].arg
            # (a class's methods are its def statements, never lambdas: the body is a list)
            for node in _statements(cast(list[ast.stmt], method.node.body)):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        for attr, path in _self_targets(target, self_name):
                            result.setdefault(attr, []).append((method, _source("value", node.value, path)))
                elif isinstance(node, ast.AnnAssign) and _is_self_attr(node.target, self_name):
                    attr = node.target.attr  # type: ignore[union-attr]
                    result.setdefault(attr, []).append((method, _source("annotation", node.annotation)))
        if cls is not None:
            self._instance_attrs[qualname] = result
            self._remember_tree_entry(cls.module, self._instance_attrs, qualname)
        return result

    def instance_member(self, bound: str, attr: str) -> Types:
        """The type of ``obj.attr`` for an instance of project class ``bound``."""
        key = ("i", bound, attr)
        found = self._attr_cache.get(key)
        if found is not None:
            self.index.reading.add(bound.rpartition(".")[0])
            return found
        found = self._recalled(key)
        if found is not None:
            return found
        guard = (bound, attr)
        depth = self._member_in_progress.get(guard)
        if depth is not None:
            self._hit_in_progress(depth)
            return ()
        if self._too_deep():
            return self._met_too_deep(("i", bound, attr), lambda: self.instance_member(bound, attr))
        if not self._depth and self._asked_outside_top():  # the outermost query
            return self._at_top(lambda: self.instance_member(bound, attr))
        previous = self.enter(bound.rpartition(".")[0])
        self._depth += 1
        depth = self._depth
        self._member_in_progress[guard] = depth
        outer, self._taint = self._taint, _NOT_YET
        try:
            result = self._instance_member(bound, attr)
        finally:
            del self._member_in_progress[guard]
            self._depth -= 1
            taint = self._taint
            self._taint = outer if taint >= depth else min(outer, taint)
            if self._provisional_at:
                self._drop_provisional(depth)
            self.leave(previous)
        if taint > depth:
            self._attr_cache[key] = result
        else:
            self._store_provisional(key, result, taint, depth)
        return result

    def _instance_member(self, bound: str, attr: str) -> Types:
        project, external = self.mro(bound)
        if self.class_categories(bound):
            # A port, or a live/local/sync class: every member is the boundary itself, unless it is declared
            # as another boundary (a unit of work's ``products: AbstractRepository``), whose type is then
            # followed (what its methods return is known).
            declared = self._declared_attribute(project, attr)
            if declared and all(self._is_boundary(t) for t in declared):
                return declared
            return (FuncRef(f"{bound}.{attr}", bound),)
        for cls in project:
            method = cls.methods.get(attr)
            if method is not None:
                if method.is_property:
                    return self.returns(method, bound)
                if method.is_staticmethod:
                    return (FuncRef(method.qualname, None),)
                return (FuncRef(method.qualname, bound),)
            assigned = self.instance_attrs(cls.qualname).get(attr)
            if assigned:
                found = union(*(self.source_types(source, self.scope(method, cls.qualname))
                                for method, source in assigned))
                if cls.qualname != bound and any(isinstance(t, Unknown) for t in found):
                    # Set in a base class from what a subclass passes it (super().__init__(db)): read the
                    # base's method again with self an instance of the subclass.
                    found = union(*(self.source_types(source, self.scope(method, bound))
                                    for method, source in assigned))
                return found or (Unknown(f"self.{attr} is defined only in terms of itself"),)
            if attr in cls.class_vars:
                return self.class_var(cls, attr)
        return self._missing_member(bound, attr, external)

    def _declared_attribute(self, project: tuple[ClassInfo, ...], attr: str) -> Types:
        """The annotated type of a non-method attribute (class-level, or ``self.x: T`` in a method)."""
        for cls in project:
            if attr in cls.methods:
                return ()
            annotations = [annotation for annotation, _ in cls.class_vars.get(attr, ()) if annotation is not None]
            annotations += [cast(ast.expr, source.node) for _, source in self.instance_attrs(cls.qualname).get(attr, ())
                            if source.kind == "annotation"]
            if annotations:
                scope = self.module_scope(cls.module)
                return union(*(self.annotation(a, scope) for a in annotations))
        return ()

    def _is_boundary(self, t: object) -> bool:
        if isinstance(t, Instance):
            return bool(self.class_categories(t.cls))
        if isinstance(t, Ext) and t.instance:
            return self.http_module(t.origin) is not None or self.external_class(t.origin)[0] is not None
        return False

    def class_member(self, qualname: str, attr: str) -> Types:
        """The type of ``Class.attr`` for project class ``qualname``."""
        key = ("c", qualname, attr)
        found = self._attr_cache.get(key)
        if found is not None:
            self.index.reading.add(qualname.rpartition(".")[0])
            return found
        found = self._recalled(key)
        if found is not None:
            return found
        guard = (qualname, attr)
        depth = self._class_member_in_progress.get(guard)
        if depth is not None:  # an alias of itself: ``class A: x = B.x`` / ``class B: x = A.x``
            self._hit_in_progress(depth)
            return ()
        if self._too_deep():
            return self._met_too_deep(("c", qualname, attr), lambda: self.class_member(qualname, attr))
        if not self._depth and self._asked_outside_top():  # the outermost query
            return self._at_top(lambda: self.class_member(qualname, attr))
        previous = self.enter(qualname.rpartition(".")[0])
        self._depth += 1
        depth = self._depth
        self._class_member_in_progress[guard] = depth
        outer, self._taint = self._taint, _NOT_YET
        try:
            result = self._class_member(qualname, attr)
        finally:
            del self._class_member_in_progress[guard]
            self._depth -= 1
            taint = self._taint
            self._taint = outer if taint >= depth else min(outer, taint)
            if self._provisional_at:
                self._drop_provisional(depth)
            self.leave(previous)
        if taint > depth:
            self._attr_cache[key] = result
        else:
            self._store_provisional(key, result, taint, depth)
        return result

    def _class_member(self, qualname: str, attr: str) -> Types:
        project, external = self.mro(qualname)
        result: Types | None = None
        if self.class_categories(qualname):
            result = (FuncRef(f"{qualname}.{attr}", qualname),)
        for cls in project:
            if result is not None:
                break
            method = cls.methods.get(attr)
            if method is not None:
                result = (FuncRef(method.qualname, None if method.is_staticmethod else qualname),)
            elif attr in cls.class_vars:
                if any(e.startswith("enum.") for e in external) and any(v for _, v in cls.class_vars[attr]):
                    result = (Instance(qualname),)  # an enum member
                else:
                    result = self.class_var(cls, attr)
        if result is None:
            result = self._missing_member(qualname, attr, external)
        return result

    def _missing_member(self, qualname: str, attr: str, external: tuple[str, ...]) -> Types:
        if "?" in external:
            return (Unknown(f"{_short(qualname)} has a base class that cannot be resolved"),)
        if external:
            return (Ext(f"{external[0]}.{attr}", instance=True),)
        if attr.startswith("__") and attr.endswith("__"):
            return (Ext(f"builtins.object.{attr}", instance=True),)
        return (Unknown(f"{_short(qualname)} has no attribute {attr}"),)

    def class_var(self, cls: ClassInfo, attr: str) -> Types:
        scope = self.module_scope(cls.module)
        groups: list[Types] = []
        for annotation, value in cls.class_vars[attr]:
            if annotation is not None:
                groups.append(self.annotation(annotation, scope))
            elif value is not None:
                groups.append(self.eval(value, scope))
        return union(*groups) or (Unknown(f"{cls.name}.{attr} is defined only in terms of itself"),)

    def module_member(self, module: str, name: str) -> Types:
        guard = (module, name)
        found = self._module_members.get(guard)
        if found is not None:
            self.index.reading.add(module)
            return found
        found = self._recalled(("m", module, name))
        if found is not None:
            return found
        depth = self._var_in_progress.get(guard)
        if depth is not None:
            self._hit_in_progress(depth)
            return ()
        if self._too_deep():
            return self._met_too_deep(("m", module, name), lambda: self.module_member(module, name))
        if not self._depth and self._asked_outside_top():  # the outermost query
            return self._at_top(lambda: self.module_member(module, name))
        previous = self.enter(module)
        self._depth += 1
        depth = self._depth
        self._var_in_progress[guard] = depth
        outer, self._taint = self._taint, _NOT_YET
        try:
            result = self._module_member(module, name)
        finally:
            del self._var_in_progress[guard]
            self._depth -= 1
            taint = self._taint
            self._taint = outer if taint >= depth else min(outer, taint)
            if self._provisional_at:
                self._drop_provisional(depth)
            self.leave(previous)
        if taint > depth:
            self._module_members[guard] = result
        else:
            self._store_provisional(("m", module, name), result, taint, depth)
        return result

    def _module_member(self, module: str, name: str) -> Types:
        info = self.module_of(module)
        submodule = f"{module}.{name}"
        if info is None:
            if self.index.has_module(submodule):
                return (ModuleRef(submodule),)
            return (Unknown(f"module {module} has no source in the project"),)
        kind = info.last_kind.get(name)
        if kind == "class":
            return (ClassRef(f"{module}.{name}"),)
        if kind == "function":
            return (FuncRef(f"{module}.{name}", None),)
        if kind == "import":
            return self.binding_types(info.bindings[name])
        if kind == "variable":
            return self.module_variable(info, name)
        if self.index.has_module(submodule):
            return (ModuleRef(submodule),)
        for star in info.star_imports:
            if self.index.in_project(star):
                found = self.module_member(star, name)
                if found and not all(isinstance(t, Unknown) for t in found):
                    return found
            else:
                return (Ext(f"{star}.{name}"),)
        return (Unknown(f"module {module} has no name {name}"),)

    def module_variable(self, info: ModuleInfo, name: str) -> Types:
        scope = self.module_scope(info.name)
        groups: list[Types] = []
        for annotation, value, target in info.variables[name]:
            if annotation is not None:
                groups.append(self.annotation(annotation, scope))
            elif value is not None:
                if isinstance(value, ast.Call) and _terminal(value.func) in ("TypeVar", "ParamSpec", "NewType"):
                    if _terminal(value.func) == "NewType" and len(value.args) > 1:
                        groups.append(self.annotation(value.args[1], scope))
                    else:
                        groups.append((Unknown(type_variable_reason(name)),))
                    continue
                path = _target_path(target, name)
                groups.append(self.unpack(self.eval(value, scope), path or ()))
        return union(*groups) or (Unknown(f"{name} is defined only in terms of itself"),)

    def binding_types(self, binding: Binding) -> Types:
        if binding.name is None:
            module = binding.module
            if self.index.in_project(module):
                if self.index.has_module(module):
                    return (ModuleRef(module),)
                return (Unknown(f"module {module} is not in the project"),)
            return (Ext(module),)
        if self.index.in_project(binding.module):
            return self.module_member(binding.module, binding.name)
        return (Ext(f"{binding.module}.{binding.name}"),)

    # Scopes --------------------------------------------------------------------------------------------

    def module_scope(self, module: str) -> Scope:
        scope = self._module_scopes.get(module)
        if scope is None:
            info = self.module_of(module)
            assert info is not None, module
            scope = Scope(info, None, None)
            self._module_scopes[module] = scope
            self._remember_tree_entry(module, self._module_scopes, module)
        else:
            self.index.reading.add(module)
        return scope

    def local_function_ref(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: Scope
                           ) -> LocalFunc:
        """The value of a function or lambda defined in ``scope`` (a function's, or a module's): named by
        where it is written, so the name means the same after the tree is parsed again."""
        owner = scope.func.qualname if scope.func is not None else scope.module.name
        key = f"{node.lineno}:{node.col_offset}"
        if (owner, key) not in self._local_nodes:
            self._local_nodes[(owner, key)] = node
            self._remember_tree_entry(scope.module.name, self._local_nodes, (owner, key))
        return LocalFunc(owner, scope.bound, key)

    def local_function(self, ref: LocalFunc) -> FunctionInfo:
        """A function or lambda defined inside another one, as a function of its own: its body is read in
        the scope of the function that defines it (so it sees that function's names, ``self`` included)."""
        found = self._local_function(ref.owner, ref.key)
        assert found is not None, ref
        return found

    def _local_function(self, owner: str, key: str) -> FunctionInfo | None:
        found = self._local_functions.get((owner, key))
        if found is not None:
            self.index.reading.add(found.module)
            return found
        owner_func = self.function_info(owner)
        module = owner_func.module if owner_func is not None else owner
        node = self._local_nodes.get((owner, key))
        if node is None:  # its tree was dropped (or never read): find it again where it is written
            node = self._find_local_node(owner_func, module, key)
            if node is None:
                return None
        name = "<lambda>" if isinstance(node, ast.Lambda) else node.name
        qualname = f"{owner}.<locals>.{name}:{key}"
        decorators = () if isinstance(node, ast.Lambda) else tuple(decorator_name(d) for d in node.decorator_list)
        found = FunctionInfo(qualname=qualname, name=name, module=module,
                             class_qualname=owner_func.class_qualname if owner_func else None, node=node,
                             decorators=decorators, label=f"{owner_func.display if owner_func else module}.{name}")
        self._local_scope_of[qualname] = owner_func
        self._local_functions[(owner, key)] = found
        self._remember_tree_entry(module, self._local_functions, (owner, key))
        self._remember_tree_entry(module, self._local_scope_of, qualname)
        return found

    def _find_local_node(self, owner_func: FunctionInfo | None, module: str, key: str
                         ) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | None:
        if owner_func is not None:
            candidates: Iterable[ast.AST] = self.nodes(owner_func)
        else:
            info = self.module_of(module)
            if info is None:
                return None
            candidates = ast.walk(info.tree)
        for node in candidates:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) \
                    and f"{node.lineno}:{node.col_offset}" == key:
                return node
        return None

    def _own_returns(self, func: FunctionInfo) -> list[ast.Return]:
        found = self._return_nodes.get(func.qualname)
        if found is None:
            found = self._return_nodes[func.qualname] = _own_returns(func.node)  # type: ignore[arg-type]
            self._remember_tree_entry(func.module, self._return_nodes, func.qualname)
        return found

    def nodes(self, func: FunctionInfo) -> list[ast.AST]:
        """Every node of the function's body in pre-order (nested functions and lambdas included,
        nested class bodies not): read once, by the locals and by the edges."""
        found = self._nodes.get(func.qualname)
        if found is None:
            found = list(_walk_body(func.node))
            self._nodes[func.qualname] = found
            self._remember_tree_entry(func.module, self._nodes, func.qualname)
        return found

    def scope(self, func: FunctionInfo, bound: str | None) -> Scope:
        key = (func.qualname, bound)
        scope = self._scopes.get(key)
        if scope is not None:
            self.index.reading.add(func.module)
            return scope
        if func.qualname in self._local_scope_of:
            owner = self._local_scope_of[func.qualname]  # a nested function shares its definer's names
            scope = self.scope(owner, bound) if owner is not None else self.module_scope(func.module)
        else:
            module = self.module_of(func.module)
            assert module is not None
            scope = Scope(module, func, bound)
            found = self._sources.get(func.qualname)
            if found is None:
                _collect_locals(scope, func, self.nodes(func))  # the same whatever ``self`` is
                scope.cycles = _LocalCycles(scope.sources)  # (so are the cycles among them)
                self._sources[func.qualname] = (scope.sources, scope.cycles)
                self._remember_tree_entry(func.module, self._sources, func.qualname)
            else:
                scope.sources, scope.cycles = found
        self._scopes[key] = scope
        self._remember_tree_entry(func.module, self._scopes, key)
        return scope

    def lookup(self, name: str, scope: Scope) -> Types:
        if scope.func is not None and name in scope.sources:
            found = scope.cache.get(name)
            if found is not None:
                self.index.reading.add(scope.owner)
                return found
            solving = scope.solving.get(name)
            if solving is not None:  # a name of the cycle being solved: its current approximation
                self._hit_in_progress(solving[1])
                return solving[0][name]
            found = self._recalled(("l", id(scope), name))
            if found is not None:
                return found
            if scope.cycles is None:
                scope.cycles = _LocalCycles(scope.sources)
            members = scope.cycles.of(name)
            if members is not None:
                return self._solve_cycle(scope, members)[name]
            depth = scope.in_progress.get(name)
            if depth is not None:  # x = x + 1 in a loop, a, b = b, a: the other sources tell
                self._hit_in_progress(depth)
                return ()
            if self._too_deep():
                return self._met_too_deep(("l", id(scope), name), lambda: self.lookup(name, scope))
            if not self._depth and self._asked_outside_top():  # the outermost query
                return self._at_top(lambda: self.lookup(name, scope))
            previous = self.enter(scope.owner)
            self._depth += 1
            depth = self._depth
            scope.in_progress[name] = depth
            outer, self._taint = self._taint, _NOT_YET
            try:
                sources = scope.sources[name]
                if len(sources) == 1:  # (most names: one assignment or a parameter; no generator)
                    result = union(self.source_types(sources[0], scope))
                else:
                    result = union(*(self.source_types(s, scope) for s in sources))
            finally:
                del scope.in_progress[name]
                self._depth -= 1
                taint = self._taint
                self._taint = outer if taint >= depth else min(outer, taint)
                if self._provisional_at:
                    self._drop_provisional(depth)
                self.leave(previous)
            if not result:
                result = (Unknown(f"the type of {name} cannot be inferred"),)
            if taint > depth:
                scope.cache[name] = result
            else:
                self._store_provisional(("l", id(scope), name), result, taint, depth)
            return result
        info = scope.module
        if name in info.last_kind or name in info.bindings:
            return self.module_member(info.name, name)
        for star in info.star_imports:
            if self.index.in_project(star):
                found = self.module_member(star, name)
                if found and not any(isinstance(t, Unknown) for t in found):
                    return found
        if name in _BUILTIN_NAMES:
            return (Ext(f"builtins.{name}"),)
        if name == "__name__" or name == "__file__":
            return (builtin("str"),)
        return (Unknown(f"{name} is not defined"),)

    def _solve_cycle(self, scope: Scope, members: tuple[str, ...]) -> dict[str, Types]:
        """Local names defined in terms of each other (``total = total + x`` in a loop, ``a, b = b, a``):
        solved together, by rounds from nothing, in a fixed order, so the answer does not depend on which
        of them was asked first."""
        if self._too_deep():
            return dict.fromkeys(members, self._unknown_too_deep())
        if not self._depth and self._asked_outside_top():  # the outermost query
            return self._at_top(lambda: self._solve_cycle(scope, members))
        previous = self.enter(scope.owner)
        self._depth += 1
        depth = self._depth
        values: dict[str, Types] = dict.fromkeys(members, ())
        for member in members:
            scope.solving[member] = (values, depth)
        outer, self._taint = self._taint, _NOT_YET
        try:
            for _ in range(CYCLE_ROUNDS):
                # Each round sees only the previous round's values (not the ones it is computing), so the
                # order the names are computed in does not matter.
                found = {member: union(*(self.source_types(s, scope) for s in scope.sources[member]))
                         for member in members}
                self._drop_provisional(depth)  # what the previous approximations gave is stale now
                if found == values:
                    break
                values.update(found)
        finally:
            for member in members:
                del scope.solving[member]
            self._depth -= 1
            taint = self._taint
            self._taint = outer if taint >= depth else min(outer, taint)
            if self._provisional_at:
                self._drop_provisional(depth)
            self.leave(previous)
        results = {m: values[m] or (Unknown(f"the type of {m} cannot be inferred"),) for m in members}
        for member, value in results.items():
            if taint >= depth:  # solved: it depends on nothing still in progress
                scope.cache[member] = value
            else:
                self._store_provisional(("l", id(scope), member), value, taint, depth)
        return results

    def source_types(self, source: _Source, scope: Scope) -> Types:
        kind = source.kind
        if kind == "types":
            return source.node  # type: ignore[return-value]
        if kind == "neutral":
            return (self.local_function_ref(source.node, scope),)  # type: ignore[arg-type]
        if kind == "annotation":
            return self.annotation(source.node, self.module_scope(scope.module.name))  # type: ignore[arg-type]
        if kind == "param":
            return self.param_types(source.node, scope)  # type: ignore[arg-type]
        if kind == "binding":
            return self.binding_types(source.node)  # type: ignore[arg-type]
        if kind == "exception":
            node = source.node
            if node is None:
                return (builtin("BaseException"),)
            return self.instances(self.eval(node, scope))  # type: ignore[arg-type]
        value = self.eval(source.node, scope)  # type: ignore[arg-type]
        if kind == "enter":
            value = union(*(self._enter(t) for t in value))
        return self.unpack(value, source.path)

    def param_types(self, param: tuple[ast.arg, str], scope: Scope) -> Types:
        arg, role = param
        if role == "self":
            return (Instance(scope.bound),) if scope.bound else (Unknown(f"{arg.arg} has no class"),)
        if role == "cls":
            return (ClassRef(scope.bound),) if scope.bound else (Unknown(f"{arg.arg} has no class"),)
        if arg.annotation is None:
            passed = self._argument_from_subclass(scope, arg.arg) if role == "param" else None
            return passed or (Unknown(f"{arg.arg} is an untyped parameter"),)
        types = self.annotation(arg.annotation, self.module_scope(scope.module.name))
        if role == "vararg":
            return (builtin("tuple", types),)
        if role == "kwarg":
            return (builtin("dict", (builtin("str"),), types),)
        return types

    def _argument_from_subclass(self, scope: Scope, name: str) -> Types | None:
        """The type of untyped parameter ``name`` of a base class's method, when the method is called on a
        subclass instance and the subclass's override passes it on: ``super().__init__(db)`` or
        ``Base.__init__(self, db)`` in ``Sub.__init__(self, db: Session)``. None if nothing says."""
        func, bound = scope.func, scope.bound
        if func is None or bound is None or func.class_qualname is None or func.class_qualname == bound:
            return None
        params = [a.arg for a in func.node.args.posonlyargs + func.node.args.args]
        kwonly = {a.arg for a in func.node.args.kwonlyargs}
        if name not in params and name not in kwonly:
            return None
        for cls in self.mro(bound)[0]:
            if cls.qualname == func.class_qualname:
                break
            override = cls.methods.get(func.name)
            if override is None:
                continue
            caller = self.scope(override, bound)
            for node in self.nodes(override):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == func.name):
                    continue
                if not any(isinstance(t, FuncRef) and t.func == func.qualname for t in self.eval(node.func, caller)):
                    continue
                explicit_self = not isinstance(node.func.value, ast.Call)  # Base.m(self, ...), not super().m(...)
                value = _argument_for(node, params, name, explicit_self)
                if value is not None:
                    return self.eval(value, caller)
        return None

    def _enter(self, t: object) -> Types:
        if isinstance(t, Instance):
            method = self._find_method(t.cls, "__enter__") or self._find_method(t.cls, "__aenter__")
            if method is not None:
                returned = self.returns(method, t.cls)
                return returned if returned else (t,)
            return (t,)
        return (t,)  # type: ignore[return-value]

    def _find_method(self, qualname: str, name: str) -> FunctionInfo | None:
        for cls in self.mro(qualname)[0]:
            if name in cls.methods:
                return cls.methods[name]
        return None

    # Annotations ----------------------------------------------------------------------------------------

    def annotation(self, node: ast.expr, scope: Scope) -> Types:
        if isinstance(node, ast.Constant):
            if node.value is None:
                return (NONE,)
            if isinstance(node.value, str):
                parsed = scope.string_annotations.get(node.value)
                if parsed is None:
                    try:
                        parsed = ast.parse(node.value, mode="eval").body
                    except SyntaxError:
                        return (Unknown(f"annotation {node.value!r} cannot be read"),)
                    scope.string_annotations[node.value] = parsed
                return self.annotation(parsed, scope)
            return (Unknown("annotation is a constant"),)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return union(self.annotation(node.left, scope), self.annotation(node.right, scope))
        if isinstance(node, ast.Subscript):
            base = self.eval(node.value, scope)
            elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            groups: list[Types] = []
            for t in base:
                if isinstance(t, Ext):
                    name = t.origin.rsplit(".", 1)[-1]
                    if name == "Union":
                        groups.append(union(*(self.annotation(e, scope) for e in elements)))
                    elif name in _PASSTHROUGH_TYPING:
                        groups.append(self.annotation(elements[0], scope))
                    elif name == "Literal":
                        groups.append((Ext("typing.Literal", instance=True),))
                    elif name in ("type", "Type"):
                        groups.append(union(*(_class_of(x) for x in self.annotation(elements[0], scope))))
                    elif name == "Callable":
                        result = self.annotation(elements[-1], scope) if len(elements) == 2 else ()
                        groups.append((CallableT(result),))
                    elif name in CONTAINER_NAMES or t.origin.startswith(("typing.", "collections.")):
                        if name in TUPLE_NAMES and len(elements) == 2 and _is_ellipsis(elements[1]):
                            elements = elements[:1]  # tuple[X, ...]
                        args = tuple(() if _is_ellipsis(e) else self.annotation(e, scope) for e in elements)
                        groups.append((Ext(t.origin, args, instance=True),))
                    else:
                        groups.append((Ext(t.origin, instance=True),))
                elif isinstance(t, ClassRef) and (parameters := self.type_parameters(t.cls)):
                    bound = tuple(self.annotation(e, scope) for e in elements[:len(parameters)])
                    groups.append((Instance(t.cls, bound),))
                else:
                    groups.append(self.instances((t,)))
            return union(*groups)
        types = self.eval(node, scope)
        return self.instances(types, annotation=True)

    def instances(self, types: Types, *, annotation: bool = False) -> Types:
        """What a value annotated with (or an exception class raised as) these types is."""
        result: list = []
        for t in types:
            if isinstance(t, ClassRef):
                result.append(Instance(t.cls))
            elif isinstance(t, Ext):
                name = t.origin.rsplit(".", 1)[-1]
                if annotation and name == "Any":
                    result.append(Unknown("annotated Any"))
                elif annotation and name in ("Self",):
                    result.append(Unknown("annotated Self"))
                elif annotation and t.origin == "builtins.None":
                    result.append(NONE)
                else:
                    result.append(Ext(t.origin, t.args, instance=True))
            elif isinstance(t, ModuleRef):
                result.append(Unknown(f"module {t.module} used as a type"))
            else:
                result.append(t)
        return tuple(result)

    # Expressions ---------------------------------------------------------------------------------------

    def eval(self, node: ast.expr, scope: Scope) -> Types:
        key = id(node)
        cached = scope.node_cache.get(key)
        if cached is not None:
            self.index.reading.add(scope.owner)
            return cached
        if self._provisional:
            cached = self._recalled(("e", id(scope), key))
            if cached is not None:
                return cached
        owner = scope.owner
        previous = self.enter(owner)
        outer, self._taint = self._taint, _NOT_YET
        try:
            result = self._eval(node, scope)
        finally:
            taint = self._taint
            if outer < taint:
                self._taint = outer
            self.leave(previous)
        if taint > self._depth:
            scope.node_cache[key] = result
        else:
            self._store_provisional(("e", id(scope), key), result, taint, self._depth + 1)
        return result

    def _eval(self, node: ast.expr, scope: Scope) -> Types:
        handler = _EVALUATORS.get(type(node))
        if handler is None:
            return (Unknown(f"{type(node).__name__} expression"),)
        return handler(self, node, scope)

    def _eval_name(self, node: ast.Name, scope: Scope) -> Types:
        return self.lookup(node.id, scope)

    def _eval_attribute(self, node: ast.Attribute, scope: Scope) -> Types:
        base = self.eval(node.value, scope)
        if len(base) == 1:
            return self.attribute(base[0], node.attr)
        return union(*(self.attribute(t, node.attr) for t in base))

    def _eval_call(self, node: ast.Call, scope: Scope) -> Types:
        return self.call_result(node, scope)

    def _eval_constant(self, node: ast.Constant, scope: Scope) -> Types:
        return (NONE,) if node.value is None else (builtin(type(node.value).__name__),)

    def _eval_str(self, node: ast.expr, scope: Scope) -> Types:
        return _STR

    def _eval_bool(self, node: ast.expr, scope: Scope) -> Types:
        return _BOOL

    def _eval_list(self, node: ast.List | ast.Set, scope: Scope) -> Types:
        elements = union(*(self.eval(e, scope) for e in node.elts))
        return (builtin("list" if isinstance(node, ast.List) else "set", elements),)

    def _eval_tuple(self, node: ast.Tuple, scope: Scope) -> Types:
        return (builtin("tuple", *(self.eval(e, scope) for e in node.elts)),)

    def _eval_dict(self, node: ast.Dict, scope: Scope) -> Types:
        keys = union(*(self.eval(k, scope) for k in node.keys if k is not None))
        values = union(*(self.eval(v, scope) for v in node.values))
        return (builtin("dict", keys, values),)

    def _eval_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp, scope: Scope) -> Types:
        name = {ast.ListComp: "list", ast.SetComp: "set", ast.GeneratorExp: "generator"}[type(node)]
        return (builtin(name, self.eval(node.elt, scope)),)

    def _eval_dict_comprehension(self, node: ast.DictComp, scope: Scope) -> Types:
        return (builtin("dict", self.eval(node.key, scope), self.eval(node.value, scope)),)

    def _eval_binop(self, node: ast.BinOp, scope: Scope) -> Types:
        left = self.eval(node.left, scope)
        if all(isinstance(t, Ext) for t in left):
            return tuple(Ext(t.origin, t.args, instance=True) for t in left)  # type: ignore[union-attr]
        return tuple(t if isinstance(t, Instance | Unknown) else Unknown("result of an operator") for t in left)

    def _eval_boolop(self, node: ast.BoolOp, scope: Scope) -> Types:
        return union(*(self.eval(v, scope) for v in node.values))

    def _eval_unaryop(self, node: ast.UnaryOp, scope: Scope) -> Types:
        return _BOOL if isinstance(node.op, ast.Not) else self.eval(node.operand, scope)

    def _eval_ifexp(self, node: ast.IfExp, scope: Scope) -> Types:
        return union(self.eval(node.body, scope), self.eval(node.orelse, scope))

    def _eval_lambda(self, node: ast.Lambda, scope: Scope) -> Types:
        return (self.local_function_ref(node, scope),)

    def _eval_value(self, node: ast.Await | ast.NamedExpr | ast.Starred, scope: Scope) -> Types:
        return self.eval(node.value, scope)

    def _eval_subscript(self, node: ast.Subscript, scope: Scope) -> Types:
        return union(*(self.subscript(t) for t in self.eval(node.value, scope)))

    def _eval_slice(self, node: ast.Slice, scope: Scope) -> Types:
        return (builtin("slice"),)

    def type_parameters(self, qualname: str) -> tuple[str, ...]:
        """The names of a project class's type parameters, from its ``Generic[...]`` or ``Protocol[...]``
        base (``class Answer(Generic[T])``: ``("T",)``); empty for a class that is not generic."""
        info = self.class_info(qualname)
        if info is None:
            return ()
        for base in info.node.bases:
            if isinstance(base, ast.Subscript) and _terminal(base.value) in ("Generic", "Protocol"):
                elements = base.slice.elts if isinstance(base.slice, ast.Tuple) else [base.slice]
                return tuple(e.id for e in elements if isinstance(e, ast.Name))
        return ()

    def bind_type_variables(self, types: Types, instance: Instance) -> Types:
        """``types`` (a member of ``instance``'s class) with the class's type variables replaced by what
        ``instance`` binds them to: the ``data: T`` of an ``Answer[Cash]`` is a ``Cash``."""
        reasons = {type_variable_reason(name): bound
                   for name, bound in zip(self.type_parameters(instance.cls), instance.args, strict=False)}
        return union(*((reasons[t.reason] if isinstance(t, Unknown) and t.reason in reasons else (t,))
                       for t in types))

    def attribute(self, t: object, attr: str) -> Types:
        if isinstance(t, Instance):
            found = self.instance_member(t.cls, attr)
            return self.bind_type_variables(found, t) if t.args else found
        if isinstance(t, ClassRef):
            return self.class_member(t.cls, attr)
        if isinstance(t, ModuleRef):
            return self.module_member(t.module, attr)
        if isinstance(t, Ext):
            if not t.instance:
                return (Ext(f"{t.origin}.{attr}"),)
            return self._ext_instance_attribute(t, attr)
        if isinstance(t, SuperRef):
            project, external = self.mro(t.bound)
            names = [c.qualname for c in project]
            after = project[names.index(t.defining) + 1:] if t.defining in names else project[1:]
            for cls in after:
                method = cls.methods.get(attr)
                if method is not None:
                    return (FuncRef(method.qualname, t.bound),)
            return (Ext(f"{external[0] if external else 'builtins.object'}.{attr}", instance=True),)
        if isinstance(t, FuncRef) and t.bound is not None and t.func.startswith(t.bound + ".") \
                and self.class_categories(t.bound) and self.function_info(t.func) is None:
            return (FuncRef(f"{t.func}.{attr}", t.bound),)  # port.client.get: still the port
        if isinstance(t, FuncRef | Neutral):
            return (Ext(f"builtins.function.{attr}", instance=True),)
        if isinstance(t, CallableT):
            return (Ext(f"builtins.function.{attr}", instance=True),)
        if isinstance(t, Unknown):
            return (t,)
        return (Unknown(f"attribute {attr} of an unknown value"),)

    def _ext_instance_attribute(self, t: Ext, attr: str) -> Types:
        name = t.origin.rsplit(".", 1)[-1]
        if name in MAPPING_NAMES and len(t.args) == 2:
            keys, values = t.args
            if attr in ("get", "pop", "setdefault", "__getitem__"):
                return (ContainerMethod(values),)
            if attr == "values":
                return (ContainerMethod((builtin("list", values),)),)
            if attr == "keys":
                return (ContainerMethod((builtin("list", keys),)),)
            if attr == "items":
                return (ContainerMethod((builtin("list", (builtin("tuple", keys, values),)),)),)
            if attr == "copy":
                return (ContainerMethod((t,)),)
        if name in SEQUENCE_NAMES and t.args:
            if attr in ("pop", "popleft", "__getitem__"):
                return (ContainerMethod(t.args[0]),)
            if attr == "copy":
                return (ContainerMethod((t,)),)
        return (Ext(f"{t.origin}.{attr}", instance=True),) if not t.origin.startswith("builtins.") else (
            Ext(t.origin, instance=True),)

    def subscript(self, t: object) -> Types:
        if isinstance(t, Ext):
            name = t.origin.rsplit(".", 1)[-1]
            if not t.instance:
                return (t,)  # a generic alias: list[int]
            if name in MAPPING_NAMES:
                return t.args[1] if len(t.args) == 2 else (Unknown("an item of a container of unknown type"),)
            if name in SEQUENCE_NAMES or name in TUPLE_NAMES:
                return union(*t.args) if t.args else (Unknown("an item of a container of unknown type"),)
            return (Ext(t.origin, instance=True),)
        if isinstance(t, ClassRef):
            return (t,)  # Answer[int]
        if isinstance(t, Instance):
            method = self._find_method(t.cls, "__getitem__")
            if method is not None:
                return self.returns(method, t.cls) or (Unknown(f"{_short(t.cls)}[...] has no known type"),)
            return (Unknown(f"{_short(t.cls)} has no __getitem__"),)
        if isinstance(t, Unknown):
            return (t,)
        return (Unknown("an item of an unknown value"),)

    def elements(self, types: Types) -> Types:
        """What iterating over a value of these types yields."""
        result: list[Types] = []
        for t in types:
            if isinstance(t, Ext):
                name = t.origin.rsplit(".", 1)[-1]
                if name in ("str", "bytes"):
                    result.append((t,))
                elif name in ("enumerate",) and t.args:
                    result.append((builtin("tuple", (builtin("int"),), t.args[0]),))
                elif name == "zip":
                    result.append((builtin("tuple", *t.args),))
                elif name in MAPPING_NAMES:
                    result.append(t.args[0] if t.args else (Unknown("an item of a container of unknown type"),))
                elif name in SEQUENCE_NAMES or name in TUPLE_NAMES:
                    result.append(union(*t.args) if t.args else (Unknown("an item of a container of unknown type"),))
                elif t.origin.startswith("builtins."):
                    result.append((Ext("builtins.object", instance=True),))
                else:
                    result.append((Ext(t.origin, instance=True),))
            elif isinstance(t, ClassRef):
                result.append((Instance(t.cls),))  # iterating an enum class
            elif isinstance(t, Instance):
                result.append(self._iterate(t.cls))
            elif isinstance(t, Unknown):
                result.append((t,))
            else:
                result.append((Unknown("iterating an unknown value"),))
        return union(*result)

    def _iterate(self, cls: str) -> Types:
        """What iterating an instance of project class ``cls`` yields: what its ``__iter__`` returns
        iterates to, or, when ``__iter__`` returns ``self`` (an iterator), what ``__next__`` returns."""
        depth = self._iterating.get(cls)
        if depth is not None:  # A.__iter__ returns a B, whose __iter__ returns an A ...
            self._hit_in_progress(depth)
            return (Unknown(f"iterating {_short(cls)} iterates it again"),)
        if self._too_deep():
            return self._unknown_too_deep()
        if not self._depth and self._asked_outside_top():  # the outermost query
            return self._at_top(lambda: self._iterate(cls))
        self._depth += 1
        depth = self._depth
        self._iterating[cls] = depth
        outer, self._taint = self._taint, _NOT_YET
        try:
            method = self._find_method(cls, "__iter__")
            returned = self.returns(method, cls) if method else ()
            itself = Instance(cls)
            if itself in returned:
                step = self._find_method(cls, "__next__")
                items = (self.returns(step, cls) if step else ()) or (
                    Unknown(f"what {_short(cls)}.__next__() returns"),)
                others = tuple(r for r in returned if r != itself)
                found = union(items, self.elements(others) if others else ())
            else:
                found = self.elements(returned) if returned else (Unknown(f"iterating {_short(cls)}"),)
        finally:
            del self._iterating[cls]
            self._depth -= 1
            taint = self._taint
            self._taint = outer if taint >= depth else min(outer, taint)
            if self._provisional_at:
                self._drop_provisional(depth)
        return found

    def unpack(self, types: Types, path: tuple[object, ...]) -> Types:
        for step in path:
            if step == "iter":
                types = self.elements(types)
            elif step == "star":
                types = (builtin("list", self.elements(types)),)
            else:
                index = cast(int, step)  # (an int: a tuple position)
                picked: list[Types] = []
                for t in types:
                    if isinstance(t, Ext) and t.origin.rsplit(".", 1)[-1] in TUPLE_NAMES and t.args:
                        picked.append(t.args[index] if len(t.args) > index else union(*t.args))
                    else:
                        picked.append(self.elements((t,)))
                types = union(*picked)
        return types

    def call_result(self, node: ast.Call, scope: Scope) -> Types:
        special = self._special_call(node, scope)
        if special is not None:
            return special
        groups: list[Types] = []
        for t in self.eval(node.func, scope):
            if isinstance(t, ClassRef):
                groups.append((Instance(t.cls),))
            elif isinstance(t, FuncRef):
                func = self.function_info(t.func) or self._bound_member_function(t)
                if func is None:
                    groups.append((Unknown(f"what {_short(t.func)}() returns"),))
                else:
                    groups.append(self.returns(func, t.bound) or (Unknown(f"what {func.display}() returns"),))
            elif isinstance(t, LocalFunc):
                func = self.local_function(t)
                groups.append(self.returns(func, t.bound) or (Unknown(f"what {func.display}() returns"),))
            elif isinstance(t, ContainerMethod):
                groups.append(t.result)
            elif isinstance(t, Ext):
                groups.append((Ext(t.origin, t.args if t.instance else (), instance=True),))
            elif isinstance(t, CallableT):
                groups.append(t.result or (Unknown("what a Callable-typed value returns"),))
            elif isinstance(t, Instance):
                method = self._find_method(t.cls, "__call__")
                groups.append(self.returns(method, t.cls) if method else (Unknown(f"{_short(t.cls)}()"),))
            elif isinstance(t, Unknown):
                groups.append((t,))
            else:
                groups.append((Unknown("what a local class or value returns"),))
        return union(*groups)

    def _bound_member_function(self, t: FuncRef) -> FunctionInfo | None:
        """The method a port-style reference ``Class.attr`` (the class holding it or a subclass) names,
        found through the class's MRO: a port's method may be declared on a base Protocol, and its
        return annotation is what the caller gets."""
        if t.bound is None or not t.func.startswith(t.bound + "."):
            return None
        attr = t.func[len(t.bound) + 1:]
        if "." in attr:
            return None
        return self._find_method(t.bound, attr)

    def _special_call(self, node: ast.Call, scope: Scope) -> Types | None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name is not None and name in _BUILTIN_NAMES and not _shadowed(name, scope):
            args = node.args
            if name == "super":
                if scope.defining_class and scope.bound:
                    return (SuperRef(scope.defining_class, scope.bound),)
                return (Unknown("super() outside a method"),)
            if name == "getattr" and len(args) >= 2:
                attr = args[1]
                if isinstance(attr, ast.Constant) and isinstance(attr.value, str):
                    found = union(*(self.attribute(t, attr.value) for t in self.eval(args[0], scope)))
                    return union(found, self.eval(args[2], scope)) if len(args) > 2 else found
                return (Unknown("getattr with a computed name"),)
            if name in ("sorted", "list", "tuple", "set", "frozenset", "reversed", "iter") and args:
                container = "list" if name in ("sorted", "reversed", "iter") else name
                return (builtin(container, self.elements(self.eval(args[0], scope))),)
            if name == "filter" and len(args) == 2:
                return (builtin("list", self.elements(self.eval(args[1], scope))),)
            if name in ("next", "min", "max") and args:
                if len(args) == 1 or name == "next":
                    found = self.elements(self.eval(args[0], scope))
                    return union(found, self.eval(args[1], scope)) if name == "next" and len(args) > 1 else found
                return union(*(self.eval(a, scope) for a in args))
            if name == "enumerate" and args:
                return (builtin("enumerate", self.elements(self.eval(args[0], scope))),)
            if name == "zip":
                return (builtin("zip", *(self.elements(self.eval(a, scope)) for a in args)),)
            if name == "type" and len(args) == 1:
                return tuple(ClassRef(t.cls) if isinstance(t, Instance) else Ext("builtins.type")
                             for t in self.eval(args[0], scope))
            if name == "__import__":
                return self._import_module_result(node, scope)
            if name in ("eval", "exec"):
                return (Unknown(f"{name}() of a string"),)
        func_types = self.eval(func, scope)
        for t in func_types:  # (each case below is about an external callee: most calls have none)
            if isinstance(t, Ext):
                break
        else:
            return None
        if any(isinstance(t, Ext) and t.origin == "importlib.import_module" for t in func_types):
            return self._import_module_result(node, scope)
        if node.args and any(isinstance(t, Ext) and not t.instance and t.origin == "functools.partial"
                             for t in func_types):
            # partial(f, ...) calls f when called: the value is f itself, followed like f.
            wrapped = self.eval(node.args[0], scope)
            return tuple(t if not isinstance(t, Unknown) else Ext("functools.partial", instance=True)
                         for t in wrapped)
        if any(isinstance(t, Ext) and t.origin in ("typing.cast", "typing_extensions.cast") for t in func_types) \
                and node.args:
            return self.annotation(node.args[0], scope)
        return None

    def _import_module_result(self, node: ast.Call, scope: Scope) -> Types:
        target = _literal_import_target(node, scope)
        if target is None:
            return (Unknown("a module imported by a computed name"),)
        if self.index.in_project(target):
            return (ModuleRef(target),) if self.index.has_module(target) else (Unknown(f"module {target}"),)
        return (Ext(target),)

    def returns(self, func: FunctionInfo, bound: str | None) -> Types:
        """What calling ``func`` (with ``self`` an instance of ``bound``) returns: its return annotation,
        else the union of its ``return`` statements."""
        key = (func.qualname, bound)
        owner = bound.rpartition(".")[0] if bound else func.module
        found = self._returns.get(key)
        if found is not None:
            self.index.reading.add(owner)
            return found
        found = self._recalled(("r", key))
        if found is not None:
            return found
        depth = self._returns_in_progress.get(key)
        if depth is not None:  # recursion: the other return statements tell
            self._hit_in_progress(depth)
            return ()
        if self._too_deep():
            return self._met_too_deep(("r", key), lambda: self.returns(func, bound))
        if not self._depth and self._asked_outside_top():  # the outermost query
            return self._at_top(lambda: self.returns(func, bound))
        previous = self.enter(owner)
        self._depth += 1
        depth = self._depth
        self._returns_in_progress[key] = depth
        outer, self._taint = self._taint, _NOT_YET
        try:
            scope = self.scope(func, bound)
            node = func.node
            if isinstance(node, ast.Lambda):
                result = self.eval(node.body, scope)
            elif node.returns is not None:
                result = self.annotation(node.returns, self.module_scope(func.module))
            else:
                values = [n.value for n in self._own_returns(func) if n.value is not None]
                if values:
                    result = union(*(self.eval(v, scope) for v in values))
                elif _is_abstract_body(func):
                    # An abstract method or a stub without a return annotation: what the implementation
                    # returns is unknown (calls on it are unresolved, not dropped as calls on None).
                    result = (Unknown(f"{func.display}() has no return annotation"),)
                else:
                    result = (NONE,)
        finally:
            del self._returns_in_progress[key]
            self._depth -= 1
            taint = self._taint
            self._taint = outer if taint >= depth else min(outer, taint)
            if self._provisional_at:
                self._drop_provisional(depth)
            self.leave(previous)
        if taint > depth:
            self._returns[key] = result
        else:
            self._store_provisional(("r", key), result, taint, depth)
        return result

    # Edges -----------------------------------------------------------------------------------------------

    def summary(self, func: FunctionInfo, bound: str | None) -> Summary:
        """The function's summary, read with ``self`` an instance of ``bound``: how it is shown in a
        chain and every edge leaving it, in source order (see ``archguard.dataflow.summaries``)."""
        self.begin()
        previous = self.enter(bound.rpartition(".")[0] if bound else func.module)
        try:
            edges = _EdgeFinder(self, func, bound).run()
        finally:
            self.leave(previous)
        info = self.module_of(func.module)
        return (func.display, info.display_path if info else None, edges)

    def hop_for(self, func: FunctionInfo, line: int) -> Hop:
        info = self.module_of(func.module)
        return Hop(func.display, info.display_path if info else None, line)

    def member_hop(self, cls_qualname: str, attr_path: str) -> Hop:
        """``Class.attr (path:line)``: the member's definition (or the class's, if it has none)."""
        attr = attr_path.split(".")[0]
        for cls in self.mro(cls_qualname)[0]:
            method = cls.methods.get(attr)
            if method is not None:
                return Hop(f"{_short(cls_qualname)}.{attr_path}", self._path(cls.module), method.lineno)
        info = self.class_info(cls_qualname)
        if info is None:
            return Hop(f"{_short(cls_qualname)}.{attr_path}")
        return Hop(f"{_short(cls_qualname)}.{attr_path}", self._path(info.module), info.lineno)

    def class_hop(self, cls_qualname: str) -> Hop:
        cls = self.class_info(cls_qualname)
        if cls is None:
            return Hop(_short(cls_qualname))
        return Hop(_short(cls_qualname), self._path(cls.module), cls.lineno)

    def _path(self, module: str) -> str | None:
        info = self.module_of(module)
        return info.display_path if info else None

    def describe(self, category: Category, kind: str, name: str) -> str:
        if category is Category.SYNC:
            return f"sync job {name}" if kind in ("class", "port", "function") else f"sync {kind} {name}"
        if category is Category.UNDECLARED_PORT:
            return f"undeclared port {name}"
        prefix = "live" if category is Category.LIVE else "local"
        return f"{prefix} {kind} {name}"

    # Operations -------------------------------------------------------------------------------------------

    def service_modules(self) -> list[str]:
        in_domain = packages_matcher(self.config.domain_packages)
        is_service = expressions_matcher(self.config.service_module_expressions)
        return [name for name in self.index.module_names if in_domain(name) and is_service(name)]


_STR = (builtin("str"),)
_BOOL = (builtin("bool"),)
_EVALUATORS: dict[type[ast.expr], Callable[[Analyzer, Any, Scope], Types]] = {
    ast.Name: Analyzer._eval_name,
    ast.Attribute: Analyzer._eval_attribute,
    ast.Call: Analyzer._eval_call,
    ast.Constant: Analyzer._eval_constant,
    ast.JoinedStr: Analyzer._eval_str,
    ast.List: Analyzer._eval_list,
    ast.Set: Analyzer._eval_list,
    ast.Tuple: Analyzer._eval_tuple,
    ast.Dict: Analyzer._eval_dict,
    ast.ListComp: Analyzer._eval_comprehension,
    ast.SetComp: Analyzer._eval_comprehension,
    ast.GeneratorExp: Analyzer._eval_comprehension,
    ast.DictComp: Analyzer._eval_dict_comprehension,
    ast.BinOp: Analyzer._eval_binop,
    ast.BoolOp: Analyzer._eval_boolop,
    ast.Compare: Analyzer._eval_bool,
    ast.UnaryOp: Analyzer._eval_unaryop,
    ast.IfExp: Analyzer._eval_ifexp,
    ast.Lambda: Analyzer._eval_lambda,
    ast.Await: Analyzer._eval_value,
    ast.NamedExpr: Analyzer._eval_value,
    ast.Starred: Analyzer._eval_value,
    ast.Subscript: Analyzer._eval_subscript,
    ast.Slice: Analyzer._eval_slice,
}


# Finding the edges of one function -------------------------------------------------------------------


class _EdgeFinder:
    def __init__(self, analyzer: Analyzer, func: FunctionInfo, bound: str | None) -> None:
        self.a = analyzer
        self.func = func
        self.bound = bound
        self.scope = analyzer.scope(func, bound)
        self.edges: list[tuple] = []  # (line, col, end, kind, ...): sorted, then (kind, line, ...)
        self.call_funcs: set[int] = set()

    def run(self) -> tuple[Edge, ...]:
        call_funcs = self.call_funcs
        for node in self.a.nodes(self.func):  # pre-order: a call comes before the expression it calls
            kind = type(node)
            if kind is ast.Call:
                call_funcs.add(id(node.func))  # type: ignore[attr-defined]
                self.on_call(node)  # type: ignore[arg-type]
            elif kind is ast.Attribute:
                if type(node.ctx) is ast.Load and id(node) not in call_funcs:  # type: ignore[attr-defined]
                    self.on_reference(node)  # type: ignore[arg-type]
            elif kind is ast.Name:
                if type(node.ctx) is ast.Load and id(node) not in call_funcs:  # type: ignore[attr-defined]
                    self.on_name_reference(node)  # type: ignore[arg-type]
            elif kind is ast.Import or kind is ast.ImportFrom:
                self.on_import(node)  # type: ignore[arg-type]
        # Source order; of calls starting at the same place (a(...).b()), the inner one first.
        self.edges.sort(key=_position)
        return tuple((e[3], e[0], *e[4:]) for e in self.edges)

    # What is found ----------------------------------------------------------------------------------------

    def on_import(self, node: ast.Import | ast.ImportFrom) -> None:
        info = self.scope.module
        statement = Hop(ast.unparse(node))
        if isinstance(node, ast.Import):
            groups = [[alias.name] for alias in node.names]
        else:
            base = resolve_relative(node.module or "", node.level, info.name, info.is_package)
            if base is None:
                return
            groups = [[alias.name] if not base else [base] if alias.name == "*" else [f"{base}.{alias.name}", base]
                      for alias in node.names]
        for candidates in groups:
            for candidate in candidates:
                if self.on_module(candidate, node, statement):
                    break

    def on_module(self, module: str, node: ast.AST, final: Hop) -> bool:
        """Record a reach for importing ``module``; True if it was judged (HTTP or a project module)."""
        http = self.a.http_module(module)
        if http is not None:
            self.reach(node, Category.LIVE, http, f"HTTP/SDK module {http}", final)
            return True
        if self.a.index.in_project(module) and self.a.index.has_module(module):
            for category in sorted(self.a.module_categories(module)):
                self.reach(node, category, module, self.a.describe(category, "module", module), final, module=True)
            return True
        return False

    def on_call(self, node: ast.Call) -> None:
        func_types = self.a.eval(node.func, self.scope)
        text = _CallText(node)
        if self._is_dynamic_import(node, func_types):
            target = _literal_import_target(node, self.scope)
            if target is None:
                self.unresolved(node, text, "a module imported by a computed name")
            else:
                self.on_module(target, node, Hop(ast.unparse(node)))
            return
        for t in func_types:
            self.on_callee(node, t, text)

    def on_callee(self, node: ast.AST, t: object, text: str | _CallText, *, reference: bool = False) -> None:
        a = self.a
        if isinstance(t, FuncRef):
            if t.bound is not None and a.class_categories(t.bound) and t.func.startswith(t.bound + "."):
                self.reach_class(node, t.bound, a.member_hop(t.bound, t.func[len(t.bound) + 1:]))
                return
            func = a.function_info(t.func)
            if func is None:
                if not reference:
                    self.unresolved(node, text, f"{_short(t.func)} cannot be found")
                return
            if func.class_qualname is None:
                cats = a.function_categories(func)
                if cats:
                    hop = a.hop_for(func, func.lineno)
                    for category in sorted(cats):
                        self.reach(node, category, func.qualname, a.describe(category, "function", func.qualname), hop)
                    return
            bound = None if func.is_staticmethod else t.bound
            self.call(node, func, bound)
        elif isinstance(t, ClassRef):
            if reference:
                return
            if a.class_categories(t.cls):
                self.reach_class(node, t.cls, a.class_hop(t.cls))
                return
            for name in ("__new__", "__init__", "__post_init__"):
                method = a._find_method(t.cls, name)
                if method is not None:
                    self.call(node, method, t.cls)
        elif isinstance(t, Instance):
            if reference:
                return
            if a.class_categories(t.cls):
                self.reach_class(node, t.cls, a.member_hop(t.cls, "__call__"))
                return
            method = a._find_method(t.cls, "__call__")
            if method is None:
                self.unresolved(node, text, f"an instance of {_short(t.cls)} is not callable")
            else:
                self.call(node, method, t.cls)
        elif isinstance(t, Ext):
            if reference:
                return
            http = a.http_module(t.origin)
            if http is not None:
                self.reach(node, Category.LIVE, http, f"HTTP/SDK module {http}", Hop(str(text)))
                return
            configured, cats, member = a.external_class(t.origin)
            if configured is not None:
                hop = Hop(f"{_short(configured)}.{member.split('.')[0]}" if member else _short(configured))
                for category in sorted(cats):
                    self.reach(node, category, configured, a.describe(category, "class", _short(configured)), hop)
                return
            opaque = _OPAQUE_CALLABLES.get(t.origin) if t.instance else None
            if opaque is not None:
                self.unresolved(node, text, opaque)
        elif isinstance(t, CallableT):
            if not reference:
                self.unresolved(node, text, "it is a Callable-typed value")
        elif isinstance(t, LocalFunc):
            if t.owner == self.func.qualname and t.bound == self.bound:
                return  # defined in this very function: its body is read as part of it
            func = a.local_function(t)
            self.call(node, func, t.bound)
        elif isinstance(t, Unknown):
            if not reference:
                self.unresolved(node, text, t.reason)
        elif isinstance(t, ModuleRef) and not reference:
            self.unresolved(node, text, f"module {t.module} is not callable")
        # Neutral, SuperRef, ContainerMethod: nothing to follow.

    def on_reference(self, node: ast.Attribute) -> None:
        """``obj.attr`` not called here: a property read runs code; a method passed on may be called."""
        a = self.a
        for base in a.eval(node.value, self.scope):
            if isinstance(base, Instance):
                if a.class_categories(base.cls):
                    method = a._find_method(base.cls, node.attr)
                    if method is not None:
                        self.reach_class(node, base.cls, a.member_hop(base.cls, node.attr))
                    continue
                method = a._find_method(base.cls, node.attr)
                if method is not None:
                    bound = None if method.is_staticmethod else base.cls
                    self.call(node, method, bound)
            elif isinstance(base, ModuleRef | ClassRef):
                if isinstance(base, ClassRef) and a.class_categories(base.cls):
                    # Class.method passed on may be called; Class.CONSTANT (an enum member, a setting) is data.
                    method = a._find_method(base.cls, node.attr)
                    if method is not None and not method.is_property:
                        self.reach_class(node, base.cls, a.member_hop(base.cls, node.attr))
                    continue
                for t in a.attribute(base, node.attr):
                    if isinstance(t, FuncRef):
                        self.on_callee(node, t, ast.unparse(node), reference=True)

    def on_name_reference(self, node: ast.Name) -> None:
        if node.id in self.scope.sources:
            return
        for t in self.a.lookup(node.id, self.scope):
            if isinstance(t, FuncRef):
                self.on_callee(node, t, node.id, reference=True)

    # Recording ------------------------------------------------------------------------------------------

    def reach_class(self, node: ast.AST, cls: str, final: Hop) -> None:
        a = self.a
        kind = "port" if a.is_protocol(cls) else "class"
        for category in sorted(a.class_categories(cls)):
            self.reach(node, category, cls, a.describe(category, kind, _short(cls)), final)

    def call(self, node: ast.AST, callee: FunctionInfo, bound: str | None) -> None:
        self.edges.append((node.lineno, node.col_offset, _end(node), CALL, callee.qualname, bound,  # type: ignore[attr-defined]
                           callee.module))

    def reach(self, node: ast.AST, category: Category, target: str, display: str, final: Hop, *,
              module: bool = False) -> None:
        port = self.a.class_hop(target) if category is Category.UNDECLARED_PORT else None
        self.edges.append((node.lineno, node.col_offset, _end(node), REACH, category.value, target, display,  # type: ignore[attr-defined]
                           hop_tuple(final), module, hop_tuple(port) if port else None))

    def unresolved(self, node: ast.AST, text: str | _CallText, reason: str) -> None:
        self.edges.append((node.lineno, node.col_offset, _end(node), UNRESOLVED, str(text), reason))  # type: ignore[attr-defined]

    def _is_dynamic_import(self, node: ast.Call, func_types: Types) -> bool:
        if isinstance(node.func, ast.Name) and node.func.id == "__import__" and not _shadowed("__import__", self.scope):
            return True
        return any(isinstance(t, Ext) and t.origin in _IMPORT_MODULE_ORIGINS for t in func_types)


# Helpers ------------------------------------------------------------------------------------------------


class _CallText:
    """``func()`` as written, made only when a message needs it (unparsing every call is costly)."""

    __slots__ = ("node",)

    def __init__(self, node: ast.Call) -> None:
        self.node = node

    def __str__(self) -> str:
        node = self.node
        text = getattr(node, "_archguard_text", None)  # kept on the node: freed with its tree
        if text is None:
            func = node.func
            text = node._archguard_text = f"{_dotted_text(func) or ast.unparse(func)}()"  # type: ignore[attr-defined]
        return text


def _dotted_text(node: ast.expr) -> str | None:
    """``a.b.c`` as ``ast.unparse`` writes it, for a name or a chain of attributes of a name (the common
    callee); None for anything else."""
    attrs: list[str] = []
    while type(node) is ast.Attribute:
        attrs.append(node.attr)
        node = node.value
    if type(node) is not ast.Name:
        return None
    attrs.append(node.id)
    return ".".join(reversed(attrs))


_BINDING_NODES = frozenset({
    ast.Global, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.comprehension,
    ast.With, ast.AsyncWith, ast.ExceptHandler, ast.NamedExpr, ast.Import, ast.ImportFrom, ast.FunctionDef,
    ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Call, ast.MatchAs, ast.MatchStar,
})


def _collect_locals(scope: Scope, func: FunctionInfo, nodes: list[ast.AST]) -> None:
    """Every name bound in the function (and in functions and lambdas nested in it), with how."""
    _add_params(scope, func.node.args, method=func.class_qualname is not None,
                staticmethod=func.is_staticmethod, classmethod=func.is_classmethod)
    globals_: set[str] = set()
    typed_lambdas: set[int] = set()  # lambdas whose parameter is typed by the call they are passed to
    for child in nodes:
        kind = type(child)
        if kind not in _BINDING_NODES:
            continue
        if kind is ast.Call:
            callee = child.func  # type: ignore[attr-defined]
            name = (callee.id if isinstance(callee, ast.Name) else callee.attr if isinstance(callee, ast.Attribute)
                    else "")
            if name in _LAMBDA_TAKERS:  # (most calls take no lambda: no call to find out)
                typed_lambdas.update(_bind_lambda_params(scope, child))  # type: ignore[arg-type]
        elif isinstance(child, ast.Global):  # (nonlocal names are the enclosing function's: same flat scope)
            globals_.update(child.names)
        elif isinstance(child, ast.Assign):
            for target in child.targets:
                _bind_target(scope, target, "value", child.value, ())
        elif isinstance(child, ast.AnnAssign):
            if isinstance(child.target, ast.Name):
                scope.add(child.target.id, _source("annotation", child.annotation))
        elif isinstance(child, ast.AugAssign):
            if isinstance(child.target, ast.Name):
                scope.add(child.target.id, _source("value", child.value))
        elif isinstance(child, ast.For | ast.AsyncFor | ast.comprehension):
            _bind_target(scope, child.target, "value", child.iter, ("iter",))
        elif isinstance(child, ast.With | ast.AsyncWith):
            for item in child.items:
                if item.optional_vars is not None:
                    _bind_target(scope, item.optional_vars, "enter", item.context_expr, ())
        elif isinstance(child, ast.ExceptHandler):
            if child.name:
                scope.add(child.name, _source("exception", child.type))
        elif isinstance(child, ast.NamedExpr):
            if isinstance(child.target, ast.Name):
                scope.add(child.target.id, _source("value", child.value))
        elif isinstance(child, ast.Import | ast.ImportFrom):
            for bound_name, binding in import_bindings(child, scope.module.name, scope.module.is_package):
                if bound_name != "*":
                    scope.add(bound_name, _source("binding", binding))
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            scope.add(child.name, _source("neutral", child))
            _add_params(scope, child.args, method=False, staticmethod=False, classmethod=False)
        elif isinstance(child, ast.ClassDef):
            # Its methods' bodies are not read: calls through it cannot be followed.
            scope.add(child.name, _source("types", (Unknown(f"{child.name} is a class defined inside a function"),)))
        elif isinstance(child, ast.Lambda):
            if id(child) not in typed_lambdas:
                _add_params(scope, child.args, method=False, staticmethod=False, classmethod=False)
        elif isinstance(child, ast.MatchAs | ast.MatchStar) and child.name:
            scope.add(child.name, _source("types", (Unknown(f"{child.name} is a match capture"),)))
    for name in globals_:
        scope.sources.pop(name, None)


class _LocalCycles:
    """The local names whose sources refer, directly or not, to themselves: each with its strongly
    connected group of names (sorted). Worked out as names are asked about, from them (most functions
    ask about a few of their names, and most of those use no other local name)."""

    def __init__(self, sources: dict[str, list[_Source]]) -> None:
        self.sources = sources
        self.uses: dict[str, set[str]] = {}
        self.names_in: dict[int, set[str]] = {}  # one expression is often the source of several names
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.groups: dict[str, tuple[str, ...]] = {}

    def _uses(self, name: str) -> set[str]:
        used = self.uses.get(name)
        if used is None:
            used = set()
            sources, names_in = self.sources, self.names_in
            for source in sources[name]:
                node = source.node
                if source.kind in ("value", "enter", "exception") and isinstance(node, ast.AST):
                    names = names_in.get(id(node))
                    if names is None:
                        names = names_in[id(node)] = _names_used(node, sources)
                    used |= names
            self.uses[name] = used
        return used

    def of(self, root: str) -> tuple[str, ...] | None:
        """The group of ``root`` (a local name), or None if it is in no cycle."""
        index = self.index
        if root in index:
            return self.groups.get(root)
        uses = self._uses(root)
        if not uses:
            return None  # (a name that uses none is in no cycle; it is not visited, as before)
        # Tarjan's algorithm from ``root``: the strongly connected groups do not depend on where it starts.
        low = self.low
        stack: list[str] = []
        on_stack: set[str] = set()
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(uses))]
        while work:
            name, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(self._uses(successor))))
                    break
                if successor in on_stack and index[successor] < low[name]:
                    low[name] = index[successor]
            else:
                work.pop()
                if work and low[name] < low[work[-1][0]]:
                    low[work[-1][0]] = low[name]
                if low[name] == index[name]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == name:
                            break
                    if len(group) > 1 or name in self.uses[name]:
                        members = tuple(sorted(group))
                        for member in group:
                            self.groups[member] = members
        return self.groups.get(root)


def _names_used(node: ast.AST, local: dict[str, list[_Source]]) -> set[str]:
    """The local names an expression reads."""
    if type(node) is ast.Name:
        return {node.id} if node.id in local else set()
    if type(node) is ast.Constant:
        return set()
    found: set[str] = set()
    stack = [node]
    node_type, name_type, fields_of = ast.AST, ast.Name, _CHILD_FIELDS
    while stack:
        child = stack.pop()
        kind = type(child)
        if kind is name_type:
            if child.id in local:  # type: ignore[attr-defined]
                found.add(child.id)  # type: ignore[attr-defined]
            continue
        fields = fields_of.get(kind)
        if fields is None:
            fields = _child_fields(kind)
        for field_name in fields:
            value = getattr(child, field_name, None)
            if value is None:
                continue
            if type(value) is list:
                stack.extend(item for item in value if isinstance(item, node_type))
            elif isinstance(value, node_type):
                stack.append(value)
    return found


#: Fields of syntax nodes that never hold a node (names, numbers, flags) and expression contexts:
#: walks skip them. The other fields are read in their declared order, the order of ``__dict__``.
_SCALAR_FIELDS = frozenset({"id", "ctx", "attr", "arg", "name", "asname", "module", "level", "kind",
                            "conversion", "is_async", "simple", "type_comment", "rest", "kwd_attrs"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes (a constant's value is no node)."""
    fields = tuple(f for f in getattr(kind, "_fields", ())
                   if f not in _SCALAR_FIELDS and not (kind is ast.Constant and f == "value"))
    _CHILD_FIELDS[kind] = fields
    return fields


def _add_params(scope: Scope, args: ast.arguments, *, method: bool, staticmethod: bool, classmethod: bool) -> None:
    positional = args.posonlyargs + args.args
    for i, arg in enumerate(positional):
        role = "param"
        if i == 0 and method and not staticmethod:
            role = "cls" if classmethod else "self"
        scope.add(arg.arg, _source("param", (arg, role)))
    for arg in args.kwonlyargs:
        scope.add(arg.arg, _source("param", (arg, "param")))
    if args.vararg is not None:
        scope.add(args.vararg.arg, _source("param", (args.vararg, "vararg")))
    if args.kwarg is not None:
        scope.add(args.kwarg.arg, _source("param", (args.kwarg, "kwarg")))


#: The callees whose lambda argument ``_bind_lambda_params`` types.
_LAMBDA_TAKERS = frozenset({"sorted", "min", "max", "sort", "map", "filter"})


def _bind_lambda_params(scope: Scope, call: ast.Call) -> set[int]:
    """``sorted(xs, key=lambda x: ...)``, ``xs.sort(key=lambda x: ...)``, ``map(lambda x: ..., xs)``:
    the lambda's parameter is an element of ``xs``."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    pairs: list[tuple[ast.expr, ast.expr]] = []
    if name in ("sorted", "min", "max") and call.args:
        pairs += [(kw.value, call.args[0]) for kw in call.keywords if kw.arg == "key"]
    elif name == "sort" and isinstance(func, ast.Attribute):
        pairs += [(kw.value, func.value) for kw in call.keywords if kw.arg == "key"]
    elif name in ("map", "filter") and len(call.args) == 2:
        pairs.append((call.args[0], call.args[1]))
    bound: set[int] = set()
    for lam, iterable in pairs:
        if isinstance(lam, ast.Lambda) and len(lam.args.args) == 1:
            scope.add(lam.args.args[0].arg, _source("value", iterable, ("iter",)))
            bound.add(id(lam))
    return bound


def _bind_target(scope: Scope, target: ast.expr, kind: str, value: ast.expr, path: tuple[object, ...]) -> None:
    if isinstance(target, ast.Name):
        scope.add(target.id, _source(kind, value, path))
    elif isinstance(target, ast.Tuple | ast.List):
        for i, element in enumerate(target.elts):
            if isinstance(element, ast.Starred):
                _bind_target(scope, element.value, kind, value, (*path, "star"))
            else:
                _bind_target(scope, element, kind, value, (*path, i))


def _argument_for(call: ast.Call, params: list[str], name: str, explicit_self: bool) -> ast.expr | None:
    """The expression a call passes for parameter ``name`` (``params`` counts ``self`` first)."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if name not in params:
        return None
    position = params.index(name) - (0 if explicit_self else 1)
    args = call.args
    if position < 0 or any(isinstance(a, ast.Starred) for a in args[: position + 1]) or position >= len(args):
        return None
    return args[position]


def _is_abstract_body(func: FunctionInfo) -> bool:
    """An abstract method, or a body that only documents and raises/ends (``...``, ``pass``, ``raise``)."""
    if "abstractmethod" in func.decorators:
        return True
    body = func.node.body
    if not isinstance(body, list):
        return False
    statements = [stmt for stmt in body
                  if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                          and isinstance(stmt.value.value, str))]
    return bool(statements) and all(
        isinstance(stmt, ast.Pass | ast.Raise) or (isinstance(stmt, ast.Expr) and _is_ellipsis(stmt.value))
        for stmt in statements)


def _walk_body(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[ast.AST]:
    """Every node in the function's body, each before its children (nested functions and lambdas
    included, the bodies of nested classes not; expression contexts left out). Siblings come in no
    particular order: edges are sorted by position afterwards."""
    result: list[ast.AST] = []
    stack: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
    append, push = result.append, stack.append
    node_type, class_def, fields_of = ast.AST, ast.ClassDef, _CHILD_FIELDS
    while stack:
        child = stack.pop()
        append(child)
        kind = type(child)
        if kind is class_def:
            continue
        fields = fields_of.get(kind)
        if fields is None:
            fields = _child_fields(kind)
        for field_name in fields:
            value = getattr(child, field_name, None)
            if value is None:
                continue
            if type(value) is list:
                for item in value:
                    if isinstance(item, node_type):
                        push(item)
            elif isinstance(value, node_type):
                push(value)
    return result


def _statements(body: list[ast.stmt]):
    """Every statement of a body, nested blocks included (not nested functions and classes)."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        # (Only the fields the statement's type has are read: a getattr with a default that misses makes
        # and throws away an AttributeError, and most statements hold no block.)
        blocks, handlers, cases = _statement_blocks(type(stmt))
        for name in blocks:
            block = getattr(stmt, name)
            if block:
                stack.extend(reversed(block))
        if handlers:
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                stack.extend(reversed(handler.body))
        if cases:
            for case in stmt.cases:  # type: ignore[attr-defined]
                stack.extend(reversed(case.body))


_STATEMENT_BLOCKS: dict[type, tuple[tuple[str, ...], bool, bool]] = {}


def _statement_blocks(kind: type) -> tuple[tuple[str, ...], bool, bool]:
    """A statement type's fields holding statements (of ``body``, ``orelse`` and ``finalbody``, in that
    order), and whether it has ``handlers`` and ``cases``."""
    found = _STATEMENT_BLOCKS.get(kind)
    if found is None:
        fields: tuple[str, ...] = kind._fields  # type: ignore[attr-defined]
        found = _STATEMENT_BLOCKS[kind] = (tuple(name for name in ("body", "orelse", "finalbody") if name in fields),
                                           "handlers" in fields, "cases" in fields)
    return found


_BLOCK_NAMES = frozenset({"body", "orelse", "finalbody", "handlers", "cases"})
_NO_RETURNS_INSIDE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BLOCK_FIELDS: dict[type, tuple[str, ...]] = {}


def _block_fields(kind: type) -> tuple[str, ...]:
    """A node type's fields holding statements (or handlers, cases), in the order of its fields."""
    found = _BLOCK_FIELDS.get(kind)
    if found is None:
        found = _BLOCK_FIELDS[kind] = tuple(f for f in kind._fields if f in _BLOCK_NAMES)  # type: ignore[attr-defined]
    return found


def _own_returns(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Return]:
    """The function's own ``return`` statements (not those of functions or classes nested in it), last
    first: only statement blocks are walked, expressions cannot hold one."""
    found: list[ast.Return] = []
    stack: list[ast.AST] = list(node.body)
    while stack:
        child = stack.pop()
        if type(child) is ast.Return:
            found.append(child)
            continue
        if isinstance(child, _NO_RETURNS_INSIDE):
            continue
        for field in _block_fields(type(child)):
            block = getattr(child, field)
            if block:
                stack.extend(block)
    return found


def _self_targets(target: ast.expr, self_name: str, path: tuple[object, ...] = ()):
    if _is_self_attr(target, self_name):
        yield target.attr, path  # type: ignore[attr-defined]
    elif isinstance(target, ast.Tuple | ast.List):
        for i, element in enumerate(target.elts):
            yield from _self_targets(element, self_name, (*path, i))


def _is_self_attr(target: ast.expr, self_name: str) -> bool:
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == self_name


def _target_path(target: ast.expr, name: str, path: tuple[object, ...] = ()) -> tuple[object, ...] | None:
    if isinstance(target, ast.Name):
        return path if target.id == name else None
    if isinstance(target, ast.Tuple | ast.List):
        for i, element in enumerate(target.elts):
            found = _target_path(element, name, (*path, i))
            if found is not None:
                return found
    return None


def _terminal(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _shadowed(name: str, scope: Scope) -> bool:
    return name in scope.sources or name in scope.module.last_kind


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _class_of(t: object) -> Types:
    if isinstance(t, Instance):
        return (ClassRef(t.cls),)
    if isinstance(t, Ext):
        return (Ext(t.origin),)
    return (t,)  # type: ignore[return-value]


def _literal_import_target(node: ast.Call, scope: Scope) -> str | None:
    if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
        return None
    name = node.args[0].value
    if not name.startswith("."):
        return name
    package = None
    if len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
        package = node.args[1].value
    for kw in node.keywords:
        if kw.arg == "package" and isinstance(kw.value, ast.Constant):
            package = kw.value.value
    if package is None:
        module = scope.module
        package = module.name if module.is_package else module.name.rpartition(".")[0]
    level = len(name) - len(name.lstrip("."))
    parts = str(package).split(".")
    if level - 1 >= len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    rest = name[level:]
    return ".".join(base + ([rest] if rest else []))


def _position(edge: tuple) -> tuple[int, int, int]:
    return edge[0], edge[1], edge[2]


def _end(node: ast.AST) -> int:
    line = getattr(node, "end_lineno", None) or 0
    col = getattr(node, "end_col_offset", None) or 0
    return line * 100_000 + col


def _short(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]
