"""A layer diagram (Mermaid, in Markdown) drawn from the real import graph.

Each box is a package or module one level below a layer (``domains.ap``, ``infra.db``,
``runway.bootstrap``) with everything below it collapsed into it; an arrow ``a --> b`` means at least
one module in ``a`` imports one in ``b``. Arrows against the layer direction are drawn red.

The layers and the root packages come from the configuration, never from a built-in list: the first
``type = layers`` contract (its ``layers``, highest first, and ``containers``) and ``root_packages`` of
import-linter's configuration in the root (``.importlinter``, ``setup.cfg`` or ``pyproject.toml``), or
``--layers`` and ``--root-packages`` on the command line::

    archguard diagram --write docs/architecture/LAYERS.md   # regenerate
    archguard diagram --check docs/architecture/LAYERS.md   # exit 1 if it is out of date
    archguard diagram --print --layers app.api app.domain app.adapters

(also ``python -m archguard.diagram``). Needs grimp (``pip install 'archguard[importlinter]'``); the
packages are found in the root and its ``src`` directory, and nothing is imported.
"""

from __future__ import annotations

import argparse
import configparser
import difflib
import re
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grimp

DEFAULT_PATH = Path("docs/architecture/LAYERS.md")
CONFIG_FILES = (".importlinter", "setup.cfg", "pyproject.toml")


class DiagramError(ValueError):
    """The diagram cannot be drawn: no layers configured, grimp missing, a layer not found."""


@dataclass(frozen=True)
class Layers:
    """The layers, highest first; each rank may hold several independent layers (``a | b``)."""

    ranks: tuple[tuple[str, ...], ...]
    roots: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for rank in self.ranks for name in rank)

    def rank(self, module: str) -> int:
        """The rank of the most specific layer holding ``module`` (below every layer if none does)."""
        best, best_len = len(self.ranks), -1
        for index, rank in enumerate(self.ranks):
            for layer in rank:
                if (module == layer or module.startswith(layer + ".")) and len(layer) > best_len:
                    best, best_len = index, len(layer)
        return best

    def layer_of(self, module: str) -> str | None:
        matches = [layer for layer in self.names if module == layer or module.startswith(layer + ".")]
        return max(matches, key=len) if matches else None

    def box(self, module: str) -> str:
        """The box a module is drawn in: its layer and one more name component (``domains.ap.services.bill``
        -> ``domains.ap``); outside every layer, its first two components."""
        layer = self.layer_of(module)
        parts = module.split(".")
        depth = len(layer.split(".")) + 1 if layer else 2
        return ".".join(parts[:depth])


def regenerate_command(path: Path | str = DEFAULT_PATH) -> str:
    return f"archguard diagram --write {Path(path).as_posix()}"


# The configuration -----------------------------------------------------------------------------------------


def layers_from_config(root: Path) -> Layers | None:
    """The first layers contract and the root packages of import-linter's configuration in ``root``."""
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        found = _from_toml(path) if path.suffix == ".toml" else _from_ini(path)
        if found is not None:
            return found
    return None


def _from_ini(path: Path) -> Layers | None:
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    if "importlinter" not in parser:
        return None
    session = parser["importlinter"]
    roots = _lines(session.get("root_packages", "")) or _lines(session.get("root_package", ""))
    for section in parser.sections():
        if section.startswith("importlinter:contract:") and parser[section].get("type") == "layers":
            contract = parser[section]
            return _layers(_lines(contract.get("layers", "")), _lines(contract.get("containers", "")), roots)
    return None


def _from_toml(path: Path) -> Layers | None:
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("importlinter", {})
    if not data:
        return None
    roots = list(data.get("root_packages") or ([data["root_package"]] if "root_package" in data else []))
    for contract in data.get("contracts", []):
        if contract.get("type") == "layers":
            return _layers(list(contract.get("layers", [])), list(contract.get("containers", [])), roots)
    return None


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def _layers(lines: Sequence[str], containers: Sequence[str], roots: Sequence[str]) -> Layers:
    ranks = []
    for line in lines:
        names = [name.strip().strip("()").strip() for name in re.split(r"[|:]", line) if name.strip()]
        if containers:
            names = [f"{container}.{name}" for container in containers for name in names]
        ranks.append(tuple(names))
    roots = tuple(roots) or tuple(dict.fromkeys(name.split(".")[0] for rank in ranks for name in rank))
    return Layers(tuple(ranks), roots)


