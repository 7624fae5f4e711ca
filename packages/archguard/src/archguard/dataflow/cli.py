"""``archguard audit``: the data-flow pattern map and its findings, from the command line.

    archguard audit [--format text|json|sarif|markdown] [--output FILE] [--check] [--pretty]
                    [--baseline FILE] [--update-baseline] [--config FILE]
                    [--root DIR] [--strict] [--jobs N] [--no-cache] [--cache-dir DIR] [--statistics]

(also ``python -m archguard.dataflow audit ...``).

- ``--root DIR``: the repository root (default: the current directory). Report paths are relative to
  it; the root packages are looked for in it and in ``DIR/src``.
- ``--config FILE``: an import-linter INI file (its ``type = data_flow`` contract) or a TOML file
  (``[dataflow]``, ``[tool.archguard.dataflow]``, or a ``data_flow`` contract under
  ``[tool.importlinter]``). Without it, the first of ``.importlinter``, ``setup.cfg`` and
  ``pyproject.toml`` in the root that holds one is used; with none, the audit stops with exit status 2
  (it never checks a default layout against a codebase it does not describe).
- ``--pretty``: indent JSON and SARIF (by default they are compact: one line, written as it is
  rendered).
- ``--output FILE`` writes the rendering there instead of stdout; with ``--check`` it writes nothing
  and fails if FILE differs from what it would write (a committed ``PATTERN_MAP.md`` in CI).
- ``--no-cache``: read every module afresh; without it, the summaries of the previous run are reused
  where nothing they were read from changed (``archguard.dataflow.cache``: ``.archguard_cache`` in the
  root, or ``--cache-dir DIR``, or ``$ARCHGUARD_CACHE``: a directory, or ``off``). The report is the
  same either way. A report written with ``--output`` is kept with the cache: the next run with the same
  format and output writes it again if what the cache holds about every changed module comes out the
  same when read again (an edited comment), or differs only in lines of changed files the rendering
  never names (lines added or removed above the code), without deriving the report anew.
- ``--baseline FILE``: fail only on findings not in the baseline, and on baseline entries that no
  longer match a finding; ``--update-baseline`` rewrites FILE with the current findings.
- ``--jobs N``: worker processes (0, the default: one per CPU when 400 service modules or more are to be
  read, the cache not holding them; 1: none). The report is the same either way.
- ``--statistics``: how the run went, on stderr (modules parsed, summaries computed or reused, times),
  ending with ``build=compiled`` or ``build=pure`` (``build()``).

Exit status: 0 when nothing fails, 1 when a finding fails (or, with a baseline, a new failing finding
or a stale entry; with ``--check``, an out-of-date output), 2 for a usage or configuration error.
Messages about the baseline and the check go to stderr, so stdout stays valid JSON or SARIF.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import logging
import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NoReturn

from archguard import cachefile
from archguard.dataflow import baseline as baseline_file
from archguard.dataflow.cache import DEFAULT_DIRECTORY
from archguard.dataflow.checker import ReusedReport, check, check_or_reuse, file_digest, remember_rendering
from archguard.dataflow.config import ConfigError, DataFlowConfig, discover, load
from archguard.dataflow.model import Report
from archguard.dataflow.report import FORMATS, regenerate_command, render, write

#: The modules a wheel ships compiled with mypyc (packages/archguard/hatch_build.py).
COMPILED_MODULES = ("analysis", "summaries", "index", "types", "names", "model")


def build() -> str:
    """``compiled`` when the analysis modules run as extension modules compiled by mypyc (the wheel),
    ``pure`` when they run from their ``.py`` files (an editable install, ``ARCHGUARD_PURE=1``, no C
    compiler at build time), ``partly compiled`` otherwise."""
    import importlib

    compiled = sum(not (importlib.import_module(f"archguard.dataflow.{name}").__file__ or ".py").endswith(".py")
                   for name in COMPILED_MODULES)
    return "pure" if compiled == 0 else "compiled" if compiled == len(COMPILED_MODULES) else "partly compiled"


def _print_statistics(statistics: Mapping[str, object]) -> None:
    print("statistics: " + " ".join(f"{k}={v}" for k, v in statistics.items()) + f" build={build()}", file=sys.stderr)


AUDIT_HELP = "report each domain operation's declared and observed data-flow pattern, and the findings"
AUDIT_DESCRIPTION = (
    "The data-flow pattern map: each operation of the domain's service modules, the pattern it declares "
    "(local_read, local_write, live), what the source shows it reaching (local, live, sync) and the "
    "verdict; exit 1 when a finding fails, 2 on a configuration error."
)


def add_audit_arguments(audit: argparse.ArgumentParser) -> argparse.ArgumentParser:
    audit.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    audit.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    audit.add_argument("--pretty", action="store_true", help="indent JSON and SARIF (compact by default)")
    audit.add_argument("--check", action="store_true",
                       help="with --output: write nothing, fail if the file is not what would be written")
    audit.add_argument("--baseline", type=Path, help="JSON baseline of known findings")
    audit.add_argument("--update-baseline", action="store_true", help="rewrite --baseline with the current findings")
    audit.add_argument("--config", type=Path,
                       help="import-linter INI or TOML configuration (default: the data_flow contract of "
                            ".importlinter, setup.cfg or pyproject.toml in the root)")
    audit.add_argument("--root", type=Path, default=Path("."),
                       help="the repository root: report paths are relative to it (default: .)")
    audit.add_argument("--strict", action="store_true", default=None,
                       help="unresolved calls fail too (overrides the configuration)")
    audit.add_argument("--jobs", type=int, help="worker processes (0: automatic, 1: none)")
    audit.add_argument("--statistics", action="store_true",
                       help="print how the run went to stderr (modules parsed, summaries computed or reused, times)")
    audit.add_argument("--no-cache", action="store_true",
                       help=f"read every module afresh, and neither read nor write the cache ({DEFAULT_DIRECTORY} "
                            "in the root)")
    audit.add_argument("--cache-dir", type=Path,
                       help=f"where the cache lives (default: ${cachefile.ENVIRONMENT}, else {DEFAULT_DIRECTORY} in "
                            "the root)")
    return audit


def build_parser(prog: str = "python -m archguard.dataflow") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Data-flow pattern rules of the domain operations.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_audit_arguments(commands.add_parser("audit", help=AUDIT_HELP, description=AUDIT_DESCRIPTION))
    return parser


@contextmanager
def collector_paused(*, restore: bool = True) -> Iterator[None]:
    """The cyclic garbage collector off while the command runs: the run makes millions of objects and no
    garbage cycles worth the passes over them. Turned back on (``restore``), it would walk them all at
    the next allocation: a command whose process ends next (``exit_now``) leaves it off."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting and restore:
            gc.enable()


