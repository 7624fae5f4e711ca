"""The corpus of foreign-shaped codebases, and the table of what the checker finds in each.

Each directory under ``codebases/`` is a small codebase written in a style other than Runway's, with its
own data-flow configuration (``.importlinter`` or ``pyproject.toml``, found as ``archguard audit`` finds
it) and ``expected-findings.txt``: every finding the checker must report, one per line as
``<kind> | <finding text>``, where kind is

- ``planted``: a violation planted on purpose (its line is marked ``# planted-violation``);
- ``unresolved``: a call the checker reports it cannot follow (an honest limit, not a violation);
- ``false-alarm``: a finding that is wrong (a known weakness of the checker, kept visible).

``tests/corpus/test_corpus.py`` asserts each codebase's findings are exactly these.
``docs/architecture/CORPUS.md`` is the table below, generated::

    uv run python -m tests.corpus.corpus --write     # or --check
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from archguard.dataflow import Report, check, discover

HERE = Path(__file__).resolve().parent
CODEBASES = HERE / "codebases"
TABLE = HERE.parents[1] / "docs" / "architecture" / "CORPUS.md"
MARK = "# planted-violation"
KINDS = ("planted", "unresolved", "false-alarm")
REGENERATE = "uv run python -m tests.corpus.corpus --write"


@dataclass(frozen=True)
class Codebase:
    name: str
    shape: str


SHAPES = {
    "message_bus": "function-based service layer (handlers) with dependencies injected by a message bus, "
                   "unit of work and repository (the style of *Architecture Patterns with Python*)",
    "sqla_services": "class-based service layer over a SQLAlchemy session held by a base class, a repository "
                     "with annotated returns, and a supplier sync written inside a domain service module",
    "fastapi_depends": "FastAPI app whose service class takes `Annotated[..., Depends(...)]` collaborators, "
                       "and async module-level service functions",
    "src_layout": "src layout (`src/ledger`), archguard's own markers, a jobs package with an enum and a "
                  "constant, and a layers contract next to the data-flow one",
}


@dataclass(frozen=True)
class Expected:
    kind: str
    text: str


def codebases() -> list[Codebase]:
    return [Codebase(path.name, SHAPES[path.name]) for path in sorted(CODEBASES.iterdir()) if path.is_dir()]


def expected(name: str) -> list[Expected]:
    result = []
    for line in (CODEBASES / name / "expected-findings.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, _, text = line.partition(" | ")
        if kind not in KINDS or not text:
            raise ValueError(f"{name}/expected-findings.txt: not '<{'|'.join(KINDS)}> | <text>': {line!r}")
        result.append(Expected(kind, text))
    return result


def audit(name: str) -> Report:
    """What ``archguard audit --root codebases/<name>`` reports."""
    root = CODEBASES / name
    return check(discover(root)[0])


def planted_lines(name: str) -> set[tuple[str, int]]:
    """(path relative to the codebase, line) of every line marked as a planted violation."""
    root = CODEBASES / name
    return {
        (path.relative_to(root).as_posix(), number)
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if MARK in line
    }


def config_file(name: str) -> str:
    return discover(CODEBASES / name)[1].name


def render_table() -> str:
    lines = [
        "# The corpus: the checker on codebases shaped like others'",
        "",
        f"<!-- Generated from tests/corpus by `{REGENERATE}`. Do not edit by hand. -->",
        "",
        "Four small codebases under `tests/corpus/codebases/`, written by us in styles other than Runway's, "
        "each with its own data-flow configuration and the exact findings the checker must report "
        "(`tests/corpus/test_corpus.py` fails on any other, and on any planted line no finding names).",
        "",
        "| codebase | shape | configuration | operations | planted violations caught | unresolved calls "
        "| false alarms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    sections: list[str] = []
    for codebase in codebases():
        report = audit(codebase.name)
        findings = expected(codebase.name)
        planted = [f for f in findings if f.kind == "planted"]
        caught = [f for f in planted if f.text in report.texts()]
        counts = {kind: sum(1 for f in findings if f.kind == kind) for kind in KINDS}
        lines.append(
            f"| `{codebase.name}` | {codebase.shape} | `{config_file(codebase.name)}` | {len(report.operations)} "
            f"| {len(caught)} of {len(planted_lines(codebase.name))} | {counts['unresolved']} "
            f"| {counts['false-alarm']} |")
        sections += ["", f"## `{codebase.name}`", ""]
        sections += [f"- {f.kind}: {_md(f.text)}" for f in findings] or ["- no findings"]
    return "\n".join([*lines, *sections, ""])


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.corpus.corpus", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help=f"write {TABLE.name}")
    mode.add_argument("--check", action="store_true", help=f"fail if {TABLE.name} is out of date")
    args = parser.parse_args(argv)
    text = render_table()
    if args.write:
        TABLE.write_text(text, encoding="utf-8")
        print(f"wrote {TABLE}")
        return 0
    if TABLE.is_file() and TABLE.read_text(encoding="utf-8") == text:
        print(f"{TABLE} is up to date")
        return 0
    print(f"{TABLE} is out of date; regenerate it with: {REGENERATE}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
