"""The ``archguard`` command.

    archguard audit [options]     the data-flow pattern map and its findings (``archguard audit --help``)
    archguard diagram [options]   the layer diagram drawn from the import graph (needs grimp)
    archguard --version           the version, and whether the checker runs compiled (mypyc) or pure

``audit`` needs only the standard library; ``diagram`` needs the ``importlinter`` extra
(``pip install 'archguard[importlinter]'``) and says so when it is missing.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from archguard.dataflow.cli import (
    AUDIT_DESCRIPTION,
    AUDIT_HELP,
    add_audit_arguments,
    build,
    collector_paused,
    exit_now,
    run_audit,
)
from archguard.diagram import add_diagram_arguments
from archguard.diagram import run as run_diagram

DIAGRAM_HELP = "draw the layer diagram (Mermaid, in Markdown) from the real import graph"


def build_parser(prog: str = "archguard") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Architecture rules for Python codebases: data-flow patterns and layers.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()} ({build()})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{audit,diagram}")
    add_audit_arguments(commands.add_parser("audit", help=AUDIT_HELP, description=AUDIT_DESCRIPTION))
    add_diagram_arguments(commands.add_parser("diagram", help=DIAGRAM_HELP, description=DIAGRAM_HELP + "."))
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("archguard")
    except PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None, prog: str = "archguard", *, exiting: bool = False) -> int:
    """``exiting``: the process ends after this (``exit_now``)."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.command == "audit":
        with collector_paused(restore=not exiting):
            return run_audit(args, parser)
    return run_diagram(args)


def run() -> None:
    """The ``archguard`` console script: ``main``, then the process ends at once (see ``exit_now``)."""
    exit_now(main(exiting=True))


if __name__ == "__main__":
    run()
