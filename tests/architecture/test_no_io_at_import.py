"""No module does I/O, opens a database or a socket, or starts a process when it is imported."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("import_side_effects.py")


def side_effects(packages: list[str], cwd: Path, extra_path: Path | None = None) -> list[str]:
    env_path = f"{extra_path}:{ROOT}" if extra_path else str(ROOT)
    env = {"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, str(SCRIPT), *packages], cwd=cwd, capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_every_application_module_has_no_side_effect(tmp_path):
    assert side_effects(["domains", "infra", "runway", "archguard"], cwd=tmp_path) == []
    assert list(tmp_path.iterdir()) == []  # and nothing was created in the working directory


def test_the_check_catches_a_module_that_connects_at_import(tmp_path):
    planted = tmp_path / "src" / "plantedpkg"
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text("")
    (planted / "engine.py").write_text(textwrap.dedent("""
        import sqlite3
        CONNECTION = sqlite3.connect("mirror.db")  # the mistake: a database opened at import time
    """))
    found = side_effects(["plantedpkg"], cwd=tmp_path, extra_path=tmp_path / "src")
    assert found == ["plantedpkg.engine: sqlite3.connect ('mirror.db',)"]
