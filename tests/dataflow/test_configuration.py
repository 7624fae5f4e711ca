"""The configuration: where it is found, that what it names exists, external classes, the vocabulary.

Nothing is assumed about a codebase: with no configuration the audit stops (exit 2), and a name that
matches nothing is an error naming it, never a silent "observed: nothing".
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from archguard.dataflow import ConfigError, DataFlowConfig, check, discover
from archguard.dataflow.cli import main
from tests.dataflow.support import OP, planted_config, planted_tree


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


def test_names_that_do_not_exist_are_a_configuration_error_naming_each(tmp_path: Path) -> None:
    tree = planted_tree("base", tmp_path / "tree")
    config = planted_config(
        tree,
        jobs_packages=("infra.jobz",),
        port_modules=("infra.interfaces.portz",),
        service_modules=("domains.**.servicez",),
        live_classes=("infra.qbo.client.LiveGatewy",),
        local_classes=("sqlalchemy.orm.Sesion", "domains.core.freshness._oldest"),
        sync_classes=("nosuchlibrary.jobs.Job", "infra.jobs.invoice_sync.InvoiceSync"),
    )

    with pytest.raises(ConfigError) as raised:
        check(config)

    assert str(raised.value).splitlines() == [
        "the configuration names what does not exist:",
        "  - port_modules: infra.interfaces.portz (no such package or module in the project)",
        "  - jobs_packages: infra.jobz (no such package or module in the project)",
        "  - service_modules: domains.**.servicez (matches no module)",
        "  - live_classes: infra.qbo.client.LiveGatewy (module infra.qbo.client defines no class LiveGatewy)",
        "  - local_classes: sqlalchemy.orm.Sesion (module sqlalchemy.orm has no name Sesion)",
        "  - local_classes: domains.core.freshness._oldest (_oldest is a function, not a class)",
        "  - sync_classes: nosuchlibrary.jobs.Job (nosuchlibrary is neither a package of the project nor installed)",
    ]


def test_the_audit_reports_a_configuration_error_with_exit_status_2(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("base", tmp_path / "tree")
    pyproject = tree / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"infra.jobs"', '"infra.jobz"'))

    assert main(["audit", "--root", str(tree)]) == 2

    err = capsys.readouterr().err
    assert "configuration error: the configuration names what does not exist:\n" in err
    assert "  - jobs_packages: infra.jobz (no such package or module in the project)" in err


def test_without_any_configuration_the_audit_stops_instead_of_guessing(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("base", tmp_path / "tree")
    (tree / "pyproject.toml").write_text("[project]\nname = 'planted'\n")  # a pyproject without a section

    assert main(["audit", "--root", str(tree)]) == 2

    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"configuration error: no data-flow configuration in {tree.resolve()}: add a contract with "
        "'type = data_flow' to .importlinter (or setup.cfg), or a [tool.archguard.dataflow] table to "
        "pyproject.toml, or pass --config FILE\n")


def test_domain_packages_must_be_named() -> None:
    with pytest.raises(ConfigError, match="domain_packages: name at least one package"):
        DataFlowConfig()


@pytest.mark.parametrize("where", [".importlinter", "setup.cfg", "pyproject-importlinter", "pyproject-archguard"])
def test_the_configuration_is_found_where_import_linter_looks(where: str, tmp_path: Path) -> None:
    ini = "[importlinter:contract:df]\nname = data flow\ntype = data_flow\ndomain_packages = shop\n"
    files = {
        ".importlinter": {".importlinter": ini},
        "setup.cfg": {"setup.cfg": "[metadata]\nname = shop\n\n" + ini},
        "pyproject-importlinter": {"pyproject.toml": """
            [tool.importlinter]
            root_packages = ["shop"]

            [[tool.importlinter.contracts]]
            name = "data flow"
            type = "data_flow"
            domain_packages = ["shop"]
        """},
        "pyproject-archguard": {"pyproject.toml": '[tool.archguard.dataflow]\ndomain_packages = ["shop"]\n'},
    }[where]
    _write(tmp_path, files)

    config, path = discover(tmp_path)

    assert config.domain_packages == ("shop",)
    assert path == tmp_path / next(iter(files))


def test_an_external_class_named_in_the_configuration_is_reached_under_any_of_its_names(tmp_path: Path) -> None:
    """sqlalchemy.orm.Session, configured as local: a service whose base class holds the session, given
    by the subclass's __init__, reads through it; imported under its defining module's name too."""
    root = _write(tmp_path, {
        "shop/__init__.py": "",
        "shop/services/__init__.py": "",
        "shop/services/base.py": """
            class BaseService:
                def __init__(self, db) -> None:
                    self.db = db
        """,
        "shop/services/products.py": """
            from sqlalchemy.orm import Session
            from sqlalchemy.orm.session import Session as DefiningName

            from shop.services.base import BaseService


            class ProductService(BaseService):
                def __init__(self, db: Session) -> None:
                    super().__init__(db)

                def count(self) -> int:
                    return self.db.query(int).count()

                def raw(self, other: DefiningName) -> None:
                    other.execute("select 1")
        """,
    })
    config = DataFlowConfig(root=root, domain_packages=("shop",), service_modules=("shop.services.*",),
                            local_classes=("sqlalchemy.orm.Session",), require_declarations=False)

    report = check(config)

    count, raw = report.operation("shop.services.products.ProductService.count"), report.operation(
        "shop.services.products.ProductService.raw")
    assert (count.observed, raw.observed) == ("local", "local")
    [reach] = count.reaches
    assert (reach.display, [str(hop) for hop in reach.chain]) == (
        "local class Session", ["ProductService.count (shop/services/products.py:12)", "Session.query"])
    assert report.findings == ()


def test_the_vocabulary_comes_from_the_configuration(tmp_path: Path) -> None:
    report = check_planted_with(tmp_path, "private-helper", local_label="mirror", live_label="QuickBooks")

    op = report.operation(f"{OP}.aging_report")
    assert op.observed == "mirror + QuickBooks"
    assert report.vocabulary.observed(set(), False) == "nothing"


def check_planted_with(tmp_path: Path, case: str, **options):
    return check(planted_config(planted_tree(case, tmp_path / case), **options))


def test_a_src_layout_is_found_and_paths_are_relative_to_the_repository_root(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "pyproject.toml": """
            [tool.archguard.dataflow]
            domain_packages = ["shop.domain"]
            live_packages = ["shop.payments"]
            service_modules = ["shop.domain.services"]
        """,
        "src/shop/__init__.py": "",
        "src/shop/payments.py": "def charge(cents: int) -> None: ...\n",
        "src/shop/domain/__init__.py": "",
        "src/shop/domain/services.py": """
            from shop.payments import charge


            def settle(cents: int) -> None:
                charge(cents)
        """,
    })

    report = check(discover(root)[0])

    assert report.texts() == [
        "shop.domain.services.settle [undeclared] is not declared local_read, local_write or live (observed: "
        "live); mark it @local_read, @local_write or @live: settle (src/shop/domain/services.py:4)",
    ]
    assert report.operation("shop.domain.services.settle").reaches[0].chain[-1].path == "src/shop/payments.py"


def test_a_generic_class_binds_its_type_variables_where_it_is_annotated(tmp_path: Path) -> None:
    """``Answer[Cash]`` makes ``answer.data`` a Cash, so a live call behind it is seen; an unbound
    ``T`` stays unresolved, and says so."""
    root = _write(tmp_path, {
        "shop/__init__.py": "",
        "shop/gateway.py": """
            class Gateway:
                def fetch(self) -> int:
                    return 1
        """,
        "shop/services/__init__.py": "",
        "shop/services/answers.py": """
            from dataclasses import dataclass
            from typing import Generic, TypeVar

            from shop.gateway import Gateway

            T = TypeVar("T")


            @dataclass
            class Answer(Generic[T]):
                data: T


            class Reader:
                def __init__(self, bound: Answer[Gateway], unbound: Answer) -> None:
                    self._bound = bound
                    self._unbound = unbound

                def bound(self) -> int:
                    return self._bound.data.fetch()

                def unbound(self) -> int:
                    return self._unbound.data.fetch()
        """,
    })
    config = DataFlowConfig(root=root, domain_packages=("shop",), service_modules=("shop.services.*",),
                            live_packages=("shop.gateway",), require_declarations=False)

    report = check(config)

    assert report.operation("shop.services.answers.Reader.bound").observed == "live"
    assert [f.message for f in report.findings if f.subject == "shop.services.answers.Reader.unbound"] == [
        "makes an unresolved call self._unbound.data.fetch() (T is a type variable), in the reach of 1 "
        "operation (shop.services.answers.Reader.unbound)"]
