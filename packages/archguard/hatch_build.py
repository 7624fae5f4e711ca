"""Build hook: a wheel of archguard ships the data-flow checker's analysis modules compiled with mypyc.

Compiled, the checker takes about a third less CPU on a large codebase, with byte-identical reports
(see README.md, "Compiled or pure"). The wheel keeps every ``.py`` file beside the extension modules:
Python imports the ``.so`` when it loads and the ``.py`` otherwise.

The wheel stays pure Python (``py3-none-any``) when:

- the install is editable (``uv sync`` of the workspace, the development loop): edits take effect;
- ``ARCHGUARD_PURE=1`` is set;
- compiling fails (no C compiler, no Python headers, ...): the build goes on, with a warning saying why.

mypy (with mypyc) and setuptools come from ``[build-system] requires`` in pyproject.toml, mypy pinned so
that a build compiles the same C. Type checking runs with the options below, not with a ``[tool.mypy]``
found in a parent directory (mypy looks upwards for one).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: The modules compiled: the ones the analysis spends its time in. The rest (CLI, config, cache,
#: rendering, the checker's scheduling) stays pure Python.
COMPILED = ("analysis", "summaries", "index", "types", "names", "model")
PACKAGE = "src/archguard/dataflow"
#: The compiled modules must type-check (mypyc turns a declared type into a run-time check); the others
#: are read for their types only.
MYPY_CONFIG = """\
[mypy]
python_version = {major}.{minor}
warn_unused_ignores = True

[mypy-archguard.*]
ignore_errors = True
""" + "".join(f"""
[mypy-archguard.dataflow.{name}]
ignore_errors = False
""" for name in COMPILED)


class MypycBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        if os.environ.get("ARCHGUARD_PURE", "") not in ("", "0"):
            self.app.display_info("archguard: ARCHGUARD_PURE is set: building a pure-Python wheel")
            return
        work = Path(tempfile.mkdtemp(prefix="archguard-mypyc-"))
        try:
            built = self._compile(work)
        except BaseException as error:  # (distutils reports a missing compiler by SystemExit)
            if isinstance(error, KeyboardInterrupt):
                raise
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            if len(detail) > 600:  # (a compiler's command line, say)
                detail = detail[:600] + " ..."
            self.app.display_warning(
                "archguard: compiling with mypyc failed, building a pure-Python wheel instead "
                f"(it works the same, with more CPU): {detail}")
            shutil.rmtree(work, ignore_errors=True)
            return
        self._work = work
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        for path, target in built.items():
            build_data["force_include"][str(path)] = target
        names = ", ".join(sorted(Path(target).name for target in built.values()))
        self.app.display_info(f"archguard: compiled with mypyc: {names}")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)

    def _compile(self, work: Path) -> dict[Path, str]:
        """Compile into ``work``; the extension modules built, each with its path in the wheel."""
        from mypyc.build import mypycify
        from setuptools import Distribution

        root = Path(self.root)
        config = work / "mypy.ini"
        config.write_text(MYPY_CONFIG.format(major=sys.version_info[0], minor=sys.version_info[1]))
        sources = [f"{PACKAGE}/{name}.py" for name in COMPILED]
        previous = os.getcwd()
        os.chdir(root)  # (mypy names the modules from the paths: src/archguard/... -> archguard....)
        try:
            extensions = mypycify(["--config-file", str(config), *sources], opt_level="3",
                                  group_name="archguard", target_dir=str(work / "c"))
            distribution = Distribution({"name": "archguard", "ext_modules": extensions})
            command: Any = distribution.get_command_obj("build_ext")
            command.build_lib = str(work / "lib")
            command.build_temp = str(work / "temp")
            command.inplace = False
            command.ensure_finalized()
            command.run()
        finally:
            os.chdir(previous)
        lib = work / "lib"
        built = {path: path.relative_to(lib).as_posix() for path in lib.rglob("*") if path.suffix in (".so", ".pyd")}
        expected = {f"archguard/dataflow/{name}" for name in COMPILED}
        missing = expected - {target.split(".")[0] for target in built.values()}
        if missing:
            raise RuntimeError(f"no extension module built for {sorted(missing)}")
        return built
