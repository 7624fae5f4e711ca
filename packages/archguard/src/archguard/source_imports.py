"""Every import a module's source makes, found with ``ast``.

An import graph built by grimp records ``import x`` and ``from x import y`` wherever they appear,
at module level or inside a function (grimp 3.20 does see function-level imports). What no import
graph sees are imports whose target is a string handed to a function at run time:
``importlib.import_module("x")``, ``import_module("x")`` after ``from importlib import import_module``,
and ``__import__("x")``. This module finds all of them, so a contract can hold the source to the
same rules as the graph. Only literal names can be read; ``import_module(name)`` with a computed
``name`` is beyond any static tool, so it is reported as such (``computed=True``) for a contract to
refuse. Imports inside ``if TYPE_CHECKING:`` (or ``if typing.TYPE_CHECKING:``) are marked
``type_checking=True``: they never run.

The module names it returns are as written in the source, resolved for relative imports; it never
imports or executes the code it reads.
"""

from __future__ import annotations

import ast
import enum
import re
from dataclasses import dataclass


class ImportKind(enum.Enum):
    IMPORT = "import"
    FROM_IMPORT = "from-import"
    IMPORT_MODULE = "importlib.import_module"
    DUNDER_IMPORT = "__import__"

    @property
    def is_dynamic(self) -> bool:
        return self in (ImportKind.IMPORT_MODULE, ImportKind.DUNDER_IMPORT)


@dataclass(frozen=True, slots=True)
class SourceImport:
    """One imported name in one statement.

    ``module`` is the module named by the statement (for ``from a.b import c`` it is ``a.b``);
    ``name`` is the name taken from it in a from-import (``c``), else None: ``c`` may be a submodule
    or an attribute, which only the importer's caller can tell (see ``candidate``).
    """

    lineno: int
    statement: str
    module: str  # for a computed dynamic import: the function called (importlib.import_module, __import__)
    name: str | None
    kind: ImportKind
    in_function: bool
    type_checking: bool = False  # inside ``if TYPE_CHECKING:``
    computed: bool = False  # a dynamic import whose module name is not a literal

    @property
    def candidate(self) -> str:
        """The most specific module this import may load: ``a.b.c`` for ``from a.b import c``."""
        return f"{self.module}.{self.name}" if self.name else self.module

    @property
    def where(self) -> str:
        """A short description of how the import is made, for messages."""
        parts = []
        if self.computed:
            parts.append(f"dynamic import via {self.kind.value} of a computed name")
        elif self.kind.is_dynamic:
            parts.append(f"dynamic import via {self.kind.value}")
        if self.in_function:
            parts.append("inside a function")
        if self.type_checking:
            parts.append("under TYPE_CHECKING")
        return ", ".join(parts) if parts else "module level"


def find_imports(source: str, module_name: str, *, is_package: bool = False) -> list[SourceImport]:
    """Every import made anywhere in ``source``, the source of module ``module_name``, in source order.

    ``is_package`` says whether the source is a package's ``__init__.py`` (relative imports resolve
    from the package itself rather than from its parent). Raises ``SyntaxError`` on invalid source.
    """
    tree = ast.parse(source)
    finder = _ImportFinder(source, module_name, is_package)
    finder.visit(tree)
    return finder.found


def resolve_relative(name: str, level: int, module_name: str, is_package: bool) -> str | None:
    """The absolute module a relative import names, or None if it climbs above the root package."""
    if level == 0:
        return name
    package_parts = module_name.split(".") if is_package else module_name.split(".")[:-1]
    if level - 1 >= len(package_parts):
        return None
    base_parts = package_parts[: len(package_parts) - (level - 1)]
    return ".".join(base_parts + ([name] if name else []))


def module_matches(module: str, prefix: str) -> bool:
    """Whether ``module`` is ``prefix`` or inside it (``http.client`` matches ``http``, ``httpx`` does not)."""
    return module == prefix or module.startswith(prefix + ".")


