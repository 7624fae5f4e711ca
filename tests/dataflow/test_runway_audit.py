"""`runway audit`: archguard's audit, run before anything of the application is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from runway.cli import app
from tests.dataflow.support import REPO_ROOT


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "ARCHGUARD_CACHE": "off"}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_audit_imports_nothing_of_the_application(tmp_path: Path) -> None:
    """No settings, database driver or Typer app is needed to read the code as source."""
    done = _run(
        "import json, sys\n"
        "from runway.__main__ import main\n"
        "status = main(['audit', '--format', 'json', '--output', 'map.json'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('domains', 'infra', 'typer', 'sqlalchemy')"
        " or m in ('runway.cli', 'runway.bootstrap', 'runway.settings'))\n"
        "print(json.dumps({'status': status, 'loaded': loaded}))\n",
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"status": 0, "loaded": []}
    document = json.loads((tmp_path / "map.json").read_text())
    assert document["ok"] is True and document["strict"] is True
    paths = {op["path"] for op in document["operations"]}
    assert "domains/ap/services/bill.py" in paths  # relative to where the packages are, not to the cwd


def test_audit_help_shows_archguards_options() -> None:
    done = subprocess.run([sys.executable, "-m", "runway", "audit", "--help"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COLUMNS": "100"})

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: runway audit [-h] [--format {text,json,sarif,markdown}]")
    for option in ("--baseline BASELINE", "--update-baseline", "--config CONFIG", "--root ROOT", "--strict"):
        assert option in done.stdout


def test_the_typer_command_hands_over_to_the_same_audit() -> None:
    result = CliRunner().invoke(app, ["audit", "--help"])

    assert result.exit_code == 0
    assert "usage: runway audit [-h]" in result.output


def test_in_a_checkout_the_audit_uses_the_repositorys_configuration(tmp_path: Path) -> None:
    output = tmp_path / "PATTERN_MAP.md"
    done = subprocess.run([sys.executable, "-m", "runway", "audit", "--format", "markdown", "--output", str(output)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "ARCHGUARD_CACHE": "off"})

    assert done.returncode == 0, done.stderr
    assert output.read_text().startswith("# Data-flow pattern map\n")
    assert "| local_write | mirror |" in output.read_text()
