"""The layer diagram of ``docs/architecture/LAYERS.md``, drawn from the real import graph.

Each box is a second-level package or module (``domains.ap``, ``infra.db``, ``runway.bootstrap``) with
everything below it collapsed into it; an arrow ``a --> b`` means at least one module in ``a`` imports
one in ``b``. Arrows against the layer direction ``runway -> domains -> infra`` are drawn red.

    python -m archguard.diagram --write   # regenerate docs/architecture/LAYERS.md
    python -m archguard.diagram --check   # exit 1 if it is out of date

Run from the repository root (the root packages are found on ``sys.path``; nothing is imported).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import grimp

LAYERS: tuple[str, ...] = ("runway", "domains", "infra")
DEFAULT_PATH = Path("docs/architecture/LAYERS.md")
REGENERATE_COMMAND = f"uv run python -m archguard.diagram --write {DEFAULT_PATH}"


def build_graph(roots: Sequence[str] = LAYERS) -> grimp.ImportGraph:
    """The import graph of the root packages, external packages left out, no cache written."""
    return grimp.build_graph(*roots, include_external_packages=False, cache_dir=None)


def node_of(module: str) -> str:
    """The box a module is drawn in: its first two name components (``domains.ap.services.bill`` -> ``domains.ap``)."""
    return ".".join(module.split(".")[:2])


def package_edges(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    """Every (importer box, imported box) pair with at least one import between them."""
    edges: set[tuple[str, str]] = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            edge = (node_of(importer), node_of(imported))
            if edge[0] != edge[1]:
                edges.add(edge)
    return edges


def package_nodes(graph: grimp.ImportGraph, roots: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """The boxes: every child of each root, plus a root itself if its ``__init__`` takes part in an edge."""
    nodes = {child for root in roots if root in graph.modules for child in graph.find_children(root)}
    nodes |= {end for edge in edges for end in edge}
    return sorted(nodes, key=lambda node: (_layer_rank(node, roots), node))


def mermaid(graph: grimp.ImportGraph, roots: Sequence[str] = LAYERS) -> str:
    """A Mermaid flowchart: one subgraph per layer (highest first), one box per package."""
    edges = sorted(package_edges(graph), key=lambda e: (_layer_rank(e[0], roots), e[0], _layer_rank(e[1], roots), e[1]))
    nodes = package_nodes(graph, roots, edges)
    lines = ["flowchart TD"]
    for root in roots:
        members = [node for node in nodes if node.split(".")[0] == root]
        lines.append(f"    subgraph layer_{_node_id(root)} [{root}]")
        lines.extend(f'        {_node_id(node)}["{node}"]' for node in members)
        lines.append("    end")
    upward: list[int] = []
    for index, (importer, imported) in enumerate(edges):
        lines.append(f"    {_node_id(importer)} --> {_node_id(imported)}")
        if _layer_rank(importer, roots) > _layer_rank(imported, roots):
            upward.append(index)
    if upward:
        lines.append(f"    linkStyle {','.join(map(str, upward))} stroke:#d00,stroke-width:3px")
    return "\n".join(lines) + "\n"


def render_document(graph: grimp.ImportGraph, roots: Sequence[str] = LAYERS) -> str:
    """The whole of ``LAYERS.md``."""
    edges = sorted(package_edges(graph), key=lambda e: (_layer_rank(e[0], roots), e[0], _layer_rank(e[1], roots), e[1]))
    upward = [edge for edge in edges if _layer_rank(edge[0], roots) > _layer_rank(edge[1], roots)]
    table = ["| importer | imports |", "| --- | --- |"]
    table += [f"| `{importer}` | `{imported}` |" for importer, imported in edges]
    return "\n".join(
        [
            "# Layers",
            "",
            f"<!-- Generated from the import graph by `{REGENERATE_COMMAND}`. Do not edit by hand. -->",
            "",
            f"Import direction: {' -> '.join(f'`{root}`' for root in roots)}. Each box is a second-level package",
            "or module with everything below it collapsed into it; an arrow means at least one module in the",
            "first imports a module in the second (function-level imports included). The rules themselves are in",
            "`.importlinter`; an arrow against the layer direction would be drawn red and breaks the `layers`",
            "contract.",
            "",
            "```mermaid",
            mermaid(graph, roots).rstrip("\n"),
            "```",
            "",
            f"## Dependencies ({len(edges)}; against the layer direction: {len(upward)})",
            "",
            *table,
            "",
        ]
    )


def current_document(roots: Sequence[str] = LAYERS) -> str:
    return render_document(build_graph(roots), roots)


def check(path: Path = DEFAULT_PATH, roots: Sequence[str] = LAYERS) -> str | None:
    """None if ``path`` is up to date, else a message with a diff and the command that regenerates it."""
    expected = current_document(roots)
    actual = path.read_text(encoding="utf-8") if path.exists() else ""
    if actual == expected:
        return None
    diff = "".join(
        difflib.unified_diff(
            actual.splitlines(keepends=True), expected.splitlines(keepends=True),
            fromfile=f"{path} (committed)", tofile=f"{path} (from the import graph)",
        )
    )
    return f"{path} is out of date with the import graph. Regenerate it with:\n\n    {REGENERATE_COMMAND}\n\n{diff}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archguard.diagram", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", nargs="?", const=str(DEFAULT_PATH), metavar="PATH",
                      help=f"write the diagram (default {DEFAULT_PATH})")
    mode.add_argument("--check", nargs="?", const=str(DEFAULT_PATH), metavar="PATH",
                      help=f"fail if the diagram is out of date (default {DEFAULT_PATH})")
    mode.add_argument("--print", action="store_true", help="print the diagram's document to stdout")
    args = parser.parse_args(argv)
    if args.print:
        sys.stdout.write(current_document())
        return 0
    if args.write:
        path = Path(args.write)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current_document(), encoding="utf-8")
        print(f"wrote {path}")
        return 0
    message = check(Path(args.check))
    if message:
        print(message, file=sys.stderr)
        return 1
    print(f"{args.check} is up to date")
    return 0


def _layer_rank(node: str, roots: Sequence[str]) -> int:
    root = node.split(".")[0]
    return roots.index(root) if root in roots else len(roots)


def _node_id(name: str) -> str:
    return name.replace(".", "_")


if __name__ == "__main__":
    raise SystemExit(main())
