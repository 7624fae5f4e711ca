"""A function's summary is the same whatever the analysis was asked before it, in the same process (a
worker reads the service modules of its share in its own order: the report must not depend on it)."""

from __future__ import annotations

from pathlib import Path

from archguard.dataflow import DataFlowConfig
from archguard.dataflow.analysis import Analyzer
from archguard.dataflow.index import ProjectIndex

CLASSES = 20


def _write_tree(root: Path) -> DataFlowConfig:
    """A service whose getters return classes named by string annotations (``-> "C3"``), and operations
    calling a method on what each getter returns."""
    package = root / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    lines = [f"class C{i}:\n    def m{i}(self) -> None: ...\n\n" for i in range(CLASSES)]
    lines.append("class Service:\n")
    lines += [f"    def get{i}(self) -> 'C{i}':\n        ...\n\n" for i in range(CLASSES)]
    lines += [f"    def use{i}(self) -> None:\n        self.get{i}().m{i}()\n\n" for i in range(CLASSES)]
    (package / "services.py").write_text("".join(lines))
    return DataFlowConfig(root=root, domain_packages=("app",), service_modules=("app.services",),
                          require_declarations=False)


def _analyse_in_order(config: DataFlowConfig, order: list[str]) -> dict[str, tuple]:
    """In one analysis (one process's), the summary of each method of ``order`` (``use*``) or what it
    returns (``get*``), asked in that order."""
    index = ProjectIndex(config.root, config.packages_to_read, exclude=config.exclude_modules,
                         source_dirs=config.source_directories)
    analyzer = Analyzer(index, config)
    found = {}
    for name in order:
        func = analyzer.function_info(f"app.services.Service.{name}")
        assert func is not None
        ask = analyzer.summary if name.startswith("use") else analyzer.returns
        found[name] = ask(func, "app.services.Service")
    return found


def test_what_a_function_returns_does_not_depend_on_what_was_asked_before(tmp_path: Path) -> None:
    # Each string annotation was parsed afresh and its tree let go, while what its nodes evaluate to was
    # remembered by node identity: the next one parsed, given a freed node's identity, was answered as
    # the first (so get5 returned a C0, or a C1, depending on what was asked before it).
    config = _write_tree(tmp_path)
    names = [f"get{i}" for i in range(CLASSES)]
    forward = _analyse_in_order(config, names)
    backward = _analyse_in_order(config, names[::-1])
    one_at_a_time = {name: _analyse_in_order(config, [name])[name] for name in names}
    assert forward == backward == one_at_a_time
    assert [str(forward[name]) for name in names] == [
        f"(Instance('app.services.C{i}'),)" for i in range(CLASSES)]


def test_summaries_do_not_depend_on_what_was_analysed_before(tmp_path: Path) -> None:
    config = _write_tree(tmp_path)
    names = [f"use{i}" for i in range(CLASSES)]
    forward = _analyse_in_order(config, names)
    backward = _analyse_in_order(config, names[::-1])
    one_at_a_time = {name: _analyse_in_order(config, [name])[name] for name in names}
    assert forward == backward == one_at_a_time
    for i, name in enumerate(names):  # each reaches the method of the class its getter names
        callees = [edge[2] for edge in forward[name][2]]
        assert callees == [f"app.services.Service.get{i}", f"app.services.C{i}.m{i}"], name
