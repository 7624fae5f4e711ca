"""The project's source as the checker sees it: modules, their names, classes and functions.

Modules are found on disk (or given, e.g. from the grimp graph) by name, and parsed with ``ast`` only
when the analysis first needs them, so a large tree costs only what the domain operations reach.
Nothing is imported or executed.
"""

from __future__ import annotations

import ast
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from archguard.dataflow.records import fields, mypyc_attr
from archguard.source_imports import resolve_relative


@mypyc_attr(native_class=False)
@fields("module", "name", "lineno")
class Binding(tuple):
    """What a module-level (or function-level) name was bound to by an import.

    ``import a.b`` binds ``a`` to module ``a`` (``module="a"``, ``name=None``); ``import a.b as x``
    binds ``x`` to module ``a.b``; ``from a import b`` binds ``b`` to ``name="b"`` of ``module="a"``
    (a submodule or an attribute, decided when it is looked up).

    (A tuple: one is made for every name every module read imports, and a frozen dataclass takes
    several times as long to make.)
    """

    __slots__ = ()
    module: str
    name: str | None
    lineno: int

    def __new__(cls, module: str, name: str | None, lineno: int) -> Binding:
        return tuple.__new__(cls, (module, name, lineno))

    def __getnewargs__(self) -> tuple[str, str | None, int]:
        return (self[0], self[1], self[2])

    def __repr__(self) -> str:
        return f"Binding(module={self[0]!r}, name={self[1]!r}, lineno={self[2]!r})"


@dataclass(eq=False)
class FunctionInfo:
    qualname: str  # module.Class.method or module.function
    name: str
    module: str
    class_qualname: str | None
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    decorators: tuple[str, ...]
    #: For a function or lambda defined inside another one: how a hop names it (``Class.method.<lambda>``).
    label: str | None = None

    @property
    def lineno(self) -> int:
        return self.node.lineno

    @property
    def display(self) -> str:
        """``Class.method`` or ``function``: how a hop names it (the path tells the module)."""
        if self.label:
            return self.label
        if self.class_qualname:
            return f"{self.class_qualname.rsplit('.', 1)[1]}.{self.name}"
        return self.name

    @property
    def is_property(self) -> bool:
        return any(d in ("property", "cached_property", "setter", "getter", "deleter") for d in self.decorators)

    @property
    def is_staticmethod(self) -> bool:
        return "staticmethod" in self.decorators

    @property
    def is_classmethod(self) -> bool:
        return "classmethod" in self.decorators


@dataclass(eq=False)
class ClassInfo:
    qualname: str
    name: str
    module: str
    node: ast.ClassDef
    decorators: tuple[str, ...]
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    # Class-level names: annotation (AnnAssign) and/or value (Assign), in source order.
    class_vars: dict[str, list[tuple[ast.expr | None, ast.expr | None]]] = field(default_factory=dict)

    @property
    def lineno(self) -> int:
        return self.node.lineno


@dataclass(eq=False)
class ModuleInfo:
    name: str
    path: str
    display_path: str
    is_package: bool
    tree: ast.Module
    size: int = 0  # characters of source
    bindings: dict[str, Binding] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    # Module-level variables: (annotation, value, target) per assignment, in source order.
    variables: dict[str, list[tuple[ast.expr | None, ast.expr | None, ast.expr]]] = field(default_factory=dict)
    # Which kind of definition a name had last: "import", "class", "function" or "variable".
    last_kind: dict[str, str] = field(default_factory=dict)


#: Marks a name read only for whether a module of that name exists (``ProjectIndex.has_module``), not for
#: its content: a result that only asked whether a module exists does not change when the module's
#: content does (the cache keeps such reads apart: ``archguard.dataflow.cache``).
EXISTS = "?"
#: Idle modules kept all the same, the most recently used first (a module used now and then is not parsed
#: again each time).
KEPT_IDLE = 128


def file_digest(content: bytes) -> bytes:
    """The hash a module's content is known by (the cache keys on it)."""
    return hashlib.blake2b(content, digest_size=16).digest()


