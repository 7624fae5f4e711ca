"""The API's container is a typed class: a type checker follows ``container(request).x`` to its class and
refuses a name the container does not have (``Any`` would accept both silently)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api as mypy

REPO_ROOT = Path(__file__).resolve().parents[3]

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

    # mypy's cache may name the file by the path it first saw it at: compare from the file name on.
    lines = [line[line.index(snippet.name):] for line in stdout.splitlines()]
    assert stderr == ""
    assert lines == [
        'uses_container.py:7: note: Revealed type is "runway.services.digest.RunwayService"',
        'uses_container.py:8: error: "Services" has no attribute "runwya"; maybe "runway"?  [attr-defined]',
    ]
    assert status == 1
