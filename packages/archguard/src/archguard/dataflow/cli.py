"""``audit``: the data-flow pattern map and its findings, from the command line.

    python -m archguard.dataflow audit [--format text|json|sarif|markdown] [--output FILE] [--check]
                                       [--baseline FILE] [--update-baseline] [--config FILE]
                                       [--root DIR] [--strict] [--jobs N]

- ``--config FILE``: a TOML file (``[dataflow]`` table, or ``[tool.archguard.dataflow]`` in a
  pyproject.toml) or an import-linter INI file (its ``type = data_flow`` contract). Without it, the
  ``data_flow`` contract of ``<root>/.importlinter`` is used if there is one, else the defaults
  (Runway's layout).
- ``--output FILE`` writes the rendering there instead of stdout; with ``--check`` it writes nothing
  and fails if FILE differs from what it would write (``docs/architecture/PATTERN_MAP.md`` in CI).
- ``--baseline FILE``: fail only on findings not in the baseline, and on baseline entries that no
  longer match a finding; ``--update-baseline`` rewrites FILE with the current findings.

Exit status: 0 when nothing fails, 1 when a finding fails (or, with a baseline, a new failing finding
or a stale entry; with ``--check``, an out-of-date output), 2 for a usage or configuration error.
Messages about the baseline and the check go to stderr, so stdout stays valid JSON or SARIF.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

from archguard.dataflow import baseline as baseline_file
from archguard.dataflow.checker import check
from archguard.dataflow.config import ConfigError, DataFlowConfig, from_importlinter, load_toml
from archguard.dataflow.model import Report
from archguard.dataflow.report import FORMATS, REGENERATE_COMMAND, render


def build_parser(prog: str = "python -m archguard.dataflow") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Data-flow pattern rules of the domain operations.")
    commands = parser.add_subparsers(dest="command", required=True)
    audit = commands.add_parser("audit", help="report each domain operation's declared and observed pattern")
    audit.add_argument("--format", choices=FORMATS, default="text")
    audit.add_argument("--output", type=Path, help="write the report to this file instead of stdout")
    audit.add_argument("--check", action="store_true",
                       help="with --output: write nothing, fail if the file is not what would be written")
    audit.add_argument("--baseline", type=Path, help="JSON baseline of known findings")
    audit.add_argument("--update-baseline", action="store_true", help="rewrite --baseline with the current findings")
    audit.add_argument("--config", type=Path, help="TOML or import-linter INI configuration")
    audit.add_argument("--root", type=Path, default=Path("."), help="directory holding the root packages")
    audit.add_argument("--strict", action="store_true", default=None,
                       help="unresolved calls fail too (overrides the configuration)")
    audit.add_argument("--jobs", type=int, help="worker processes (0: automatic, 1: none)")
    return parser


def load_config(config_path: Path | None, root: Path) -> DataFlowConfig:
    if config_path is not None:
        if config_path.suffix == ".toml":
            return load_toml(config_path, root=root)
        config = from_importlinter(config_path, root=root)
        if config is None:
            raise ConfigError(f"{config_path} has no contract of type data_flow")
        return config
    default_ini = root / ".importlinter"
    if default_ini.is_file():
        config = from_importlinter(default_ini, root=root)
        if config is not None:
            return config
    return DataFlowConfig(root=root)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.check and args.output is None:
        parser.error("--check needs --output")
    if args.update_baseline and args.baseline is None:
        parser.error("--update-baseline needs --baseline")
    try:
        config = load_config(args.config, args.root)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    if args.strict is not None:
        config = config.with_(strict=True)
    if args.jobs is not None:
        config = config.with_(jobs=max(0, args.jobs))
    report = check(config)
    status = 0 if report.ok else 1

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

    text = render(report, args.format)
    if args.output is None:
        sys.stdout.write(text)
    elif args.check:
        message = check_file(args.output, text)
        if message:
            print(message, file=sys.stderr)
            return 1
        print(f"{args.output} is up to date.", file=sys.stderr)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"Wrote {args.output}.", file=sys.stderr)
    if status and args.baseline is None:
        print(_failing_summary(report), file=sys.stderr)
    return status


def check_file(path: Path, expected: str) -> str | None:
    """None if ``path`` holds ``expected``, else a message with a diff and the command to regenerate."""
    actual = path.read_text(encoding="utf-8") if path.is_file() else ""
    if actual == expected:
        return None
    diff = "".join(difflib.unified_diff(actual.splitlines(keepends=True), expected.splitlines(keepends=True),
                                        fromfile=f"{path} (committed)", tofile=f"{path} (from the source)"))
    return f"{path} is out of date. Regenerate it with:\n\n    {REGENERATE_COMMAND}\n\n{diff}"


def _failing_summary(report: Report) -> str:
    failing = report.failing()
    return f"{len(failing)} failing data-flow finding(s)."


if __name__ == "__main__":
    raise SystemExit(main())