def decorator_name(node: ast.expr) -> str:
    """The last name component of a decorator: ``@a.b.live`` and ``@live(x)`` are ``live``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


class ProjectIndex:
    """The modules of the root packages, parsed on demand.

    Root packages are looked for in ``source_dirs`` (the repository root and ``src`` by default), unless
    ``package_dirs`` says where they are. Any other top-level package or module found in a source
    directory is project code too: it is discovered (and read) the first time an operation reaches it,
    so a helper in a package nobody configured is followed rather than taken for a library.
    """

    def __init__(self, root: Path, packages: Iterable[str], *, modules: Iterable[str] | None = None,
                 package_dirs: dict[str, Path] | None = None, exclude: Iterable[str] = (),
                 source_dirs: Iterable[Path] = ()) -> None:
        self.root = root.resolve()
        # A module under the root is shown by its path relative to it (None on Windows: relpath decides).
        self._root_prefix = str(self.root).rstrip("/") + "/" if os.sep == "/" else "\0"
        self.packages = tuple(packages)
        self._source_dirs = tuple(source_dirs) or (self.root,)
        given = package_dirs or {}
        self._package_dirs: dict[str, Path] = {}
        for pkg in self.packages:
            found = given.get(pkg) or self._find_top_level(pkg)
            if found is not None:  # a root package that does not exist is reported by the checker
                self._package_dirs[pkg] = found
        self._absent_tops: set[str] = set()
        self._paths: dict[str, str] = {}  # module -> its file (strings: a large tree has many)
        self._sorted_names: list[str] | None = None
        self._parsed: dict[str, ModuleInfo] = {}  # the syntax trees held
        self._no_module: set[str] = set()  # names asked about that are no module (or none that parses)
        self._exclude = tuple(exclude)
        #: Every module name looked up is added to this set (``EXISTS`` before it when only asked whether it
        #: exists): the analysis points it at the read set of whatever it is computing, so a cached result
        #: knows the modules it was computed from (see ``archguard.dataflow.cache``).
        self.reading: set[str] = set()
        #: A module's last use, in units of work (``tick``): modules idle for long are evicted.
        self.tick = 0
        self._last_use: dict[str, int] = {}
        self._ever_parsed: set[str] = set()
        self.hot: set[str] = set()
        self.held_size = 0  # bytes of source whose trees are held
        #: Content hashes of the module files read (or known unchanged from the cache), by module.
        self.digests: dict[str, bytes] = {}
        self.parses = 0  # parse operations, re-parses after an eviction included
        if modules is None:
            for pkg, directory in self._package_dirs.items():
                self._discover(pkg, directory)
        else:
            for name in modules:
                path = self._locate(name)
                if path is not None:
                    self._paths[name] = str(path)
        self._apply_exclude()

    def _apply_exclude(self) -> None:
        if self._exclude:
            from archguard.dataflow.names import expression_matches

            for name in [n for n in self._paths if any(expression_matches(n, e) for e in self._exclude)]:
                del self._paths[name]
            self._sorted_names = None

    def _find_top_level(self, name: str) -> Path | None:
        """Where a top-level package (a directory with ``__init__.py``) or module lives in the source
        directories, as the path the package would be at (``src/app``; ``app`` for ``app.py``)."""
        if not name.isidentifier():
            return None
        for directory in self._source_dirs:
            candidate = directory / name
            if (candidate / "__init__.py").is_file() or candidate.with_suffix(".py").is_file():
                return candidate
        return None

    # Modules -------------------------------------------------------------------------------------

    @property
    def module_names(self) -> list[str]:
        """Every module found so far, sorted."""
        if self._sorted_names is None or len(self._sorted_names) != len(self._paths):
            self._sorted_names = sorted(self._paths)
        return self._sorted_names

    def has_module(self, name: str) -> bool:
        self.reading.add(EXISTS + name)
        if name not in self._paths:
            self.in_project(name)  # a top-level package found only now
        return name in self._paths

    def in_project(self, dotted: str) -> bool:
        """Whether a dotted name lies inside one of the root packages, or inside another top-level
        package of the source directories (discovered now, the first time it is asked about)."""
        top = dotted.split(".")[0]
        self.reading.add(EXISTS + top)
        if top in self._package_dirs:
            return True
        if top in self._absent_tops:
            return False
        directory = self._find_top_level(top)
        if directory is None:
            self._absent_tops.add(top)
            return False
        self._package_dirs[top] = directory
        self._discover(top, directory)
        self._apply_exclude()
        return True

    def package_dir(self, top: str) -> Path | None:
        return self._package_dirs.get(top) if self.in_project(top) else None

    def module(self, name: str) -> ModuleInfo | None:
        self.reading.add(name)
        self._last_use[name] = self.tick
        try:
            return self._parsed[name]
        except KeyError:
            if name in self._no_module:
                return None
        path = self._paths.get(name)
        info = None
        if path is not None:
            info = self._parse(name, path)
        if info is None:
            self._no_module.add(name)
            return None
        self.parses += 1
        if name in self._ever_parsed:
            self.hot.add(name)  # dropped too early once: kept from now on (within the budget)
        self._ever_parsed.add(name)
        self.held_size += info.size
        self._parsed[name] = info
        return info

    def is_parsed(self, name: str) -> bool:
        return name in self._parsed

    def evict(self, name: str) -> None:
        """Forget a module's syntax tree (it is parsed again if it is needed again)."""
        self._no_module.discard(name)
        info = self._parsed.pop(name, None)
        if info is not None:
            self.held_size -= info.size
        self._last_use.pop(name, None)

    def to_evict(self, idle_ticks: int, budget: int) -> list[str]:
        """Parsed modules to forget: those unused in the last ``idle_ticks`` ticks (except the ones
        parsed again after being forgotten once, and the KEPT_IDLE used last), and the least recently
        used while the source of those held exceeds ``budget`` bytes."""
        limit = self.tick - idle_ticks
        last_use, hot, parsed = self._last_use, self.hot, self._parsed
        get = last_use.get
        # (Run every few service modules over every tree held: the idle ones only are listed, and all
        # of them only when the budget is exceeded.)
        idle = [(used, name) for name in parsed if (used := get(name, -1)) < limit and name not in hot]
        if len(idle) <= KEPT_IDLE:
            chosen: list[str] = []
        else:
            idle.sort()
            chosen = [name for _, name in idle[:len(idle) - KEPT_IDLE]]  # the most recent few stay
        size = self.held_size - sum(parsed[name].size for name in chosen) if chosen else self.held_size
        if size > budget:
            held = [(get(name, -1), name, info.size) for name, info in parsed.items()]
            dropped = set(chosen)
            for _, name, module_size in sorted(held):
                if size <= budget:
                    break
                if name not in dropped:
                    chosen.append(name)
                    size -= module_size
        return chosen

    @property
    def package_dirs_found(self) -> dict[str, Path]:
        """Where each top-level package read so far lives."""
        return dict(self._package_dirs)

    def path_of(self, name: str) -> str | None:
        return self._paths.get(name)

    def source_bytes(self, name: str) -> bytes | None:
        """A module's source as bytes (not parsed), or None if it has no file that can be read; its
        content hash is kept (``content_digest`` need not read it again)."""
        path = self._paths.get(name)
        if path is None:
            return None
        try:
            with open(path, "rb", buffering=0) as file:  # (read whole: no buffer in between)
                source = file.read()
        except OSError:
            return None
        self.digests[name] = file_digest(source)
        return source

    @property
    def parsed_count(self) -> int:
        """How many distinct modules were parsed (whether their trees are still held or not)."""
        return len(self._ever_parsed)

    def display_path(self, path: Path | str) -> str:
        text = str(path)
        prefix = self._root_prefix
        if text.startswith(prefix) and "/." not in text and "//" not in text:
            return text[len(prefix):]  # (what relpath gives for a clean path under the root, cheaply)
        try:
            return Path(os.path.relpath(path, self.root)).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def _discover(self, package: str, directory: Path) -> None:
        if not directory.is_dir():
            single = directory.with_suffix(".py")
            if single.is_file():
                self._paths[package] = str(single)
            return
        stack = [(package, str(directory))]
        paths = self._paths
        while stack:
            name, folder = stack.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    entry_name = entry.name
                    if entry_name.endswith(".py"):
                        if entry_name == "__init__.py":
                            paths[name] = entry.path
                        elif entry_name[:-3].isidentifier() and not entry.is_dir(follow_symlinks=False):
                            paths[f"{name}.{entry_name[:-3]}"] = entry.path
                    elif entry_name.isidentifier() and entry.is_dir(follow_symlinks=False):
                        stack.append((f"{name}.{entry_name}", entry.path))

    def _locate(self, name: str) -> Path | None:
        root, *rest = name.split(".")
        base = self._package_dirs.get(root)
        if base is None:
            return None
        target = base.joinpath(*rest)
        if (target / "__init__.py").is_file():
            return target / "__init__.py"
        if target.with_name(f"{target.name}.py").is_file():
            return target.with_name(f"{target.name}.py")
        return None

    # Parsing -------------------------------------------------------------------------------------

    def content_digest(self, name: str) -> bytes | None:
        """The hash of a module's file content (None if it has no readable file), read once a run."""
        digest = self.digests.get(name)
        if digest is None and name in self._paths:
            try:
                with open(self._paths[name], "rb", buffering=0) as file:
                    digest = file_digest(file.read())
            except OSError:
                return None
            self.digests[name] = digest
        return digest

    def _parse(self, name: str, path: str) -> ModuleInfo | None:
        try:
            # (Not through pathlib, and unbuffered: the file is read whole, for every module read.)
            with open(path, "rb", buffering=0) as file:
                source = file.read()
        except OSError:
            return None
        self.digests[name] = file_digest(source)
        try:
            tree = ast.parse(source, filename=path)  # bytes: a PEP 263 coding line is honoured
        except (SyntaxError, ValueError):
            return None
        is_package = os.path.basename(path) == "__init__.py"
        info = ModuleInfo(name=name, path=path, display_path=self.display_path(path), is_package=is_package,
                          tree=tree, size=len(source))
        self._collect(info, tree.body)
        return info

    def _collect(self, info: ModuleInfo, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                for bound, binding in import_bindings(stmt, info.name, info.is_package):
                    if bound == "*":
                        info.star_imports.append(binding.module)
                    else:
                        info.bindings[bound] = binding
                        info.last_kind[bound] = "import"
            elif isinstance(stmt, ast.ClassDef):
                info.classes[stmt.name] = self._class(info, stmt)
                info.last_kind[stmt.name] = "class"
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                info.functions[stmt.name] = FunctionInfo(
                    qualname=f"{info.name}.{stmt.name}", name=stmt.name, module=info.name, class_qualname=None,
                    node=stmt, decorators=tuple(decorator_name(d) for d in stmt.decorator_list))
                info.last_kind[stmt.name] = "function"
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    for name in _target_names(target):
                        info.variables.setdefault(name, []).append((None, stmt.value, target))
                        info.last_kind[name] = "variable"
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                info.variables.setdefault(stmt.target.id, []).append((stmt.annotation, stmt.value, stmt.target))
                info.last_kind[stmt.target.id] = "variable"
            elif isinstance(stmt, ast.If | ast.Try | ast.With):
                # TYPE_CHECKING blocks, optional imports: both branches may bind names.
                for block in _blocks(stmt):
                    self._collect(info, block)

    def _class(self, info: ModuleInfo, node: ast.ClassDef) -> ClassInfo:
        qualname = f"{info.name}.{node.name}"
        cls = ClassInfo(qualname=qualname, name=node.name, module=info.name, node=node,
                        decorators=tuple(decorator_name(d) for d in node.decorator_list))
        for stmt in _flatten(node.body):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                decorators = tuple(decorator_name(d) for d in stmt.decorator_list)
                if stmt.name in cls.methods and any(d in ("setter", "deleter") for d in decorators):
                    continue  # keep the property's getter
                cls.methods[stmt.name] = FunctionInfo(
                    qualname=f"{qualname}.{stmt.name}", name=stmt.name, module=info.name,
                    class_qualname=qualname, node=stmt, decorators=decorators)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                cls.class_vars.setdefault(stmt.target.id, []).append((stmt.annotation, stmt.value))
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        cls.class_vars.setdefault(target.id, []).append((None, stmt.value))
        return cls


def import_bindings(stmt: ast.Import | ast.ImportFrom, module_name: str, is_package: bool
                    ) -> list[tuple[str, Binding]]:
    """The names an import statement binds, and to what (``"*"`` for a star import)."""
    result: list[tuple[str, Binding]] = []
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                result.append((alias.asname, Binding(alias.name, None, stmt.lineno)))
            else:
                top = alias.name.split(".")[0]
                result.append((top, Binding(top, None, stmt.lineno)))
        return result
    base = resolve_relative(stmt.module or "", stmt.level, module_name, is_package)
    if base is None:
        return result
    for alias in stmt.names:
        if alias.name == "*":
            result.append(("*", Binding(base, None, stmt.lineno)))
        elif not base:
            result.append((alias.asname or alias.name, Binding(alias.name, None, stmt.lineno)))
        else:
            result.append((alias.asname or alias.name, Binding(base, alias.name, stmt.lineno)))
    return result


def imported_modules(stmt: ast.Import | ast.ImportFrom, module_name: str, is_package: bool) -> list[str]:
    """The most specific module each name of an import statement may load (``a.b.c`` for
    ``from a.b import c``; the caller decides whether ``c`` is a module)."""
    if isinstance(stmt, ast.Import):
        return [alias.name for alias in stmt.names]
    base = resolve_relative(stmt.module or "", stmt.level, module_name, is_package)
    if base is None:
        return []
    if not base:
        return [alias.name for alias in stmt.names]
    return [base if alias.name == "*" else f"{base}.{alias.name}" for alias in stmt.names]


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _blocks(stmt: ast.If | ast.Try | ast.With) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.If):
        return [stmt.body, stmt.orelse]
    if isinstance(stmt, ast.With):
        return [stmt.body]
    return [stmt.body, *(handler.body for handler in stmt.handlers), stmt.orelse, stmt.finalbody]


def _flatten(body: list[ast.stmt]) -> list[ast.stmt]:
    """Class-body statements, looking into if/try blocks (conditional definitions)."""
    result: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If | ast.Try):
            for block in _blocks(stmt):
                result.extend(_flatten(block))
        else:
            result.append(stmt)
    return result
