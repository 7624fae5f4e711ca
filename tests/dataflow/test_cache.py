"""Issue 10, item 2: the persistent cache. A cached run reports exactly what a cold one does, byte for byte
and in every format, after edits, renames, deletions and additions; it re-reads only what depends on a
change; and an unreadable cache file, or runs at the same time, never break a run."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archguard import cachefile
from archguard.cachefile import MAGIC
from archguard.dataflow import DataFlowConfig, check
from archguard.dataflow import cache as dataflow_cache
from archguard.dataflow.cache import DEFAULT_DIRECTORY
from archguard.dataflow.cli import main
from tests.dataflow.support import PLANTED, REPO_ROOT, planted_config

FORMATS = ("text", "json", "sarif", "markdown")
COLLECTIONS = "domains/ar/services/collections.py"
REMINDERS = "domains/ar/services/reminders.py"


STATEMENTS = '''"""A third service, independent of the other two: it reads the mirror through the freshness reader."""

from __future__ import annotations

from domains.core.freshness import FreshnessReader
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class StatementService:
    def __init__(self, invoices: InvoiceMirror, freshness: FreshnessReader) -> None:
        self._invoices = invoices
        self._freshness = freshness

    @local_read
    def statement(self, business_id: int) -> tuple[list[int], str]:
        return self._invoices.aging(business_id), self._freshness.of(business_id)
'''


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The planted project with three service modules (collections calls reminders, statements is on its
    own) and a helper package nothing uses."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    tree = tmp_path / "tree"
    shutil.copytree(PLANTED / "base", tree, ignore=ignore)
    shutil.copytree(PLANTED / "other-service", tree, dirs_exist_ok=True, ignore=ignore)
    shutil.copytree(PLANTED / "followed-callables" / "helpers", tree / "helpers", ignore=ignore)
    (tree / "domains/ar/services/statements.py").write_text(STATEMENTS)
    return tree


def _outputs(tree: Path, out: Path, *flags: str) -> dict[str, bytes]:
    """Every format of `archguard audit` on ``tree``, as bytes."""
    found = {}
    for fmt in FORMATS:
        target = out / f"{fmt}.out"  # one name: the Markdown names the file it is written to
        main(["audit", "--root", str(tree), "--format", fmt, "--output", str(target), *flags])
        found[fmt] = target.read_bytes()
    return found


def _assert_cached_equals_cold(tree: Path, out: Path) -> dict[str, bytes]:
    cached = _outputs(tree, out)
    cold = _outputs(tree, out, "--no-cache")
    for fmt in FORMATS:
        assert cached[fmt] == cold[fmt], f"{fmt}: the cached run differs from the cold one"
    return cached


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))
    _newer(path)


def _newer(path: Path) -> None:
    """Make sure the file's modification time moves on (some file systems count whole seconds)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 3_000_000_000))


