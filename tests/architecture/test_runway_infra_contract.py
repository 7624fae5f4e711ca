"""runway-infra-only-in-bootstrap names infra's implementation packages one wildcard line each.

import-linter has no "infra except infra.interfaces" expression, so the contract protects ``infra``,
``infra.*`` (every module and package directly under infra) and ``infra.<package>.**`` for each
implementation package. A package added under infra without its line would leave its modules open to
runway; this check fails instead, naming the line to add.
"""

from __future__ import annotations

import configparser
from pathlib import Path

from tests.architecture.support import CONFIG, REPO_ROOT

CONTRACT = "importlinter:contract:runway-infra-only-in-bootstrap"
INTERFACES = "interfaces"  # runway may use infra.interfaces: the one package the contract leaves open


def missing_protected_lines(config_text: str, infra_dir: Path) -> list[str]:
    """The ``infra.<package>.**`` lines the contract lacks, one per implementation package under ``infra_dir``."""
    parser = configparser.ConfigParser()
    parser.read_string(config_text)
    protected = set(parser[CONTRACT]["protected_modules"].split())
    packages = sorted(path.name for path in infra_dir.iterdir() if (path / "__init__.py").is_file())
    return [f"infra.{name}.**" for name in packages
            if name != INTERFACES and f"infra.{name}.**" not in protected]


def test_every_infra_implementation_package_is_protected() -> None:
    missing = missing_protected_lines(CONFIG.read_text(), REPO_ROOT / "infra")

    assert missing == [], f"add to protected_modules of runway-infra-only-in-bootstrap: {missing}"


def test_the_check_names_a_package_the_contract_does_not_protect(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    for name in ("db", "interfaces", "cache"):
        (infra / name).mkdir(parents=True)
        (infra / name / "__init__.py").write_text("")
    (infra / "notes").mkdir()  # not a package: nothing to import

    missing = missing_protected_lines(CONFIG.read_text(), infra)

    assert missing == ["infra.cache.**"]
