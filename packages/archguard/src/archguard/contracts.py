"""import-linter contract types of our own, registered in ``.importlinter`` under ``contract_types``."""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.domain.contract import InvalidContractOptions
from importlinter.domain.helpers import module_expressions_to_modules
from rich.markup import escape

from archguard.source_imports import SourceImport, find_imports, module_matches

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

    Configuration options:

        - source_modules:    Module expressions (wildcards allowed) whose source is checked, each
                             with its descendants. Each must exist.
        - forbidden_modules: Dotted module names; importing one of them or anything inside it is
                             forbidden. Internal or external, at any depth (``http.client``).
        - allowed_modules:   Dotted names inside a forbidden module that may be imported after all
                             (``infra.interfaces`` inside a forbidden ``infra``). The most specific
                             name wins. (Optional.)
        - broken_contract_guidance: Shown after the violations. (Optional.)

    A from-import ``from a import b`` imports module ``a.b`` when that is a module and otherwise the
    attribute ``b`` of ``a``; both are judged by the most specific rule naming ``a.b`` or above.
    Relative imports are resolved against the importing module. This contract never imports the
    code it checks.
    """

    type_name = "forbidden_source_imports"

    source_modules = fields.SetField(subfield=fields.ModuleExpressionField())
    forbidden_modules = fields.SetField(subfield=fields.StringField())
    allowed_modules = fields.SetField(subfield=fields.StringField(), required=False)
    broken_contract_guidance = fields.TextField(required=False)

    def validate(self) -> None:
        errors: dict[str, str] = {}
        forbidden: set[str] = self.forbidden_modules  # type: ignore[assignment]
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
        for module in sorted(m.name for m in sources):
            path = locator.find(module)
            if path is None:
                if not graph.find_children(module):
                    warnings.append(f"No source file found for {module}; its imports were not checked.")
                continue
            source = path.read_text(encoding="utf-8")
            scanned += 1
            for found in find_imports(source, module, is_package=path.name == "__init__.py"):
                violation = self._judge(module, found, path, graph)
                if violation is not None:
                    violations.append(violation)
        output.verbose_print(verbose, f"Read the source of {scanned} modules.")
        return ContractCheck(kept=not violations, warnings=warnings, metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        violations: list[SourceViolation] = check.metadata["violations"]
        for rule in sorted({v.rule for v in violations}):
            output.print_error(f"Forbidden imports of {rule} (read from the source):")
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

    def _rule_for(self, module: str) -> tuple[str, bool] | None:
        """The most specific configured name containing ``module``, and whether it forbids."""
        matches = [(name, True) for name in self.forbidden_modules if module_matches(module, name)]  # type: ignore[attr-defined]
        matches += [(name, False) for name in self.allowed_modules or () if module_matches(module, name)]  # type: ignore[attr-defined]
        return max(matches, key=lambda match: len(match[0])) if matches else None

    def _judge(self, importer: str, found: SourceImport, path: Path, graph: grimp.ImportGraph
               ) -> SourceViolation | None:
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
