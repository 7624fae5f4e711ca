"""The real tree keeps every contract, and a copy of it with a planted violation does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.support import REPO_ROOT, copy_real_tree, run_lint_imports

BILL = Path("domains/ap/services/bill.py")


def test_real_tree_keeps_every_contract() -> None:
    run = run_lint_imports(REPO_ROOT)

    assert run.returncode == 0, run.report


def _plant(tree: Path, text: str) -> int:
    """Append ``text`` to bill.py (created if the service is not written yet); its first line number."""
    path = tree / BILL
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        for package in (path.parent, *path.parent.parents):
            if package == tree:
                break
            (package / "__init__.py").touch()
        path.write_text("")
    existing = path.read_text()
    if existing and not existing.endswith("\n"):
        existing += "\n"
    path.write_text(existing + "\n\n" + text)
    return existing.count("\n") + 3


@pytest.mark.parametrize(
    ("planted", "contracts", "expected"),
    [
        (
            "def _planted_fetch():\n    import httpx\n\n    return httpx\n",
            ("domains-no-http", "domains-no-http-source"),
            ["domains.ap.services.bill -> httpx (l.{next})", "Contracts: 0 kept, 2 broken.",
             "bill.py:{next}: import httpx  [inside a function]"],
        ),
        (
            "from infra import db as _planted_db  # noqa: E402\n",
            ("domains-infra-interfaces-only",),
            ["domains.ap.services.bill -> infra.db (l.{line})",
             "bill.py:{line}: from infra import db as _planted_db  [module level]"],
        ),
    ],
    ids=["httpx-in-a-function", "infra-implementation"],
)
def test_copy_of_real_tree_with_planted_violation_fails(planted: str, contracts: tuple[str, ...],
                                                        expected: list[str], tmp_path: Path) -> None:
    tree = copy_real_tree(tmp_path / "project")
    line = _plant(tree, planted)

    run = run_lint_imports(tree, *contracts, config=tree / ".importlinter", extra_path=())

    assert run.returncode == 1, run.report
    for text in expected:
        assert text.format(line=line, next=line + 1) in run.output, run.report


def test_every_source_directory_is_a_package() -> None:
    """grimp, and so every contract, skips a directory without __init__.py: its imports go unchecked.

    Alembic migration scripts are loaded by path, not imported, so `migrations` directories are exempt.
    """
    unseen = sorted(
        str(directory.relative_to(REPO_ROOT))
        for root in ("domains", "infra", "runway")
        for directory in [REPO_ROOT / root, *(REPO_ROOT / root).rglob("*")]
        if directory.is_dir()
        and "migrations" not in directory.relative_to(REPO_ROOT).parts
        and directory.name != "__pycache__"
        and any(directory.glob("*.py"))
        and not (directory / "__init__.py").is_file()
    )
    assert unseen == [], f"add an __init__.py to each, or no architecture rule sees their imports: {unseen}"
