"""``DataFlowContract``: the data-flow rules as an import-linter contract type (``type = data_flow``).

Register it in ``.importlinter`` and give it a section::

    [importlinter]
    contract_types =
        data_flow: archguard.dataflow.contract.DataFlowContract

    [importlinter:contract:data-flow]
    name = Domain operations follow their declared data-flow pattern
    type = data_flow
    domain_packages = shop.domain
    port_modules = shop.ports
    live_packages = shop.adapters.payments
    ...

Every option of ``archguard.dataflow.config.DataFlowConfig`` is an option here (lists one per line,
booleans ``true``/``false``; ``expected`` lines read ``module.Class.method = local_read``), plus:

- ``config_file``: a TOML file read first (the other options override it);
- ``baseline``: a baseline JSON file (``archguard audit --baseline FILE --update-baseline`` writes
  it): the contract then breaks only on findings not in it, and on entries
  of it that no longer match a finding;
- ``cache_dir``: where the checker keeps its cache (``archguard.dataflow.cache``; default
  ``$ARCHGUARD_CACHE``, else ``.archguard_cache`` in the directory lint-imports runs in, beside
  import-linter's own cache); ``none`` runs without it. The findings are the same either way.

The contract reads the source of the modules in the grimp graph (it imports none of them), with
paths relative to the directory lint-imports runs in (the repository root), as ``archguard audit``
shows them. It breaks on every violation, and on unresolved calls when ``strict = true``; otherwise
unresolved calls are shown as warnings. A configuration naming a package, module or class that does
not exist stops the run with an error naming it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.application import contract_utils
from importlinter.domain.contract import InvalidContractOptions
from rich.markup import escape

from archguard import cachefile
from archguard.dataflow import baseline as baseline_file
from archguard.dataflow.checker import check
from archguard.dataflow.config import ConfigError, DataFlowConfig, from_options
from archguard.dataflow.model import Finding, Kind, Report

_LIST = "list"
_BOOL = "bool"
_STR = "str"
_INT = "int"
# Every option of DataFlowConfig is an option of the contract (a test checks the fields below match).
_OPTIONS: dict[str, str] = {
    f.name: (_BOOL if f.name in ("require_declarations", "strict") else _INT if f.name == "jobs"
             else _STR if f.name.endswith("_label") else _LIST)
    for f in dataclass_fields(DataFlowConfig) if f.name != "root"
}


class DataFlowContract(Contract):
    """Each domain operation reaches only what its declared pattern allows (see ``archguard.dataflow``)."""

    type_name = "data_flow"

    source_roots = fields.ListField(subfield=fields.StringField(), required=False)
    root_packages = fields.ListField(subfield=fields.StringField(), required=False)
    domain_packages = fields.ListField(subfield=fields.StringField(), required=False)
    service_modules = fields.ListField(subfield=fields.StringField(), required=False)
    service_classes = fields.ListField(subfield=fields.StringField(), required=False)
    base_classes = fields.ListField(subfield=fields.StringField(), required=False)
    infra_packages = fields.ListField(subfield=fields.StringField(), required=False)
    port_modules = fields.ListField(subfield=fields.StringField(), required=False)
    live_packages = fields.ListField(subfield=fields.StringField(), required=False)
    local_packages = fields.ListField(subfield=fields.StringField(), required=False)
    jobs_packages = fields.ListField(subfield=fields.StringField(), required=False)
    http_modules = fields.ListField(subfield=fields.StringField(), required=False)
    exclude_modules = fields.ListField(subfield=fields.StringField(), required=False)
    local_read_markers = fields.ListField(subfield=fields.StringField(), required=False)
    local_write_markers = fields.ListField(subfield=fields.StringField(), required=False)
    live_markers = fields.ListField(subfield=fields.StringField(), required=False)
    local_port_markers = fields.ListField(subfield=fields.StringField(), required=False)
    live_port_markers = fields.ListField(subfield=fields.StringField(), required=False)
    sync_job_markers = fields.ListField(subfield=fields.StringField(), required=False)
    live_classes = fields.ListField(subfield=fields.StringField(), required=False)
    local_classes = fields.ListField(subfield=fields.StringField(), required=False)
    sync_classes = fields.ListField(subfield=fields.StringField(), required=False)
    expected = fields.ListField(subfield=fields.StringField(), required=False)
    require_declarations = fields.BooleanField(required=False)
    strict = fields.BooleanField(required=False)
    jobs = fields.IntegerField(required=False, minimum=0)
    local_label = fields.StringField(required=False)
    live_label = fields.StringField(required=False)
    sync_label = fields.StringField(required=False)
    config_file = fields.StringField(required=False)
    baseline = fields.StringField(required=False)
    cache_dir = fields.StringField(required=False)
    broken_contract_guidance = fields.TextField(required=False)

    def validate(self) -> None:
        try:
            self._config()
        except ConfigError as exc:
            raise InvalidContractOptions({"data_flow": str(exc)}) from exc

    def _config(self) -> DataFlowConfig:
        options: dict[str, Any] = {}
        for name, kind in _OPTIONS.items():
            value = getattr(self, name, None)
            if value is None:
                continue
            options[name] = list(value) if kind == _LIST else value
        if self.config_file:  # type: ignore[attr-defined]
            options["config_file"] = self.config_file  # type: ignore[attr-defined]
        return from_options(options, root=Path.cwd())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        config = self._config()
        roots = config.root_packages or tuple(self.session_options.get("root_packages") or config.packages_to_read)
        config = config.with_(root_packages=tuple(roots))
        # Where lint-imports found the packages (on sys.path), so paths agree with what it checked.
        package_dirs = {root: path for root in config.root_packages if (path := _package_dir(root)) is not None}
        cache = getattr(self, "cache_dir", None)
        if cache is None:
            cache_dir = cachefile.directory(Path.cwd())
        else:
            cache_dir = None if str(cache).strip().lower() in ("none", "off", "false") else Path.cwd() / str(cache)
        report = check(config, modules=graph.modules, package_dirs=package_dirs, cache_dir=cache_dir)
        output.verbose_print(verbose, f"Read the source of {report.modules_read} modules for "
                                      f"{len(report.operations)} domain operations.")
        warnings = list(report.notes)
        metadata: dict[str, Any] = {"report": report, "new": None, "stale": ()}
        if self.baseline:  # type: ignore[attr-defined]
            path = Path(self.baseline)  # type: ignore[attr-defined]
            try:
                comparison = baseline_file.compare(report, baseline_file.read(path))
            except baseline_file.BaselineError as exc:
                return ContractCheck(kept=False, warnings=warnings, metadata={**metadata, "error": str(exc)})
            metadata.update(new=comparison.failing_new, stale=comparison.stale, baseline=str(path))
            kept = comparison.ok
            unresolved = [f for f in comparison.new if f.kind is Kind.UNRESOLVED and not report.strict]
        else:
            kept = report.ok
            unresolved = [f for f in report.findings if f.kind is Kind.UNRESOLVED and not report.strict]
        warnings += [f"Unresolved (strict mode off): {f.text}" for f in unresolved]
        return ContractCheck(kept=kept, warnings=warnings, metadata=metadata)

    def render_broken_contract(self, check: ContractCheck) -> None:
        if "error" in check.metadata:
            output.print_error(escape(check.metadata["error"]), bold=False)
            output.new_line()
            return
        report: Report = check.metadata["report"]
        if check.metadata.get("new") is not None:
            findings: tuple[Finding, ...] = check.metadata["new"]
            heading = f"Findings not in the baseline {check.metadata['baseline']}:"
        else:
            findings = report.failing()
            heading = "Domain operations that break their data-flow pattern:"
        if findings:
            output.print_error(heading)
            output.new_line()
            for finding in findings:
                _render_finding(finding)
        stale = check.metadata.get("stale") or ()
        if stale:
            output.print_error(f"Stale baseline entries in {check.metadata['baseline']} (no finding matches them "
                               "any more; update the baseline):")
            output.new_line()
            for entry in stale:
                output.print_error(escape(f"-   {entry.text}"), bold=False)
            output.new_line()
        contract_utils.render_broken_contract_guidance(self.broken_contract_guidance)  # type: ignore[arg-type]


def _render_finding(finding: Finding) -> None:
    """One finding: its head line, then one hop per line (long chains would wrap otherwise)."""
    head = f"{finding.subject} [{finding.declared}] {finding.message}"
    output.print_error(escape(f"-   {finding.rule}: {head}"), bold=False)
    for i, hop in enumerate(finding.chain):
        output.print_error(escape(f"      {'   ' if i == 0 else '-> '}{hop}"), bold=False)
    output.new_line()


def _package_dir(root: str) -> Path | None:
    """The directory of a top-level package, found without importing it."""
    spec = importlib.util.find_spec(root)
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return Path(locations[0])
    if spec.origin and spec.origin.endswith(".py"):
        return Path(spec.origin).with_suffix("")
    return None
