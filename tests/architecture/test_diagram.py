"""docs/architecture/LAYERS.md is the diagram of the import graph as it is now; the layers come from
the configuration (the layers contract of .importlinter, or --layers), never from a built-in list."""

from __future__ import annotations

import textwrap
from pathlib import Path

import grimp
import pytest

from archguard import diagram
from archguard.cli import main
from tests.architecture.support import REPO_ROOT

LAYERS_MD = REPO_ROOT / "docs" / "architecture" / "LAYERS.md"
RUNWAY = diagram.Layers((("runway",), ("domains",), ("infra",)), ("domains", "infra", "runway"))


def test_layers_diagram_is_up_to_date() -> None:
    message = diagram.check(LAYERS_MD, REPO_ROOT)

    assert message is None, message


def test_the_layers_are_read_from_the_layers_contract() -> None:
    assert diagram.layers_from_config(REPO_ROOT) == RUNWAY


def _graph(imports: list[tuple[str, str]], roots: tuple[str, ...] = ("runway", "domains", "infra")
           ) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for module in roots:
        graph.add_module(module)
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_diagram_collapses_to_one_level_below_each_layer_and_marks_upward_edges() -> None:
    graph = _graph([
        ("runway.bootstrap", "infra.db.session"),
        ("runway.services.forecast", "domains.ap.services.bill"),
        ("domains.ap.services.bill", "domains.core.money"),
        ("domains.ap.services.bill", "domains.ap.services.payment"),  # inside one box: no arrow
        ("infra.db.session", "domains.core.money"),                     # upward: drawn red
    ])

    text = diagram.mermaid(graph, RUNWAY)

    assert text.splitlines()[0] == "flowchart TD"
    assert '        runway_services["runway.services"]' in text
    assert '        domains_ap["domains.ap"]' in text
    arrows = [line.strip() for line in text.splitlines() if "-->" in line]
    assert arrows == [
        "runway_bootstrap --> infra_db",
        "runway_services --> domains_ap",
        "domains_ap --> domains_core",
        "infra_db --> domains_core",
    ]
    assert "    linkStyle 3 stroke:#d00,stroke-width:3px" in text


def test_layers_inside_a_container_are_boxed_one_level_below_them() -> None:
    """Another codebase: layers app.api > app.domain > app.adapters inside one root package."""
    layers = diagram._layers(["api", "domain", "adapters"], ["app"], ["app"])
    graph = _graph([("app.api.routes", "app.domain.orders.service"), ("app.adapters.db.repo", "app.api.deps")],
                   roots=("app",))

    text = diagram.mermaid(graph, layers)

    assert "    subgraph layer_app_api [app.api]" in text
    assert '        app_domain_orders["app.domain.orders"]' in text
    assert [line.strip() for line in text.splitlines() if "-->" in line] == [
        "app_api_routes --> app_domain_orders", "app_adapters_db --> app_api_deps"]
    assert "    linkStyle 1 stroke:#d00,stroke-width:3px" in text


def test_check_names_the_command_that_regenerates_the_diagram(tmp_path: Path) -> None:
    stale = tmp_path / "LAYERS.md"
    stale.write_text("# Layers\n\nold\n")

    message = diagram.check(stale, REPO_ROOT)

    assert message is not None
    assert f"archguard diagram --write {stale}" in message


def test_diagram_without_layers_configured_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")

    assert main(["diagram", "--print", "--root", str(tmp_path)]) == 2

    assert "has no import-linter layers contract" in capsys.readouterr().err


def test_diagram_of_another_codebase_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    package = "agdiag" + Path(tmp_path).name.replace("-", "_")[-8:]
    for rel, text in {
        f"src/{package}/__init__.py": "",
        f"src/{package}/web/__init__.py": "",
        f"src/{package}/web/views.py": f"from {package}.core import rules\n",
        f"src/{package}/core/__init__.py": "",
        f"src/{package}/core/rules.py": "",
    }.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", list(__import__("sys").path))

    assert main(["diagram", "--print", "--layers", f"{package}.web", f"{package}.core"]) == 0

    out = capsys.readouterr().out
    assert f"Import direction: `{package}.web` -> `{package}.core`." in out
    assert f"| `{package}.web.views` | `{package}.core.rules` |" in out