@pytest.fixture(params=["deltas", "whole files"])
def how_written(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each run after the first writes a delta beside the cache file, or the whole file again."""
    monkeypatch.setattr(dataflow_cache, "DELTA_SHARE", 1.0 if request.param == "deltas" else 0.0)
    return request.param


def test_a_cached_run_reports_exactly_what_a_cold_run_does_through_edits_renames_and_deletions(
        tree: Path, tmp_path: Path, how_written: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    first = _assert_cached_equals_cold(tree, out)
    assert (tree / DEFAULT_DIRECTORY).is_dir()
    assert _assert_cached_equals_cold(tree, out) == first  # warm, nothing changed

    # An edit that adds a violation in the module the other one calls.
    _edit(tree / REMINDERS, "        return self._gateway.send_invoice(business_id, \"reminder\")",
          "        import httpx\n\n        return self._gateway.send_invoice(business_id, \"reminder\")")
    edited = _assert_cached_equals_cold(tree, out)
    assert edited["text"] != first["text"]

    # A rename: the module moves, its importer follows.
    (tree / REMINDERS).rename(tree / "domains/ar/services/nudges.py")
    _edit(tree / COLLECTIONS, "domains.ar.services.reminders", "domains.ar.services.nudges")
    renamed = _assert_cached_equals_cold(tree, out)
    assert b"nudges" in renamed["json"] and b"reminders.py" not in renamed["json"]

    # A deletion: the helper package goes, and so does every use of it.
    shutil.rmtree(tree / "helpers")
    deleted = _assert_cached_equals_cold(tree, out)
    assert deleted == renamed  # nothing used it: the same report

    # An addition: a new service module with an unresolved call.
    new = tree / "domains/ar/services/late.py"
    new.write_text("from infra.interfaces.patterns import local_read\n\n\n@local_read\ndef count(things) -> int:\n"
                   "    return things.count()\n")
    _newer(new)
    added = _assert_cached_equals_cold(tree, out)
    assert b"things.count()" in added["text"]

    # A file moved to another directory with the same content (its paths change, not its hash).
    new.rename(tree / "domains/ar/services/later.py")
    assert b"late.py" not in _assert_cached_equals_cold(tree, out)["json"]
    assert any((tree / DEFAULT_DIRECTORY).glob("dataflow-*.delta")) == (how_written == "deltas")


def test_a_rendering_is_reused_while_nothing_the_checker_reads_changed(
        tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "map.json"
    command = ["audit", "--root", str(tree), "--format", "json", "--output", str(out), "--statistics"]
    status = main(command)
    first = out.read_bytes()

    # A comment: the records that depend on the module come out the same, so does the report.
    _edit(tree / REMINDERS, "class ReminderService:", "class ReminderService:  # a comment")
    capsys.readouterr()
    out.write_bytes(b"")
    assert main(command) == status
    assert "reused_report=1 records_checked=2" in capsys.readouterr().err
    assert out.read_bytes() == first

    # The kept copy altered (or replaced by another run meanwhile): the report is derived anew.
    [kept] = (tree / DEFAULT_DIRECTORY).glob("dataflow-*.rendered")
    kept.write_bytes(b"{}")
    _edit(tree / REMINDERS, "class ReminderService:  # a comment", "class ReminderService:  # another")
    assert main(command) == status
    assert "reused_report" not in capsys.readouterr().err
    assert out.read_bytes() == first

    # Another format, or another file: rendered afresh (the rendering kept is the last one).
    other = tmp_path / "map.txt"
    main(["audit", "--root", str(tree), "--output", str(other), "--statistics"])
    assert "reused_report" not in capsys.readouterr().err

    # A change the checker reads: worked out again, and the same as a run without the cache.
    _edit(tree / REMINDERS, "        return self._gateway.send_invoice(business_id, \"reminder\")",
          "        import httpx\n\n        return self._gateway.send_invoice(business_id, \"reminder\")")
    main(command)
    main(command)
    assert "reused_report" not in capsys.readouterr().err.split("Wrote")[0]
    main(["audit", "--root", str(tree), "--format", "json", "--output", str(tmp_path / "cold.json"), "--no-cache"])
    assert out.read_bytes() == (tmp_path / "cold.json").read_bytes() != first


def test_a_rendering_is_reused_when_only_lines_moved_in_files_it_never_names(
        tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how_written: str) -> None:
    out = tmp_path / "map.txt"
    command = ["audit", "--root", str(tree), "--output", str(out), "--statistics"]
    status = main(command)
    first = out.read_bytes()
    assert b"statements.py" not in first and b"reminders.py" in first

    # A line added at the top of a module the text never names: its records come out with every line
    # moved, the rendering stays; the results kept for its service module are derived again.
    statements = tree / "domains/ar/services/statements.py"
    statements.write_text("\n" + statements.read_text())
    _newer(statements)
    capsys.readouterr()
    assert main(command) == status
    assert "reused_report=1 records_checked=1 results_derived=1" in capsys.readouterr().err
    assert out.read_bytes() == first

    # What the cache now holds has the moved lines: every format comes out as without the cache.
    json_out = tmp_path / "map.json"
    main(["audit", "--root", str(tree), "--format", "json", "--output", str(json_out)])
    main(["audit", "--root", str(tree), "--format", "json", "--output", str(tmp_path / "cold.json"), "--no-cache"])
    assert json_out.read_bytes() == (tmp_path / "cold.json").read_bytes()
    assert b'"path":"domains/ar/services/statements.py","line":17' in json_out.read_bytes()
    _assert_cached_equals_cold(tree, tmp_path)

    # Lines moved in a module the rendering names (a chain shows its positions): derived anew.
    main(command)
    capsys.readouterr()
    reminders = tree / REMINDERS
    reminders.write_text("\n" + reminders.read_text())
    _newer(reminders)
    assert main(command) == status
    assert "reused_report" not in capsys.readouterr().err
    assert out.read_bytes() != first
    main(["audit", "--root", str(tree), "--output", str(tmp_path / "cold.txt"), "--no-cache"])
    assert out.read_bytes() == (tmp_path / "cold.txt").read_bytes()

    # Lines moved in the same module as something else changed: derived anew, as without the cache.
    main(command)
    capsys.readouterr()
    _edit(statements, "    def statement(", "    def statement_of(")
    statements.write_text("\n" + statements.read_text())
    assert main(command) == status
    assert "reused_report" not in capsys.readouterr().err
    main(["audit", "--root", str(tree), "--output", str(tmp_path / "cold.txt"), "--no-cache"])
    assert out.read_bytes() == (tmp_path / "cold.txt").read_bytes()


def test_a_small_change_is_written_as_a_delta_and_read_back(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dataflow_cache, "DELTA_SHARE", 1.0)
    config = planted_config(tree)
    cache = tree / DEFAULT_DIRECTORY
    cold = check(config, cache_dir=cache)
    [base] = cache.glob("dataflow-*.bin")
    written = base.read_bytes()

    _edit(tree / REMINDERS, "class ReminderService:", "class ReminderService:  # edited")
    after = check(config, cache_dir=cache)
    assert after == cold and after.statistics["summaries_computed"] == 2
    assert base.read_bytes() == written  # the file stays; what changed is in the delta beside it
    assert base.with_suffix(".delta").is_file()

    again = check(config, cache_dir=cache)
    assert again == cold
    assert (again.statistics["summaries_computed"], again.statistics["declarations_computed"]) == (0, 0)


def test_a_delta_written_for_another_cache_file_is_ignored(tree: Path, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(dataflow_cache, "DELTA_SHARE", 1.0)
    config = planted_config(tree)
    cache = tree / DEFAULT_DIRECTORY
    cold = check(config, cache_dir=cache)
    _edit(tree / REMINDERS, "class ReminderService:", "class ReminderService:  # edited")
    check(config, cache_dir=cache)
    [delta] = cache.glob("dataflow-*.delta")
    stale = delta.read_bytes()

    # Another run writes the whole file again (a new identifier): the old delta no longer applies to it.
    monkeypatch.setattr(dataflow_cache, "DELTA_SHARE", 0.0)
    _edit(tree / COLLECTIONS, "class CollectionsService:", "class CollectionsService:  # edited")
    check(config, cache_dir=cache)
    assert not delta.exists()
    delta.write_bytes(stale)
    _edit(tree / COLLECTIONS, "class CollectionsService:  # edited", "class CollectionsService:")

    with caplog.at_level(logging.DEBUG, logger="archguard"):
        report = check(config, cache_dir=cache)
    assert report == cold
    assert report.statistics["cache_used"] == 1 and report.statistics["declarations_computed"] == 1
    assert any("written for another cache file" in r.getMessage() for r in caplog.records)


def test_a_change_re_reads_only_what_depends_on_it(tree: Path) -> None:
    config = planted_config(tree)
    cache = tree / DEFAULT_DIRECTORY
    cold = check(config, cache_dir=cache)
    warm = check(config, cache_dir=cache)
    assert warm == cold
    assert (warm.statistics["modules_parsed"], warm.statistics["summaries_computed"]) == (0, 0)
    assert cold.statistics["summaries_computed"] == cold.statistics["summaries"] > 0

    # Summarised: CollectionsService.aging_report, ReminderService.remind, StatementService.statement,
    # FreshnessReader.of and freshness._oldest.
    assert cold.statistics["summaries"] == 5

    # reminders.py: its summary, and that of collections.py, which depends on it, are read again; the
    # statements service and the freshness reader are not.
    _edit(tree / REMINDERS, "class ReminderService:", "class ReminderService:  # edited")
    after = check(config, cache_dir=cache)
    assert after == cold
    assert (after.statistics["summaries_computed"], after.statistics["declarations_computed"]) == (2, 2)

    # collections.py alone: reminders' summary stays.
    _edit(tree / COLLECTIONS, "class CollectionsService:", "class CollectionsService:  # edited")
    again = check(config, cache_dir=cache)
    assert again == cold
    assert (again.statistics["summaries_computed"], again.statistics["declarations_computed"]) == (1, 1)

    # The freshness module: its two functions, and the statements module (whose records depend on it:
    # they are kept per module), are read again; collections and reminders are not.
    _edit(tree / "domains/core/freshness.py", "def _oldest(", "# edited\ndef _oldest(")
    last = check(config, cache_dir=cache)
    assert last == cold
    assert (last.statistics["summaries_computed"], last.statistics["declarations_computed"]) == (3, 1)


def test_workers_with_a_cache_give_the_same_report(tree: Path) -> None:
    config = planted_config(tree)
    cold = check(config.with_(jobs=1))
    cache = tree / DEFAULT_DIRECTORY

    assert check(config.with_(jobs=2), cache_dir=cache) == cold  # one service module per worker
    _edit(tree / REMINDERS, "class ReminderService:", "class ReminderService:  # edited")
    assert check(config.with_(jobs=2), cache_dir=cache) == check(config.with_(jobs=1)) == cold


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped", "empty", "other magic"])
def test_an_unreadable_cache_file_is_ignored_said_at_debug_level_and_rebuilt(
        damage: str, tree: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = planted_config(tree)
    cache = tree / DEFAULT_DIRECTORY
    cold = check(config, cache_dir=cache)
    [path] = cache.glob("dataflow-*.bin")
    data = path.read_bytes()
    damaged = {
        "garbage": b"\x00\x01 not a cache \xff" * 10,
        "truncated": data[: len(data) // 2],
        "flipped": data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:],
        "empty": b"",
        "other magic": b"something else\n" + data[len(MAGIC):],
    }[damage]
    path.write_bytes(damaged)

    with caplog.at_level(logging.DEBUG, logger="archguard"):
        report = check(config, cache_dir=cache)

    assert report == cold
    assert report.statistics["cache_used"] == 0
    assert any("is unusable" in r.getMessage() and "rebuilt" in r.getMessage() for r in caplog.records)
    rebuilt = check(config, cache_dir=cache)
    assert rebuilt.statistics["cache_used"] == 1 and rebuilt.statistics["summaries_computed"] == 0


def test_an_unwritable_cache_directory_only_disables_the_cache(tree: Path) -> None:
    blocker = tree / "not-a-directory"
    blocker.write_text("a file where the cache directory would go")
    config = planted_config(tree)

    report = check(config, cache_dir=blocker / "cache")

    assert report == check(config)


def test_runs_at_the_same_time_share_the_cache_safely(tree: Path) -> None:
    """Several audits at once on one tree: each writes a complete file and renames it into place, so every
    run succeeds with the same report and the cache left behind is whole."""
    (tree / "stale-temporary").write_text("")
    leftover = tree / DEFAULT_DIRECTORY
    leftover.mkdir()
    (leftover / ".dataflow-killed.tmp").write_bytes(b"half a cache from a killed run")
    command = [sys.executable, "-m", "archguard.dataflow", "audit", "--root", str(tree), "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}

    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(4)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert all(run.returncode == 1 for run in runs), [err.decode() for _, err in outputs]  # a planted violation
    assert len({out for out, _ in outputs}) == 1
    cold = subprocess.run([*command, "--no-cache"], capture_output=True, env=env, timeout=120)
    assert cold.stdout == outputs[0][0]
    warm = check(planted_config(tree), cache_dir=tree / DEFAULT_DIRECTORY)
    assert warm.statistics["cache_used"] == 1 and warm.statistics["summaries_computed"] == 0


def test_the_cache_ignores_itself_for_git(tree: Path) -> None:
    check(planted_config(tree), cache_dir=tree / DEFAULT_DIRECTORY)

    assert (tree / DEFAULT_DIRECTORY / ".gitignore").read_text().splitlines()[-1] == "*"
    assert DEFAULT_DIRECTORY == ".archguard_cache"
    assert f"{DEFAULT_DIRECTORY}/" in (REPO_ROOT / ".gitignore").read_text().splitlines()


def test_the_environment_can_move_the_cache_or_turn_it_off(tree: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "ci-cache"
    monkeypatch.setenv("ARCHGUARD_CACHE", str(elsewhere))
    main(["audit", "--root", str(tree), "--output", str(tmp_path / "a.txt")])
    assert list(elsewhere.glob("dataflow-*.bin")) and not (tree / DEFAULT_DIRECTORY).exists()

    monkeypatch.setenv("ARCHGUARD_CACHE", "off")
    main(["audit", "--root", str(tree), "--output", str(tmp_path / "b.txt")])
    assert not (tree / DEFAULT_DIRECTORY).exists()
    assert (tmp_path / "a.txt").read_text() == (tmp_path / "b.txt").read_text()


def test_no_cache_neither_reads_nor_writes_it(tree: Path) -> None:
    assert main(["audit", "--root", str(tree), "--no-cache", "--output", str(tree / "map.txt")]) == 1

    assert not (tree / DEFAULT_DIRECTORY).exists()


def _package_importing_itself(root: Path, modules: int) -> DataFlowConfig:
    """A package whose ``__init__`` imports a function from each module and whose every module calls the
    next one's through the package (``import networkx as nx; nx.f()``, as networkx and transformers do):
    every module reaches every other."""
    package = root / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("".join(f"from app.m{i} import f{i}\n" for i in range(modules)))
    for i in range(modules):
        (package / f"m{i}.py").write_text(f"import app\n\n\ndef f{i}():\n    return app.f{(i + 1) % modules}()\n")
    return DataFlowConfig(root=root, domain_packages=("app",), service_modules=("app.**",),
                          require_declarations=False, jobs=1)


def _graph_names(cache: Path) -> int:
    """How many module names the cache file's dependency graph holds, over all its entries."""
    (path,) = cache.glob("dataflow-*.bin")
    document = cachefile.read(path)
    assert document is not None
    return sum(len(read) for read in document["graph"].values())


def test_the_cache_keeps_each_modules_reads_not_the_square_of_a_package_that_imports_itself(tmp_path: Path) -> None:
    # Kept as every module's dependencies, the names held grew with the square of such a package (networkx's
    # 580 modules took 18 s to write, transformers' 2,951 took 21 s and most of its 3.9 GB); kept as what
    # each module read, they grow with its size.
    names = {}
    for modules in (40, 80):
        config = _package_importing_itself(tmp_path / str(modules), modules)
        cache = tmp_path / f"cache-{modules}"
        cold = check(config, cache_dir=cache)
        assert len(cold.operations) == modules
        names[modules] = _graph_names(cache)
    assert names[80] < 2.5 * names[40]


def test_a_change_anywhere_in_a_package_that_imports_itself_is_found_through_the_graph(tmp_path: Path) -> None:
    config = _package_importing_itself(tmp_path, 12)
    cache = tmp_path / "cache"
    cold = check(config, cache_dir=cache)
    assert check(config, cache_dir=cache).statistics["summaries_computed"] == 0

    # m7 now reaches an HTTP module: every operation reaches m7 through the package, so every one changes.
    module = tmp_path / "app/m7.py"
    module.write_text("import app\nimport urllib.request\n\n\ndef f7():\n    urllib.request.urlopen('x')\n"
                      "    return app.f8()\n")
    after = check(config, cache_dir=cache)
    assert after == check(config)  # as a cold run reports it
    assert after != cold and all(op.reaches for op in after.operations)
    assert after.statistics["summaries_computed"] == 12


def test_a_module_only_asked_whether_it_exists_is_no_dependency_on_its_content(tmp_path: Path) -> None:
    # Resolving `app.base` asks whether the package `app` exists; that used to count as reading the
    # package's `__init__`, and so everything that reads: here helpers.py, in Home Assistant the
    # package's every module (a comment added to one component re-read all 6,725 modules).
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("from app.helpers import helper\n\n\ndef top():\n    return helper()\n")
    (package / "helpers.py").write_text("def helper():\n    return 1\n")
    (package / "base.py").write_text("def base():\n    return 0\n")
    for i in range(5):
        (package / f"s{i}.py").write_text(f"from app.base import base\n\n\ndef op{i}():\n    return base()\n")
    config = DataFlowConfig(root=tmp_path, domain_packages=("app",), service_modules=("app.**",),
                            require_declarations=False, jobs=1)
    cache = tmp_path / "cache"
    cold = check(config, cache_dir=cache)

    (package / "helpers.py").write_text("def helper():\n    return 1 + 1\n")
    after = check(config, cache_dir=cache)
    assert after == check(config)
    assert after.statistics["summaries_computed"] == 2  # app.top and helper: not the five operations'
    assert after == cold

    # A module coming or going is a change for whatever asked whether it exists.
    (package / "base.py").unlink()
    gone = check(config, cache_dir=cache)
    assert gone == check(config) and gone != cold


def test_a_report_reused_in_vain_leaves_the_run_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Trying to reuse the last report works out again the records of the modules whose dependencies
    # changed, without what their summaries call: app.a's, which comes out the same, before app.b's,
    # which does not. The report derived then must still follow app.a's calls (it stopped at app.a's
    # summary, as if its calls were known: a KeyError, as a comment added to django/utils/text.py gave).
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "shared.py").write_text("X = 1\n\n\ndef f():\n    return 1\n")
    (package / "c.py").write_text("def helper():\n    return 1\n")
    (package / "a.py").write_text("from app import shared\nfrom app.c import helper\n\n\n"
                                  "def op_a():\n    return helper() + shared.X\n")
    (package / "b.py").write_text("from app import shared\n\n\ndef op_b():\n    return shared.f()\n")
    (tmp_path / "dataflow.toml").write_text('[dataflow]\ndomain_packages = ["app"]\n'
                                            'service_modules = ["app.a", "app.b"]\n'
                                            "require_declarations = false\njobs = 1\n")
    out = tmp_path / "report.json"
    command = ["audit", "--root", str(tmp_path), "--config", str(tmp_path / "dataflow.toml"), "--format", "json",
               "--output", str(out), "--statistics"]
    main(command)

    (package / "shared.py").write_text("import urllib.request\n\nX = 1\n\n\ndef f():\n"
                                       "    return urllib.request.urlopen('https://example.com')\n")
    capsys.readouterr()
    assert main(command) == 0
    assert "reused_report" not in capsys.readouterr().err
    main([*command[:-3], "--output", str(tmp_path / "cold.json"), "--no-cache"])
    assert out.read_bytes() == (tmp_path / "cold.json").read_bytes()
    assert b"urlopen" in out.read_bytes()
