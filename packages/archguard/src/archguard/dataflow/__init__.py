"""Data-flow pattern rules: what each domain operation reaches, checked against what it declares.

Read from the source with ``ast`` (nothing is imported; standard library only): see ``analysis`` for
what is followed and ``model`` for the findings. Entry points:

- ``check(config) -> Report`` (pytest, scripts); ``discover(root)`` / ``load(path, root=...)`` read
  the configuration;
- ``archguard.dataflow.contract.DataFlowContract``, an import-linter contract type (``lint-imports``);
- ``archguard audit`` (``archguard.dataflow.cli``): the pattern map as text, JSON, SARIF or Markdown,
  with a baseline.

The markers the code declares itself with live in ``archguard.patterns`` (this package only reads
their names, so a codebase may use markers of its own with the same names).
"""

from archguard.dataflow.checker import check
from archguard.dataflow.config import (
    ConfigError,
    DataFlowConfig,
    discover,
    from_importlinter,
    from_mapping,
    from_pyproject,
    load,
    load_toml,
)
from archguard.dataflow.model import RULES, Category, Finding, Hop, Kind, OperationResult, Reach, Report, Vocabulary

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
    "Vocabulary",
    "check",
    "discover",
    "from_importlinter",
    "from_mapping",
    "from_pyproject",
    "load",
    "load_toml",
]
