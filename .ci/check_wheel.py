"""The product's wheel holds Runway and nothing of the development tools, and works without them.

    python3 .ci/check_wheel.py

1. ``uv build --wheel``: the wheel's top-level packages are exactly ``domains``, ``infra`` and ``runway``,
   and its metadata requires no ``qbo-sandbox``.
2. In a fresh virtual environment with only that wheel and its dependencies installed (archguard's wheel,
   built from ``packages/archguard``, a dependency of the product): every module imports, and ``runway
   demo`` and ``runway sandbox`` stop with exit code 2 and a message saying how to install the sandbox.
3. archguard's wheel runs the data-flow checker compiled with mypyc (``archguard --version`` says
   ``compiled``), and the compiled checker's JSON reports are byte for byte the pure one's (the same
   venv with ``packages/archguard/src`` first on ``PYTHONPATH``), exit codes too: on this repository and
   on every codebase of the corpus (``tests/corpus/codebases``). Then ``tests/dataflow``,
   ``tests/corpus`` and ``tests/architecture`` run in the development environment with that wheel's
   ``archguard`` first on ``PYTHONPATH`` (the compiled modules under the checker's whole suite;
   ``tests/dataflow/test_build.py`` checks the compiled build is the one running).

Exits 1 with what is wrong. Needs python3 with uv (``pip install uv``) and the package index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_PACKAGES = {"domains", "infra", "runway"}
DEV_DISTRIBUTIONS = ("qbo-sandbox", "qbo_sandbox")
UV = [sys.executable, "-m", "uv"]
IMPORT_EVERYTHING = """
import importlib, pkgutil
for name in ("domains", "infra", "runway"):
    package = importlib.import_module(name)
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        if ".migrations." not in module.name:
            importlib.import_module(module.name)
print("ok")
"""


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600)


def fail(message: str) -> None:
    print(f"check_wheel: {message}", file=sys.stderr)
    sys.exit(1)


def check_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
        requires = [line for line in archive.read(metadata).decode().splitlines() if line.startswith("Requires-Dist:")]
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    if tops != PRODUCT_PACKAGES:
        fail(f"the wheel's packages are {sorted(tops)}, expected {sorted(PRODUCT_PACKAGES)}")
    leaked = [r for r in requires if any(d in r for d in DEV_DISTRIBUTIONS)]
    if leaked:
        fail(f"the wheel requires a development tool: {leaked}")
    print(f"{wheel.name}: packages {sorted(tops)}, {len(requires)} requirements, no sandbox")


def check_installed(wheel: Path, archguard_wheel: Path, work: Path) -> None:
    venv = work / "venv"
    for command in ([*UV, "venv", "--quiet", venv],
                    [*UV, "pip", "install", "--quiet", "--python", venv / "bin" / "python", wheel,
                     archguard_wheel]):
        result = run(*command)
        if result.returncode != 0:
            fail(f"{' '.join(map(str, command))} failed:\n{result.stdout}{result.stderr}")
    python, runway = venv / "bin" / "python", venv / "bin" / "runway"
    sandbox = run(python, "-c", "import qbo_sandbox", cwd=work)
    if sandbox.returncode == 0:
        fail("qbo_sandbox is importable from the product's environment")
    imported = run(python, "-c", IMPORT_EVERYTHING, cwd=work)
    if imported.returncode != 0:
        fail(f"a module of the installed wheel does not import:\n{imported.stderr}")
    for command in (["demo", "--db", work / "demo.db"], ["sandbox", "--port", "0"]):
        result = run(runway, *command, cwd=work)
        if result.returncode != 2 or "pip install ./packages/qbo_sandbox" not in result.stderr:
            fail(f"`runway {command[0]}` without the sandbox exited {result.returncode}:\n"
                 f"{result.stdout}{result.stderr}")
    print("installed wheel: every module imports; `runway demo` and `runway sandbox` say how to install the sandbox")
    check_compiled_checker(venv, work)
    check_tests_on_compiled(archguard_wheel, work)


def check_compiled_checker(venv: Path, work: Path) -> None:
    archguard = venv / "bin" / "archguard"
    version = run(archguard, "--version", cwd=work)
    if "(compiled)" not in version.stdout:
        fail(f"archguard's wheel is not compiled with mypyc: `archguard --version` says {version.stdout.strip()!r}"
             f"{version.stderr}")
    roots = [ROOT, *sorted(path for path in (ROOT / "tests" / "corpus" / "codebases").iterdir() if path.is_dir())]
    pure_env = {"PYTHONPATH": str(ROOT / "packages" / "archguard" / "src")}
    for root in roots:
        outputs = []
        for name, extra in (("compiled", {}), ("pure", pure_env)):
            output = work / f"{root.name}-{name}.json"
            command = [archguard, "audit", "--root", root, "--format", "json", "--no-cache", "--output", output,
                       "--statistics"]
            result = subprocess.run([str(part) for part in command], cwd=work, capture_output=True, text=True,
                                    timeout=600, env={**os.environ, **extra})
            if f"build={name}" not in result.stderr or result.returncode not in (0, 1):
                fail(f"`archguard audit` ({name}) on {root} exited {result.returncode}:\n{result.stderr}")
            outputs.append((result.returncode, output.read_bytes()))
        if outputs[0] != outputs[1]:
            fail(f"the compiled checker's report on {root} differs from the pure one's "
                 f"(exit {outputs[0][0]} against {outputs[1][0]})")
    print(f"archguard's wheel: {version.stdout.strip()}; its reports are the pure checker's, byte for byte, "
          f"on this repository and {len(roots) - 1} corpus codebases")


def check_tests_on_compiled(archguard_wheel: Path, work: Path) -> None:
    unpacked = work / "archguard-compiled"
    with zipfile.ZipFile(archguard_wheel) as archive:
        archive.extractall(unpacked)
    env = {**os.environ, "PYTHONPATH": str(unpacked), "ARCHGUARD_EXPECTED_BUILD": "compiled"}
    suites = ["tests/dataflow", "tests/corpus", "tests/architecture"]
    tests = subprocess.run([*UV, "run", "--frozen", "pytest", "-q", "-p", "no:cacheprovider", *suites],
                           cwd=ROOT, capture_output=True, text=True, timeout=1800, env=env)
    if tests.returncode != 0:
        fail(f"{' '.join(suites)} fail on archguard's compiled wheel:\n{tests.stdout[-5000:]}{tests.stderr[-2000:]}")
    print(f"{' '.join(suites)} on archguard's compiled wheel: {tests.stdout.strip().splitlines()[-1]}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="runway-wheel-") as tmp:
        work = Path(tmp)
        built = run(*UV, "build", "--wheel", "--out-dir", work / "dist")
        if built.returncode != 0:
            fail(f"uv build failed:\n{built.stdout}{built.stderr}")
        wheel = next((work / "dist").glob("runway-*.whl"))
        check_contents(wheel)
        built = run(*UV, "build", "--wheel", "--out-dir", work / "archguard-dist", ROOT / "packages" / "archguard")
        if built.returncode != 0:
            fail(f"uv build of packages/archguard failed:\n{built.stdout}{built.stderr}")
        archguard_wheel = next((work / "archguard-dist").glob("archguard-*.whl"))
        check_installed(wheel, archguard_wheel, work)


if __name__ == "__main__":
    main()
