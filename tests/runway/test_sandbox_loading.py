"""The QBO sandbox is a development tool outside the product's wheel: only the composition root loads it
(``runway.bootstrap.sandbox.load_sandbox``), and only when ``runway demo`` or ``runway sandbox`` runs.

domains and infra may not import it at all (``.importlinter``: domains-no-http, domains-no-http-source,
infra-no-upward-imports); this checks the rest of runway, which import-linter cannot state here (a
protected contract needs the package in every planted tree's import graph).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SANDBOX = "qbo_sandbox"
LOADER = Path("runway/bootstrap/sandbox.py")


def sandbox_imports(source: str) -> list[int]:
    """Line numbers of every import of ``qbo_sandbox`` in ``source``: import statements, and
    ``import_module``/``__import__`` calls whose first argument is the name as a literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            names = [str(node.args[0].value)] if callee in ("import_module", "__import__") else []
        else:
            continue
        if any(name == SANDBOX or name.startswith(SANDBOX + ".") for name in names):
            found.append(node.lineno)
    return found


def test_only_the_composition_roots_sandbox_module_names_the_sandbox() -> None:
    offenders = {str(path.relative_to(REPO_ROOT)): lines
                 for path in sorted((REPO_ROOT / "runway").rglob("*.py"))
                 if path.relative_to(REPO_ROOT) != LOADER and (lines := sandbox_imports(path.read_text()))}

    assert offenders == {}, f"load the sandbox through runway.bootstrap.sandbox.load_sandbox: {offenders}"


def test_the_check_finds_every_way_of_importing_the_sandbox() -> None:
    source = "\n".join([
        "import qbo_sandbox",
        "from qbo_sandbox.server import SandboxServer",
        "import importlib",
        "importlib.import_module('qbo_sandbox')",
        "__import__('qbo_sandbox.state')",
        "import qbo_sandbox_other  # another package",
    ])

    assert sandbox_imports(source) == [1, 2, 4, 5]


@pytest.mark.slow  # a fresh interpreter imports every module
def test_every_product_module_imports_without_the_sandbox() -> None:
    """What an installed wheel does: nothing imports qbo_sandbox until the demo or the sandbox command runs."""
    script = (
        "import importlib, pkgutil, sys\n"
        "sys.modules['qbo_sandbox'] = None  # not installed\n"
        "for root in ('domains', 'infra', 'runway'):\n"
        "    package = importlib.import_module(root)\n"
        "    for module in pkgutil.walk_packages(package.__path__, root + '.'):\n"
        "        if '.migrations.' not in module.name:\n"
        "            importlib.import_module(module.name)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
