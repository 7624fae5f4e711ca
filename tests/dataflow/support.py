"""Helpers for the data-flow tests: planted trees, the data-flow section of the real .importlinter."""

from __future__ import annotations

import shutil
from pathlib import Path

from archguard.dataflow import DataFlowConfig, Report, check, load_toml

REPO_ROOT = Path(__file__).resolve().parents[2]
PLANTED = Path(__file__).resolve().parent / "planted"
IMPORTLINTER = REPO_ROOT / ".importlinter"
# What a planted tree's service module is called, for the expected finding texts.
OP = "domains.ar.services.collections.CollectionsService"
COLLECTIONS = "domains/ar/services/collections.py"
PORTS = "infra/interfaces/ports.py"


def planted_tree(case: str, destination: Path) -> Path:
    """The base planted project with the files of ``case`` laid over it, copied to ``destination``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PLANTED / "base", destination, ignore=ignore)
    if case != "base":
        shutil.copytree(PLANTED / case, destination, dirs_exist_ok=True, ignore=ignore)
    return destination


def planted_config(tree: Path, **options) -> DataFlowConfig:
    """The planted project's configuration (its pyproject.toml), with ``options`` changed."""
    return load_toml(tree / "pyproject.toml", root=tree).with_(**options)


def check_planted(case: str, tmp_path: Path, **options) -> Report:
    tree = planted_tree(case, tmp_path / case)
    return check(planted_config(tree, **options))


def data_flow_section() -> str:
    """The data-flow contract section of the real .importlinter."""
    text = IMPORTLINTER.read_text(encoding="utf-8")
    start = text.index("\n[importlinter:contract:data-flow]") + 1
    rest = text[start:]
    end = rest.find("\n[", 1)
    return rest if end == -1 else rest[: end + 1]


def session_section() -> str:
    """The [importlinter] section of the real .importlinter (root packages, contract types)."""
    text = IMPORTLINTER.read_text(encoding="utf-8")
    start = text.index("[importlinter]\n")
    end = text.index("\n[importlinter:contract:", start)
    return text[start:end + 1]
