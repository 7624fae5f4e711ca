"""Helpers for the architecture tests: running lint-imports on a tree, planted violations."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / ".importlinter"
PLANTED = Path(__file__).resolve().parent / "planted"
MARK = "# planted-violation"
ROOT_PACKAGES = ("domains", "infra", "runway")


@dataclass(frozen=True)
class LintRun:
    returncode: int
    output: str

    @property
    def report(self) -> str:
        """The whole run, as the message of a failed assert (a string, so pytest does not shorten it)."""
        return f"lint-imports exited {self.returncode}:\n{self.output}"


def lint_imports_command() -> list[str]:
    """lint-imports of the interpreter running the tests, without going through `uv run`."""
    script = Path(sys.executable).with_name("lint-imports")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as m; sys.exit(m())"]


def run_lint_imports(project: Path, *contracts: str, config: Path = CONFIG,
                     extra_path: tuple[Path, ...] = (REPO_ROOT,)) -> LintRun:
    """Run lint-imports with ``config`` in ``project`` (cwd and first on PYTHONPATH), as a subprocess.

    ``extra_path`` follows the project on PYTHONPATH so the contract types in ``archguard`` import;
    the project's own ``domains``/``infra``/``runway`` shadow the repository's.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(p) for p in (project, *extra_path)),
        "COLUMNS": "250",  # rich wraps at 80 columns without a terminal; keep chains on one line
        "NO_COLOR": "1",
    }
    command = [*lint_imports_command(), str(config), "--no-cache", "--no-logo",
               *(f"--contract={contract}" for contract in contracts)]
    completed = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=120)
    return LintRun(completed.returncode, completed.stdout + completed.stderr)


def marked_line(tree: Path) -> tuple[Path, int]:
    """The file and line number of the one planted violation in ``tree``."""
    found = [
        (path, lineno)
        for path in sorted(tree.rglob("*.py"))
        for lineno, line in enumerate(path.read_text().splitlines(), start=1)
        if line.rstrip().endswith(MARK)
    ]
    assert len(found) == 1, f"{tree} must hold exactly one line marked {MARK!r}, found {found}"
    return found[0]


def copy_without_violations(tree: Path, destination: Path) -> Path:
    """Copy a planted tree, deleting every line marked as a planted violation."""
    shutil.copytree(tree, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    removed = 0
    for path in destination.rglob("*.py"):
        lines = path.read_text().splitlines(keepends=True)
        kept = [line for line in lines if not line.rstrip().endswith(MARK)]
        if len(kept) != len(lines):
            removed += len(lines) - len(kept)
            path.write_text("".join(kept))
    assert removed == 1, f"expected one planted violation in {tree}, removed {removed}"
    return destination


def copy_real_tree(destination: Path) -> Path:
    """A copy of the project as lint-imports sees it: the root packages and .importlinter (archguard is installed)."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in ROOT_PACKAGES:
        shutil.copytree(REPO_ROOT / name, destination / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy2(CONFIG, destination / ".importlinter")
    return destination
