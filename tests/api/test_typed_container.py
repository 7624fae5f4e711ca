"""The API's container is a typed class: a type checker follows ``container(request).x`` to its class and
refuses a name the container does not have (``Any`` would accept both silently)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api as mypy

REPO_ROOT = Path(__file__).resolve().parents[2]

SNIPPET = """\
from fastapi import Request

from runway.api.deps import container


def route(request: Request) -> None:
    reveal_type(container(request).runway)
    container(request).runwya.weekly_digest(1)
"""


@pytest.mark.slow  # a cold mypy cache takes ~20 s
def test_the_type_checker_follows_the_container_and_refuses_an_unknown_service(tmp_path: Path) -> None:
    snippet = tmp_path / "uses_container.py"
    snippet.write_text(SNIPPET)

    stdout, stderr, status = mypy.run(["--config-file", str(REPO_ROOT / "pyproject.toml"), "--no-error-summary",
                                       str(snippet)])

    assert stderr == ""
    assert stdout.splitlines() == [
        f'{snippet}:7: note: Revealed type is "runway.services.digest.RunwayService"',
        f'{snippet}:8: error: "Services" has no attribute "runwya"; maybe "runway"?  [attr-defined]',
    ]
    assert status == 1
