"""Workers: the parent reads the first slice of the service modules itself while its workers read the
others; a worker that dies loses nothing (the parent reads its slice); a parent that fails ends its
workers at once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from archguard.dataflow import check
from archguard.dataflow import checker as dataflow_checker
from archguard.dataflow.checker import _Run
from tests.dataflow.test_analysis_order import _write_services


def _die(service_modules: list[str]) -> None:
    os._exit(3)  # (in the forked worker: as if killed, or out of memory)


def _read_long(service_modules: list[str]) -> None:
    time.sleep(60)  # (a worker that would read for a long time)


def test_the_parent_reads_the_first_slice_itself_and_the_report_is_the_one_process_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _write_services(tmp_path, 12)
    single = check(config.with_(jobs=1))
    read_here: list[list[str]] = []
    parent = os.getpid()
    original = _Run.read

    def read(self: _Run, modules: list[str]) -> None:
        if os.getpid() == parent:
            read_here.append(list(modules))
        original(self, modules)

    monkeypatch.setattr(_Run, "read", read)
    run = _Run(config.with_(jobs=2), None, None, None)
    service_modules = run.analyzer.service_modules()
    report = run.report()
    assert report == single
    assert report.statistics["workers"] == 2 and "workers_lost" not in report.statistics
    own = service_modules[:-(-len(service_modules) // 2)]
    assert read_here[0] == own  # its own slice, first; then nothing is left to read
    assert run.done == set(service_modules)
    assert not any(map(run.index.is_parsed, own))  # its trees dropped once read


@pytest.mark.parametrize("jobs", [2, 3])
def test_a_worker_that_dies_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    config = _write_services(tmp_path, 12)
    single = check(config.with_(jobs=1))
    monkeypatch.setattr(dataflow_checker, "_read_part", _die)
    report = check(config.with_(jobs=jobs))
    assert report == single
    assert report.statistics["workers_lost"] == jobs - 1
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("sigterm", ["default", "handled gracefully"])
def test_a_parent_that_fails_ends_its_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sigterm: str) -> None:
    # A host program that stops gracefully on SIGTERM (as `runway worker` does) passes its handler on to
    # every worker forked from it: a worker asked to stop with SIGTERM would go on reading.
    config = _write_services(tmp_path, 12)
    parent = os.getpid()
    original = _Run.read

    def read(self: _Run, modules: list[str]) -> None:
        if os.getpid() == parent:
            raise RuntimeError("the parent failed")
        original(self, modules)

    monkeypatch.setattr(_Run, "read", read)
    monkeypatch.setattr(dataflow_checker, "_read_part", _read_long)
    handler = signal.signal(signal.SIGTERM, signal.SIG_DFL if sigterm == "default" else lambda *_: None)
    try:
        started = time.perf_counter()
        with pytest.raises(RuntimeError, match="the parent failed"):
            check(config.with_(jobs=2))
        assert time.perf_counter() - started < 30
        assert not multiprocessing.active_children()
    finally:
        signal.signal(signal.SIGTERM, handler)


def _cache_records(directory: Path) -> dict[str, tuple]:
    """The records of the cache file in ``directory``, unmarshalled (the bytes of equal values may differ
    in how marshal shares objects)."""
    import marshal

    from archguard import cachefile

    documents = [cachefile.read(path) for path in directory.rglob("*") if path.is_file()]
    (document,) = [document for document in documents if isinstance(document, dict) and "owners" in document]
    return {owner: (document["graph"].get(owner), marshal.loads(rest), None if summaries is None else list(
        marshal.loads(summaries).items())) for owner, (rest, summaries) in document["owners"].items()}


def test_the_summaries_a_worker_marshalled_are_the_records_the_cache_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tree").mkdir()
    config = _write_services(tmp_path / "tree", 12).with_(jobs=2)
    run = _Run(config, None, None, tmp_path / "ready")
    report = run.report()
    assert run.summary_bytes  # (the worker's owners: the parent read none of them)
    monkeypatch.setattr(dataflow_checker, "_summary_records", lambda run: {})
    plain = _Run(config, None, None, tmp_path / "plain")
    assert plain.report() == report and not plain.summary_bytes
    assert _cache_records(tmp_path / "ready") == _cache_records(tmp_path / "plain")
    assert check(config, cache_dir=tmp_path / "ready") == report  # (warm)
