"""docs/architecture/LAYERS.md is the diagram of the import graph as it is now."""

from __future__ import annotations

import grimp

from archguard import diagram
from tests.architecture.support import REPO_ROOT

LAYERS_MD = REPO_ROOT / "docs" / "architecture" / "LAYERS.md"


def test_layers_diagram_is_up_to_date() -> None:
    message = diagram.check(LAYERS_MD)

    assert message is None, message


def _graph(imports: list[tuple[str, str]]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for module in ("runway", "domains", "infra"):
        graph.add_module(module)
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported)
    return graph


def test_diagram_collapses_to_second_level_packages_and_marks_upward_edges() -> None:
    graph = _graph([
        ("runway.bootstrap", "infra.db.session"),
        ("runway.services.forecast", "domains.ap.services.bill"),
        ("domains.ap.services.bill", "domains.core.money"),
        ("domains.ap.services.bill", "domains.ap.services.payment"),  # inside one box: no arrow
        ("infra.db.session", "domains.core.money"),                     # upward: drawn red
    ])

    text = diagram.mermaid(graph)

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


def test_check_names_the_command_that_regenerates_the_diagram(tmp_path) -> None:
    stale = tmp_path / "LAYERS.md"
    stale.write_text("# Layers\n\nold\n")

    message = diagram.check(stale)

    assert message is not None
    assert "uv run python -m archguard.diagram --write docs/architecture/LAYERS.md" in message