def resolve_layers(root: Path, layers: Sequence[str] | None = None, roots: Sequence[str] | None = None) -> Layers:
    """Layers from the command line if given, else from the configuration; ``DiagramError`` if none."""
    if layers:
        return _layers(list(layers), [], list(roots or ()))
    found = layers_from_config(root)
    if found is None:
        raise DiagramError(
            f"no layers to draw: {root.resolve()} has no import-linter layers contract (in "
            f"{', '.join(CONFIG_FILES)}); pass --layers HIGHEST ... LOWEST")
    if roots:
        found = Layers(found.ranks, tuple(roots))
    return found


# The graph and the drawing ------------------------------------------------------------------------------------


def build_graph(roots: Sequence[str], source_dirs: Iterable[Path] = ()) -> grimp.ImportGraph:
    """The import graph of the root packages, external packages left out, no cache written."""
    try:
        import grimp
    except ModuleNotFoundError as exc:
        raise DiagramError(f"the diagram needs grimp ({exc}): pip install 'archguard[importlinter]'") from exc
    for directory in reversed(list(source_dirs)):
        if directory.is_dir() and str(directory) not in sys.path:
            sys.path.insert(0, str(directory))
    try:
        return grimp.build_graph(*roots, include_external_packages=False, cache_dir=None)
    except (ValueError, ModuleNotFoundError) as exc:
        raise DiagramError(f"cannot build the import graph of {', '.join(roots)}: {exc}") from exc


def package_edges(graph: grimp.ImportGraph, layers: Layers) -> set[tuple[str, str]]:
    """Every (importer box, imported box) pair with at least one import between them."""
    edges: set[tuple[str, str]] = set()
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            edge = (layers.box(importer), layers.box(imported))
            if edge[0] != edge[1]:
                edges.add(edge)
    return edges


def package_nodes(graph: grimp.ImportGraph, layers: Layers, edges: Iterable[tuple[str, str]]) -> list[str]:
    """The boxes: every child of each layer, plus a layer itself if its ``__init__`` takes part in an edge."""
    nodes = {child for layer in layers.names if layer in graph.modules for child in graph.find_children(layer)}
    nodes |= {end for edge in edges for end in edge}
    return sorted(nodes, key=lambda node: (layers.rank(node), node))


def _sorted_edges(graph: grimp.ImportGraph, layers: Layers) -> list[tuple[str, str]]:
    return sorted(package_edges(graph, layers),
                  key=lambda e: (layers.rank(e[0]), e[0], layers.rank(e[1]), e[1]))


def mermaid(graph: grimp.ImportGraph, layers: Layers) -> str:
    """A Mermaid flowchart: one subgraph per layer (highest first), one box per package."""
    edges = _sorted_edges(graph, layers)
    nodes = package_nodes(graph, layers, edges)
    lines = ["flowchart TD"]
    drawn: set[str] = set()
    for layer in layers.names:
        members = [node for node in nodes if layers.layer_of(node) == layer and node != layer] or (
            [layer] if layer in nodes else [])
        lines.append(f"    subgraph layer_{_node_id(layer)} [{layer}]")
        lines.extend(f'        {_node_id(node)}["{node}"]' for node in members)
        lines.append("    end")
        drawn.update(members)
    lines.extend(f'    {_node_id(node)}["{node}"]' for node in nodes if node not in drawn)
    upward: list[int] = []
    for index, (importer, imported) in enumerate(edges):
        lines.append(f"    {_node_id(importer)} --> {_node_id(imported)}")
        if layers.rank(importer) > layers.rank(imported):
            upward.append(index)
    if upward:
        lines.append(f"    linkStyle {','.join(map(str, upward))} stroke:#d00,stroke-width:3px")
    return "\n".join(lines) + "\n"


