"""Data-flow pattern rules: what each domain operation reaches, checked against what it declares.

Read from the source with ``ast`` (nothing is imported): see ``analysis`` for what is followed and
``model`` for the findings. Entry points:

- ``check(config) -> Report`` (pytest, scripts);
- ``archguard.dataflow.contract.DataFlowContract``, an import-linter contract type (``lint-imports``);
- ``archguard.dataflow.cli.main(["audit", ...])``: the pattern map as text, JSON, SARIF or Markdown,
  with a baseline.

The markers the code declares itself with live in ``infra.interfaces.patterns`` (this package only
reads their names).
"""

from archguard.dataflow.checker import check
from archguard.dataflow.config import ConfigError, DataFlowConfig, from_importlinter, from_mapping, load_toml
from archguard.dataflow.model import RULES, Category, Finding, Hop, Kind, OperationResult, Reach, Report

__all__ = [
    "RULES",
    "Category",
    "ConfigError",
    "DataFlowConfig",
    "Finding",
    "Hop",
    "Kind",
    "OperationResult",
    "Reach",
    "Report",
    "check",
    "from_importlinter",
    "from_mapping",
    "load_toml",
]