def exit_now(status: int) -> NoReturn:
    """End the command's process at once, its output flushed: tearing down the millions of objects of a
    large run (and the collector's last pass over them) would take longer than some runs."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(status)


def load_config(config_path: Path | None, root: Path) -> DataFlowConfig:
    """The configuration ``audit`` runs with (``ConfigError`` when there is none)."""
    if config_path is not None:
        return load(config_path, root=root)
    return discover(root)[0]


def main(argv: Sequence[str] | None = None, prog: str = "python -m archguard.dataflow", *,
         exiting: bool = False) -> int:
    """``exiting``: the process ends after this (``exit_now``), so the collector is not turned back on."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    with collector_paused(restore=not exiting):
        return run_audit(args, parser)


def run_audit(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.check and args.output is None:
        parser.error("--check needs --output")
    if args.update_baseline and args.baseline is None:
        parser.error("--update-baseline needs --baseline")
    if not args.root.is_dir():
        print(f"configuration error: --root {args.root} is not a directory", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config, args.root)
        if args.strict is not None:
            config = config.with_(strict=True)
        if args.jobs is not None:
            config = config.with_(jobs=max(0, args.jobs))
        cache_dir = None if args.no_cache else (args.cache_dir or cachefile.directory(args.root))
        # Written to a file, the rendering is kept with the cache: the next run writes it again if
        # nothing it was derived from changed (a report written to stdout is rendered each time).
        render_key = None
        if cache_dir is not None and args.output is not None and not args.check and args.baseline is None:
            render_key = f"{args.format}|{int(args.pretty)}|{args.output.as_posix()}"
        if render_key is None:
            report = check(config, cache_dir=cache_dir)
        else:
            assert cache_dir is not None
            outcome = check_or_reuse(config, cache_dir=cache_dir, render_key=render_key)
            if isinstance(outcome, ReusedReport):
                if _write_reused(outcome, args):
                    return outcome.status
                outcome = check(config, cache_dir=cache_dir)  # the kept rendering changed meanwhile
            report = outcome
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    status = 0 if report.ok else 1
    if args.statistics:
        _print_statistics(report.statistics)

    if args.baseline is not None:
        if args.update_baseline:
            count = baseline_file.write(args.baseline, report)
            print(f"Wrote {count} finding(s) to the baseline {args.baseline}.", file=sys.stderr)
            status = 0
        else:
            try:
                entries = baseline_file.read(args.baseline)
            except baseline_file.BaselineError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            comparison = baseline_file.compare(report, entries)
            for line in comparison.messages(args.baseline):
                print(line, file=sys.stderr)
            print(comparison.summary(args.baseline), file=sys.stderr)
            status = 0 if comparison.ok else 1

    output = args.output.as_posix() if args.output is not None else None
    if args.output is None:
        write(report, args.format, sys.stdout, pretty=args.pretty)
    elif args.check:
        text = render(report, args.format, output=output, pretty=args.pretty)
        message = check_file(args.output, text, regenerate_command(output))
        if message:
            print(message, file=sys.stderr)
            return 1
        print(f"{args.output} is up to date.", file=sys.stderr)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with args.output.open("w", encoding="utf-8", newline="\n") as out:
            write(report, args.format, out, output=output, pretty=args.pretty)
        if render_key is not None:
            remember_rendering(report, render_key, args.output, status)
        print(f"Wrote {args.output}.", file=sys.stderr)
    if status and args.baseline is None:
        print(_failing_summary(report), file=sys.stderr)
    global _LAST_REPORT
    _LAST_REPORT = report  # freed with the process (exit_now), not object by object before it ends
    return status


_LAST_REPORT: Report | None = None


def _write_reused(reused: ReusedReport, args: argparse.Namespace) -> bool:
    """What ``run_audit`` does with a report, for one reused as rendered before; False (nothing said) if
    the copy written is not what was kept (another run replaced it meanwhile)."""
    args.output.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(reused.rendered, args.output)
    except OSError:
        return False
    if file_digest(args.output) != reused.digest:
        return False
    if args.statistics:
        _print_statistics(reused.statistics)
    print(f"Wrote {args.output}.", file=sys.stderr)
    if reused.status:
        print(f"{reused.failing} failing data-flow finding(s).", file=sys.stderr)
    return True


def check_file(path: Path, expected: str, command: str | None = None) -> str | None:
    """None if ``path`` holds ``expected``, else a message with a diff and the command to regenerate."""
    actual = path.read_text(encoding="utf-8") if path.is_file() else ""
    if actual == expected:
        return None
    diff = "".join(difflib.unified_diff(actual.splitlines(keepends=True), expected.splitlines(keepends=True),
                                        fromfile=f"{path} (committed)", tofile=f"{path} (from the source)"))
    command = command or regenerate_command(path.as_posix())
    return f"{path} is out of date. Regenerate it with:\n\n    {command}\n\n{diff}"


def _failing_summary(report: Report) -> str:
    failing = report.failing()
    return f"{len(failing)} failing data-flow finding(s)."


if __name__ == "__main__":
    exit_now(main(exiting=True))
