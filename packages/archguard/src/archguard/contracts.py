"""import-linter contract types of our own, registered in ``.importlinter`` under ``contract_types``::

    contract_types =
        forbidden_source_imports: archguard.contracts.ForbiddenSourceImportsContract
        independent_children: archguard.contracts.IndependentChildrenContract

They need the ``importlinter`` extra (import-linter and grimp).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.application.contract_utils import AlertLevel
from importlinter.contracts.independence import IndependenceContract
from importlinter.domain.contract import InvalidContractOptions
from importlinter.domain.helpers import MissingImport, module_expressions_to_modules
from importlinter.domain.imports import ImportExpression, ModuleExpression
from rich.markup import escape

from archguard import cachefile
from archguard.dataflow.names import expression_matches
from archguard.source_imports import ImportKind, SourceImport, find_imports, module_matches

_DOTTED_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True, slots=True)
class SourceViolation:
    importer: str
    imported: str
    rule: str
    path: str
    found: SourceImport

    @property
    def chain(self) -> str:
        return f"{self.importer} -> {self.imported}"


class ForbiddenSourceImportsContract(Contract):
    """Source modules must not import the forbidden modules, however the import is written.

    The check reads the source of every module in ``source_modules`` (and their descendants) with
    ``ast`` and reports each import of a forbidden module, naming file:line and the statement:

    - ``import x`` and ``from x import y``, at module level or inside a function or method;
    - ``importlib.import_module("x")`` (under any alias of importlib, or ``import_module`` imported
      from it) and ``__import__("x")`` with a literal name, which no import graph records.

    Why a source check at all: grimp 3.20 *does* record function-level imports (verified: an
    ``import httpx`` inside a function appears in the graph with its line number, so the built-in
    ``forbidden`` contract catches it). What it cannot record is an import whose target is a string
    passed to a function at run time; this contract covers those. It also matches sub-modules of
    external packages precisely (``http.client`` is forbidden while ``http.HTTPStatus`` is not), which
    the built-in contract cannot do because grimp keeps external packages as top-level names only.

    - ``importlib.import_module(name)`` / ``__import__(name)`` with a computed name: what it loads
      cannot be known, so it is a violation of its own (``computed_imports = forbidden``, the default).

    Configuration options:

        - source_modules:    Module expressions (wildcards allowed) whose source is checked, each
                             with its descendants. Each must exist.
        - forbidden_modules: Dotted module names; importing one of them or anything inside it is
                             forbidden. Internal or external, at any depth (``http.client``).
                             (Optional when computed imports are forbidden.)
        - allowed_modules:   Dotted names inside a forbidden module that may be imported after all
                             (``infra.interfaces`` inside a forbidden ``infra``). The most specific
                             name wins. (Optional.)
        - computed_imports:  ``forbidden`` (default) or ``allowed``: a dynamic import by a computed
                             name. It is reported as an import of ``importlib.import_module`` or
                             ``__import__``, which ``ignore_imports`` can name.
        - exclude_type_checking_imports: ``true`` to skip imports under ``if TYPE_CHECKING:``
                             (default: the ``[importlinter]`` option of the same name, else false).
        - ignore_imports:    Import expressions (``importer -> imported``, wildcards allowed) of
                             violations to ignore, as in import-linter's own contracts. (Optional.)
        - unmatched_ignore_imports_alerting: ``error`` (default), ``warn`` or ``none``: what an
                             ``ignore_imports`` entry matching no violation does (a stale ignore).
        - broken_contract_guidance: Shown after the violations. (Optional.)

    A from-import ``from a import b`` imports module ``a.b`` when that is a module and otherwise the
    attribute ``b`` of ``a``; both are judged by the most specific rule naming ``a.b`` or above.
    Relative imports are resolved against the importing module. This contract never imports the
    code it checks.
    """

    type_name = "forbidden_source_imports"

    source_modules = fields.SetField(subfield=fields.ModuleExpressionField())
    forbidden_modules = fields.SetField(subfield=fields.StringField(), required=False)
    allowed_modules = fields.SetField(subfield=fields.StringField(), required=False)
    computed_imports = fields.StringField(required=False)
    exclude_type_checking_imports = fields.BooleanField(required=False)
    ignore_imports = fields.SetField(subfield=fields.ImportExpressionField(), required=False)
    unmatched_ignore_imports_alerting = fields.EnumField(AlertLevel, default=AlertLevel.ERROR)
    broken_contract_guidance = fields.TextField(required=False)

    def validate(self) -> None:
        errors: dict[str, str] = {}
        if self.computed_imports not in (None, "forbidden", "allowed"):  # type: ignore[attr-defined]
            errors["computed_imports"] = f"Expected forbidden or allowed, not {self.computed_imports!r}."  # type: ignore[attr-defined]
        elif not self.forbidden_modules and not self._forbids_computed():  # type: ignore[attr-defined]
            errors["forbidden_modules"] = "Name at least one module (or keep computed_imports forbidden)."
        forbidden: set[str] = self.forbidden_modules or set()  # type: ignore[assignment]
        allowed: set[str] = self.allowed_modules or set()  # type: ignore[assignment]
        for field_name, names in (("forbidden_modules", forbidden), ("allowed_modules", allowed)):
            bad = sorted(name for name in names if not _DOTTED_NAME.match(name))
            if bad:
                errors[field_name] = f"Not dotted module names: {', '.join(bad)}."
        stray = sorted(name for name in allowed if not any(module_matches(name, f) for f in forbidden))
        if stray:
            errors["allowed_modules"] = (
                f"Each allowed module must lie inside a forbidden module; these do not: {', '.join(stray)}."
            )
        if errors:
            raise InvalidContractOptions(errors)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        sources = module_expressions_to_modules(
            graph,
            self.source_modules,  # type: ignore[arg-type]
            as_packages=True,
            raise_if_unmatched=True,
        )
        locator = _SourceLocator()
        violations: list[SourceViolation] = []
        warnings: list[str] = []
        scanned = 0
        skip_type_checking = self._excludes_type_checking()
        for module in sorted(m.name for m in sources):
            path = locator.find(module)
            if path is None:
                if not graph.find_children(module):
                    warnings.append(f"No source file found for {module}; its imports were not checked.")
                continue
            scanned += 1
            for found in _imports_of(path, module):
                if skip_type_checking and found.type_checking:
                    continue
                violation = self._judge(module, found, path, graph)
                if violation is not None:
                    violations.append(violation)
        violations, ignored, unmatched = self._apply_ignores(violations)
        if unmatched and self.unmatched_ignore_imports_alerting is AlertLevel.ERROR:  # type: ignore[attr-defined]
            raise MissingImport("\n".join(f"No matches for ignored import {e}." for e in unmatched))
        if self.unmatched_ignore_imports_alerting is AlertLevel.WARN:  # type: ignore[attr-defined]
            warnings += [f"No matches for ignored import {e}." for e in unmatched]
        if _IMPORTS is not None:
            _IMPORTS.save()
        output.verbose_print(verbose, f"Read the source of {scanned} modules.")
        return ContractCheck(kept=not violations, warnings=warnings, ignored_import_count=ignored,
                             metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        violations: list[SourceViolation] = check.metadata["violations"]
        for rule in sorted({v.rule for v in violations}):
            title = ("Imports by a computed name (no rule can tell what they load)" if rule == _COMPUTED
                     else f"Forbidden imports of {rule}")
            output.print_error(f"{title} (read from the source):")
            output.new_line()
            for v in (v for v in violations if v.rule == rule):
                output.print_error(f"-   {v.chain} (l.{v.found.lineno})", bold=False)
                output.print_error(
                    escape(f"      {v.path}:{v.found.lineno}: {v.found.statement}  [{v.found.where}]"),
                    bold=False,
                )
            output.new_line()
        contract_utils.render_broken_contract_guidance(self.broken_contract_guidance)  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------------------

    def _forbids_computed(self) -> bool:
        return (self.computed_imports or "forbidden") == "forbidden"  # type: ignore[attr-defined]

    def _excludes_type_checking(self) -> bool:
        if self.exclude_type_checking_imports is not None:  # type: ignore[attr-defined]
            return bool(self.exclude_type_checking_imports)  # type: ignore[attr-defined]
        return str(self.session_options.get("exclude_type_checking_imports", "")).lower() == "true"

    def _apply_ignores(self, violations: list[SourceViolation]
                       ) -> tuple[list[SourceViolation], int, list[ImportExpression]]:
        """(violations left, how many were ignored, ignore entries that matched none)."""
        expressions: list[ImportExpression] = sorted(self.ignore_imports or (), key=str)  # type: ignore[attr-defined]
        kept: list[SourceViolation] = []
        used: set[str] = set()
        ignored = 0
        for violation in violations:
            matching = [e for e in expressions if _ignores(e, violation)]
            if matching:
                ignored += 1
                used.update(str(e) for e in matching)
            else:
                kept.append(violation)
        return kept, ignored, [e for e in expressions if str(e) not in used]

    def _rule_for(self, module: str) -> tuple[str, bool] | None:
        """The most specific configured name containing ``module``, and whether it forbids."""
        matches = [(name, True) for name in self.forbidden_modules or () if module_matches(module, name)]  # type: ignore[attr-defined]
        matches += [(name, False) for name in self.allowed_modules or () if module_matches(module, name)]  # type: ignore[attr-defined]
        return max(matches, key=lambda match: len(match[0])) if matches else None

    def _judge(self, importer: str, found: SourceImport, path: Path, graph: grimp.ImportGraph
               ) -> SourceViolation | None:
        if found.computed:
            if not self._forbids_computed():
                return None
            return SourceViolation(importer=importer, imported=found.module, rule=_COMPUTED,
                                   path=_display_path(path), found=found)
        rule = self._rule_for(found.candidate)
        if rule is None or not rule[1]:
            return None
        imported = found.candidate
        if found.name is not None and found.candidate not in graph.modules:
            # "from a import b" where a.b is not a known module: b is probably an attribute of a.
            module_rule = self._rule_for(found.module)
            if module_rule is not None and module_rule[1]:
                imported = found.module
        return SourceViolation(importer=importer, imported=imported, rule=rule[0],
                               path=_display_path(path), found=found)


_COMPUTED = "<computed>"


def _ignores(expression: ImportExpression, violation: SourceViolation) -> bool:
    return (expression_matches(violation.importer, expression.importer.expression)
            and expression_matches(violation.imported, expression.imported.expression))


class IndependentChildrenContract(IndependenceContract):
    """Every child of each ``parents`` package is independent of its siblings, directly or indirectly,
    except the ``shared`` ones (a shared kernel every child may import).

    The children are read from the import graph when the contract runs, so a package added under a
    parent is covered the day it appears, without editing the configuration (the built-in
    ``independence`` contract covers only the modules it lists). A route from one child to another
    through a shared module is a violation too (a shared kernel must not import its children).

    Configuration options:

        - parents:        Packages whose children must be independent. Each must exist.
        - shared:         Children that every child may import (``domains.core``). Each must be a
                          child of a parent. (Optional.)
        - ignore_imports, unmatched_ignore_imports_alerting, broken_contract_guidance: as in
                          import-linter's ``independence`` contract.
    """

    type_name = "independent_children"

    modules = None  # type: ignore[assignment]  # computed from parents, never configured
    parents = fields.SetField(subfield=fields.StringField())
    shared = fields.SetField(subfield=fields.StringField(), required=False)

    @classmethod
    def _get_field_names(cls) -> list[str]:
        return [name for name in super()._get_field_names() if name != "modules"]

    def validate(self) -> None:
        errors: dict[str, str] = {}
        parents: set[str] = self.parents  # type: ignore[assignment]
        shared: set[str] = self.shared or set()  # type: ignore[assignment]
        bad = sorted(name for name in {*parents, *shared} if not _DOTTED_NAME.match(name))
        if bad:
            errors["parents"] = f"Not dotted module names: {', '.join(bad)}."
        stray = sorted(name for name in shared if name.rpartition(".")[0] not in parents)
        if stray:
            errors["shared"] = f"Each shared module must be a child of a parent; these are not: {', '.join(stray)}."
        if errors:
            raise InvalidContractOptions(errors)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        missing = sorted(name for name in self.parents if name not in graph.modules)  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"Module '{missing[0]}' does not exist.")
        shared: set[str] = self.shared or set()  # type: ignore[assignment]
        stray = sorted(name for name in shared if name not in graph.modules)
        if stray:
            raise ValueError(f"Module '{stray[0]}' does not exist.")
        children = sorted(child for parent in self.parents  # type: ignore[attr-defined]
                          for child in graph.find_children(parent) if child not in shared)
        output.verbose_print(verbose, f"Independent children: {', '.join(children)}.")
        self.modules = [ModuleExpression(child) for child in children]  # type: ignore[assignment]
        return super().check(graph, verbose)


def _imports_of(path: Path, module: str) -> list[SourceImport]:
    """The imports in a module's source: read once per run of lint-imports however many contracts ask,
    and kept across runs in ``.archguard_cache/imports.bin`` while the file keeps its size and time."""
    global _IMPORTS
    if _IMPORTS is None:
        directory = cachefile.directory(Path.cwd())
        _IMPORTS = _ImportsCache(directory / "imports.bin" if directory is not None else None)
    return _IMPORTS.imports(path, module)


class _ImportsCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.started = time.time()
        self.entries: dict[str, tuple] = {}
        self.found: dict[tuple[str, str], list[SourceImport]] = {}
        self.dirty = False
        document = cachefile.read(path) if path is not None else None
        if isinstance(document, dict) and document.get("version") == _imports_version():
            self.written = document.get("written", 0.0)
            self.entries = document.get("entries", {})
        else:
            self.written = 0.0

    def imports(self, path: Path, module: str) -> list[SourceImport]:
        key = (str(path), module)
        found = self.found.get(key)
        if found is not None:
            return found
        stat = path.stat()
        entry = self.entries.get(key[0])
        if (entry is not None and entry[:3] == (stat.st_mtime_ns, stat.st_size, module)
                and stat.st_mtime < self.written - cachefile.RACY_SECONDS):
            found = [SourceImport(*item[:4], ImportKind(item[4]), *item[5:]) for item in entry[3]]
        else:
            source = path.read_text(encoding="utf-8")
            found = find_imports(source, module, is_package=path.name == "__init__.py")
            self.entries[key[0]] = (stat.st_mtime_ns, stat.st_size, module, tuple(
                (i.lineno, i.statement, i.module, i.name, i.kind.value, i.in_function, i.type_checking, i.computed)
                for i in found))
            self.dirty = True
        self.found[key] = found
        return found

    def save(self) -> None:
        if self.dirty and self.path is not None:
            self.dirty = False
            cachefile.write(self.path, {"version": _imports_version(), "written": self.started,
                                        "entries": self.entries})


def _imports_version() -> str:
    return hashlib.blake2b(Path(find_imports.__code__.co_filename).read_bytes(), digest_size=12).hexdigest()


_IMPORTS: _ImportsCache | None = None


class _SourceLocator:
    """Finds the source file of a module without importing it (nor its parent packages)."""

    def __init__(self) -> None:
        self._root_dirs: dict[str, list[Path]] = {}

    def find(self, module: str) -> Path | None:
        root, *rest = module.split(".")
        for base in self._dirs_of(root):
            target = base.joinpath(*rest)
            candidates = [target / "__init__.py"]
            if rest:
                candidates.append(target.with_name(f"{target.name}.py"))
            for candidate in candidates:
                if candidate.is_file():
                    return candidate
        return None

    def _dirs_of(self, root: str) -> list[Path]:
        if root not in self._root_dirs:
            spec = importlib.util.find_spec(root)
            locations = list(spec.submodule_search_locations or []) if spec else []
            self._root_dirs[root] = [Path(location) for location in locations]
        return self._root_dirs[root]


def _display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)