class _ImportFinder(ast.NodeVisitor):
    def __init__(self, source: str, module_name: str, is_package: bool) -> None:
        self.source = source
        self.module_name = module_name
        self.is_package = is_package
        self.found: list[SourceImport] = []
        self._lines: list[str] | None = None
        self._last_statement: tuple[ast.AST, str] | None = None
        self._function_depth = 0
        self._type_checking_depth = 0
        # Local names bound to the importlib module and to its import_module function.
        self._importlib_names: set[str] = set()
        self._import_module_names: set[str] = set()

    # Scopes ------------------------------------------------------------------------------------

    def _visit_function(self, node: ast.AST) -> None:
        self._function_depth += 1
        self.generic_visit(node)
        self._function_depth -= 1

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function
    visit_Lambda = _visit_function

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.visit(node.test)
            self._type_checking_depth += 1
            for stmt in node.body:
                self.visit(stmt)
            self._type_checking_depth -= 1
            for stmt in node.orelse:  # the else branch runs
                self.visit(stmt)
            return
        self.generic_visit(node)

    # Statements --------------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name == "importlib":
                self._importlib_names.add(alias.asname or "importlib")
            self._add(node, alias.name, None, ImportKind.IMPORT)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = resolve_relative(node.module or "", node.level, self.module_name, self.is_package)
        if module is None:
            return
        for alias in node.names:
            if module == "importlib" and alias.name == "import_module":
                self._import_module_names.add(alias.asname or "import_module")
            if not module:
                # "from . import x" at the top of a root package: x itself is the module.
                self._add(node, alias.name, None, ImportKind.FROM_IMPORT)
            else:
                self._add(node, module, None if alias.name == "*" else alias.name, ImportKind.FROM_IMPORT)

    def visit_Call(self, node: ast.Call) -> None:
        kind = self._dynamic_import_kind(node.func)
        if kind is not None:
            target = self._dynamic_target(node, kind)
            if target:
                self._add(node, target, None, kind)
            else:  # a computed name (or a relative one whose anchor package is computed)
                called = "__import__" if kind is ImportKind.DUNDER_IMPORT else "importlib.import_module"
                self._add(node, called, None, kind, computed=True)
        self.generic_visit(node)

    # Helpers -----------------------------------------------------------------------------------

    def _dynamic_import_kind(self, func: ast.expr) -> ImportKind | None:
        if isinstance(func, ast.Name):
            if func.id == "__import__":
                return ImportKind.DUNDER_IMPORT
            if func.id in self._import_module_names:
                return ImportKind.IMPORT_MODULE
        elif isinstance(func, ast.Attribute):
            if func.attr == "__import__":
                return ImportKind.DUNDER_IMPORT
            # Any ``<something>.import_module(...)``: importlib under any alias, or re-exported.
            if func.attr == "import_module":
                return ImportKind.IMPORT_MODULE
        return None

    def _dynamic_target(self, node: ast.Call, kind: ImportKind) -> str | None:
        name = _literal_argument(node, 0, "name")
        if name is None:
            return None
        if kind is ImportKind.IMPORT_MODULE:
            if not name.startswith("."):
                return name
            level = len(name) - len(name.lstrip("."))
            package = _literal_argument(node, 1, "package")
            anchor = self._package_argument(node) if package is None else package
            if anchor is None:
                return None
            return resolve_relative(name[level:], level, anchor, is_package=True)
        level_node = _argument(node, 4, "level")
        level = level_node.value if isinstance(level_node, ast.Constant) else 0
        if not isinstance(level, int) or level == 0:
            return name
        return resolve_relative(name, level, self.module_name, self.is_package)

    def _package_argument(self, node: ast.Call) -> str | None:
        """The anchor of ``package=__package__`` or ``package=__name__``, as Python would use it."""
        package = _argument(node, 1, "package")
        if isinstance(package, ast.Name) and package.id == "__package__":
            return self.module_name if self.is_package else self.module_name.rpartition(".")[0]
        if isinstance(package, ast.Name) and package.id == "__name__":
            return self.module_name
        return None

    def _statement(self, node: ast.AST) -> str:
        """The statement's text on one line (the source is split into lines once, not once per name)."""
        if self._last_statement is not None and self._last_statement[0] is node:
            return self._last_statement[1]
        if self._lines is None:
            self._lines = _LINE_BREAKS.split(self.source)
        lines = self._lines
        first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        if first == last:  # offsets count UTF-8 bytes
            text = lines[first].encode()[start:end].decode()
        else:
            text = " ".join([lines[first].encode()[start:].decode(), *lines[first + 1:last],
                             lines[last].encode()[:end].decode()])
        statement = " ".join(text.split())
        self._last_statement = (node, statement)
        return statement

    def _add(self, node: ast.AST, module: str, name: str | None, kind: ImportKind, *, computed: bool = False
             ) -> None:
        self.found.append(
            SourceImport(
                lineno=node.lineno,  # type: ignore[attr-defined]
                statement=self._statement(node),
                module=module,
                name=name,
                kind=kind,
                in_function=self._function_depth > 0,
                type_checking=self._type_checking_depth > 0,
                computed=computed,
            )
        )


#: Line breaks as the parser counts them (``ast.get_source_segment`` splits the same way).
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def _is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``<anything>.TYPE_CHECKING`` (``typing.TYPE_CHECKING``, ``t.TYPE_CHECKING``)."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _argument(node: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(node.args) > position and not any(isinstance(arg, ast.Starred) for arg in node.args[: position + 1]):
        return node.args[position]
    for kw in node.keywords:
        if kw.arg == keyword:
            return kw.value
    return None


def _literal_argument(node: ast.Call, position: int, keyword: str) -> str | None:
    arg = _argument(node, position, keyword)
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
        return arg.value
    return None

