"""The compiled and the pure build of the checker: which one runs, and what the wheel compiles.

These tests run on the workspace's editable install, pure Python; ``.ci/check_wheel.py`` runs
``tests/dataflow`` again on archguard's compiled wheel, with ``ARCHGUARD_EXPECTED_BUILD=compiled``.
"""

from __future__ import annotations

import ast
import os
import pickle
from pathlib import Path

import pytest

from archguard.cli import main
from archguard.dataflow.cli import COMPILED_MODULES, build
from archguard.dataflow.model import Category, Hop, Reach
from archguard.dataflow.types import ContainerMethod, Ext, Instance

HOOK = Path(__file__).resolve().parents[2] / "packages" / "archguard" / "hatch_build.py"


EXPECTED = os.environ.get("ARCHGUARD_EXPECTED_BUILD", "pure")


def test_the_expected_build_runs() -> None:
    assert build() == EXPECTED


def test_version_says_which_build_runs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip().endswith(f"({EXPECTED})")


def test_the_build_hook_compiles_the_modules_build_checks() -> None:
    tree = ast.parse(HOOK.read_text())
    [compiled] = [node.value for node in tree.body if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "COMPILED" for t in node.targets)]
    assert ast.literal_eval(compiled) == COMPILED_MODULES


def test_records_read_their_fields_by_name_and_stay_tuples() -> None:
    hop = Hop("Service.run", "svc.py", 3)
    assert (hop.name, hop.path, hop.line) == ("Service.run", "svc.py", 3) and hop == ("Service.run", "svc.py", 3)
    reach = Reach(Category.LIVE, "pkg.Port", "live port Port", (hop,))
    assert (reach.target, reach.chain) == ("pkg.Port", (hop,))
    ext = Ext("httpx.Client", (), instance=True)
    assert (ext.origin, ext.args, ext.instance) == ("httpx.Client", (), True)
    assert Instance("pkg.A").cls == "pkg.A" and ContainerMethod((ext,)).result == (ext,)
    assert pickle.loads(pickle.dumps(hop)) == hop and type(pickle.loads(pickle.dumps(hop))) is Hop