def render_document(graph: grimp.ImportGraph, layers: Layers, path: Path | str = DEFAULT_PATH) -> str:
    """The whole Markdown document."""
    edges = _sorted_edges(graph, layers)
    upward = [edge for edge in edges if layers.rank(edge[0]) > layers.rank(edge[1])]
    table = ["| importer | imports |", "| --- | --- |"]
    table += [f"| `{importer}` | `{imported}` |" for importer, imported in edges]
    direction = " -> ".join(" \\| ".join(f"`{name}`" for name in rank) for rank in layers.ranks)
    return "\n".join(
        [
            "# Layers",
            "",
            f"<!-- Generated from the import graph by `{regenerate_command(path)}`. Do not edit by hand. -->",
            "",
            f"Import direction: {direction}. Each box is a package or module one level below a layer, with",
            "everything below it collapsed into it; an arrow means at least one module in the first imports a",
            "module in the second (function-level imports included). The rules themselves are in the",
            "import-linter configuration; an arrow against the layer direction is drawn red and breaks the",
            "layers contract.",
            "",
            "```mermaid",
            mermaid(graph, layers).rstrip("\n"),
            "```",
            "",
            f"## Dependencies ({len(edges)}; against the layer direction: {len(upward)})",
            "",
            *table,
            "",
        ]
    )


def current_document(root: Path = Path("."), layers: Layers | None = None, path: Path | str = DEFAULT_PATH) -> str:
    layers = layers or resolve_layers(root)
    return render_document(build_graph(layers.roots, _source_dirs(root)), layers, path)


def check(path: Path = DEFAULT_PATH, root: Path = Path("."), layers: Layers | None = None) -> str | None:
    """None if ``path`` is up to date, else a message with a diff and the command that regenerates it."""
    shown = _shown(path, root)
    expected = current_document(root, layers, shown)
    actual = path.read_text(encoding="utf-8") if path.exists() else ""
    if actual == expected:
        return None
    diff = "".join(
        difflib.unified_diff(
            actual.splitlines(keepends=True), expected.splitlines(keepends=True),
            fromfile=f"{path} (committed)", tofile=f"{path} (from the import graph)",
        )
    )
    return (f"{path} is out of date with the import graph. Regenerate it with:\n\n    "
            f"{regenerate_command(shown)}\n\n{diff}")


# The command line ------------------------------------------------------------------------------------------


def add_diagram_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", nargs="?", const=str(DEFAULT_PATH), metavar="PATH",
                      help=f"write the diagram (default {DEFAULT_PATH})")
    mode.add_argument("--check", nargs="?", const=str(DEFAULT_PATH), metavar="PATH",
                      help=f"fail if the diagram is out of date (default {DEFAULT_PATH})")
    mode.add_argument("--print", action="store_true", help="print the diagram's document to stdout")
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository root (default: .)")
    parser.add_argument("--layers", nargs="+", metavar="LAYER",
                        help="the layers, highest first (default: the import-linter layers contract)")
    parser.add_argument("--root-packages", nargs="+", metavar="PACKAGE",
                        help="packages to build the graph from (default: import-linter's root_packages)")
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        layers = resolve_layers(args.root, args.layers, args.root_packages)
        if args.print:
            sys.stdout.write(current_document(args.root, layers))
            return 0
        if args.write:
            path = Path(args.write)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(current_document(args.root, layers, _shown(path, args.root)), encoding="utf-8")
            print(f"wrote {path}")
            return 0
        message = check(Path(args.check), args.root, layers)
    except DiagramError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if message:
        print(message, file=sys.stderr)
        return 1
    print(f"{args.check} is up to date")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archguard.diagram", description=__doc__.split("\n\n")[0])
    add_diagram_arguments(parser)
    return run(parser.parse_args(argv))


def _source_dirs(root: Path) -> list[Path]:
    return [root.resolve(), (root / "src").resolve()]


def _shown(path: Path, root: Path) -> str:
    """The path as the regenerate command names it: relative to the root when it lies inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _node_id(name: str) -> str:
    return name.replace(".", "_")


if __name__ == "__main__":
    raise SystemExit(main())
