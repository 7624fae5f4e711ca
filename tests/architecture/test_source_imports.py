"""archguard's source reading: what it finds, and the contract type built on it."""

from __future__ import annotations

import ast
import os
import textwrap
import uuid
from pathlib import Path

import grimp
import pytest
from importlinter.domain.contract import InvalidContractOptions

from archguard.contracts import ForbiddenSourceImportsContract
from archguard.source_imports import ImportKind, find_imports, resolve_relative


def _found(source: str, module: str = "pkg.sub.mod", *, is_package: bool = False) -> list[tuple[str, ImportKind, bool]]:
    return [(f.candidate, f.kind, f.in_function)
            for f in find_imports(textwrap.dedent(source), module, is_package=is_package)]


def test_finds_module_level_and_function_level_imports() -> None:
    source = """
        import os, json as j
        from decimal import Decimal

        def fetch():
            import httpx
            from http import client
            return httpx

        class Gateway:
            async def call(self):
                from urllib.request import urlopen
    """
    assert _found(source) == [
        ("os", ImportKind.IMPORT, False),
        ("json", ImportKind.IMPORT, False),
        ("decimal.Decimal", ImportKind.FROM_IMPORT, False),
        ("httpx", ImportKind.IMPORT, True),
        ("http.client", ImportKind.FROM_IMPORT, True),
        ("urllib.request.urlopen", ImportKind.FROM_IMPORT, True),
    ]


def test_finds_dynamic_imports_with_literal_names() -> None:
    source = """
        import importlib
        import importlib as il
        import builtins
        from importlib import import_module, import_module as load

        def later(name):
            importlib.import_module("httpx")
            il.import_module("requests")
            import_module("socket")
            load("quickbooks.objects")
            __import__("urllib.request")
            builtins.__import__("aiohttp")
            import_module(".sibling", package=__package__)
            importlib.import_module("..core.money", "pkg.sub")
            __import__("neighbour", globals(), locals(), [], 1)
            importlib.import_module(name)          # not a literal: beyond static analysis
            importlib.import_module(f"x{name}")    # neither
    """
    found = find_imports(textwrap.dedent(source), "pkg.sub.mod")
    dynamic = [(f.candidate, f.kind) for f in found if f.kind.is_dynamic and not f.computed]
    computed = [(f.lineno, f.candidate, f.where) for f in found if f.computed]
    assert computed == [
        (17, "importlib.import_module", "dynamic import via importlib.import_module of a computed name, "
                                        "inside a function"),
        (18, "importlib.import_module", "dynamic import via importlib.import_module of a computed name, "
                                        "inside a function"),
    ]
    assert dynamic == [
        ("httpx", ImportKind.IMPORT_MODULE),
        ("requests", ImportKind.IMPORT_MODULE),
        ("socket", ImportKind.IMPORT_MODULE),
        ("quickbooks.objects", ImportKind.IMPORT_MODULE),
        ("urllib.request", ImportKind.DUNDER_IMPORT),
        ("aiohttp", ImportKind.DUNDER_IMPORT),
        ("pkg.sub.sibling", ImportKind.IMPORT_MODULE),
        ("pkg.core.money", ImportKind.IMPORT_MODULE),
        ("pkg.sub.neighbour", ImportKind.DUNDER_IMPORT),
    ]


def test_imports_under_type_checking_are_marked() -> None:
    source = """
        import typing
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            import httpx
        else:
            import json
        if typing.TYPE_CHECKING:
            from infra.db import Session
    """
    assert [(f.candidate, f.type_checking) for f in find_imports(textwrap.dedent(source), "pkg.mod")] == [
        ("typing", False), ("typing.TYPE_CHECKING", False), ("httpx", True), ("json", False),
        ("infra.db.Session", True),
    ]


def test_statement_text_and_line_are_reported() -> None:
    source = "x = 1\nfrom infra.db import (\n    session,\n    engine,\n)\n"
    found = find_imports(source, "domains.ap.services.bill")
    assert [(f.lineno, f.statement, f.candidate) for f in found] == [
        (2, "from infra.db import ( session, engine, )", "infra.db.session"),
        (2, "from infra.db import ( session, engine, )", "infra.db.engine"),
    ]


def test_statement_text_is_the_source_segment_with_wide_characters_and_any_line_ending() -> None:
    """The text is cut from lines split once per file (not once per imported name), with column offsets
    counted in UTF-8 bytes as the parser counts them: the same as ast.get_source_segment."""
    source = ("label = 'réglé ✓'; import httpx, socket\r\nwhy = '€'; mod = importlib.import_module(\r\n"
              "    'requests')\rfrom a.b import (c,\n  d)\n")
    found = find_imports(source, "pkg.mod")

    tree = ast.parse(source)
    segments = {node.lineno: " ".join(ast.get_source_segment(source, node).split()) for node in ast.walk(tree)
                if isinstance(node, ast.Import | ast.ImportFrom | ast.Call)}
    assert [(f.lineno, f.statement) for f in found] == [(f.lineno, segments[f.lineno]) for f in found]
    assert [f.statement for f in found] == [
        "import httpx, socket", "import httpx, socket", "importlib.import_module( 'requests')",
        "from a.b import (c, d)", "from a.b import (c, d)"]


def test_the_contract_keeps_what_it_read_until_the_file_changes(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """lint-imports runs every forbidden_source_imports contract over the same modules: their imports are
    read once, and kept in .archguard_cache/imports.bin for the next run while the file is unchanged."""
    from archguard import contracts

    module = tmp_path / "service.py"
    module.write_text("import httpx\n")
    old = module.stat()
    os.utime(module, ns=(old.st_atime_ns, old.st_mtime_ns - 10_000_000_000))  # written well before the cache
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ARCHGUARD_CACHE")  # (off for the other tests of this directory: see conftest)
    monkeypatch.setattr(contracts, "_IMPORTS", None)

    assert [f.module for f in contracts._imports_of(module, "pkg.service")] == ["httpx"]
    contracts._IMPORTS.save()  # type: ignore[union-attr]
    cache = tmp_path / ".archguard_cache" / "imports.bin"
    assert cache.is_file()
    monkeypatch.setattr(contracts, "_IMPORTS", None)  # the next run of lint-imports
    assert [f.module for f in contracts._imports_of(module, "pkg.service")] == ["httpx"]
    assert contracts._IMPORTS.dirty is False  # type: ignore[union-attr]  # taken from the file

    module.write_text("import requests, socket\n")  # changed: read again
    monkeypatch.setattr(contracts, "_IMPORTS", None)
    assert [f.module for f in contracts._imports_of(module, "pkg.service")] == ["requests", "socket"]

    cache.write_bytes(b"garbage")  # unreadable: ignored, read again
    monkeypatch.setattr(contracts, "_IMPORTS", None)
    assert [f.module for f in contracts._imports_of(module, "pkg.service")] == ["requests", "socket"]


@pytest.mark.parametrize(
    ("name", "level", "module", "is_package", "expected"),
    [
        ("money", 1, "domains.core.ids", False, "domains.core.money"),
        ("", 1, "domains.core.ids", False, "domains.core"),
        ("core.money", 2, "domains.ap.bill", False, "domains.core.money"),
        ("money", 1, "domains.core", True, "domains.core.money"),
        ("x", 3, "domains.core", True, None),
    ],
)
def test_relative_imports_resolve_like_python(name, level, module, is_package, expected) -> None:
    assert resolve_relative(name, level, module, is_package) == expected


# The contract type, on a throwaway project whose root packages have names no other test imports.


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tag = uuid.uuid4().hex[:8]
    dom, inf = f"agdom{tag}", f"aginf{tag}"
    files = {
        f"{dom}/__init__.py": "",
        f"{dom}/service.py": f"""
            import urllib.parse
            from http import HTTPStatus
            from urllib import parse
            import httpx_helpers_of_our_own
            from {inf} import interfaces
            from {inf}.interfaces import ports
            from .sibling import value


            def later():
                from http import client
                return __import__("{inf}.db")
        """,
        f"{dom}/sibling.py": f"""
            from urllib.request import urlopen
            import {inf}.db.session
            from {inf}.db import Session
            value = 1
        """,
        f"{dom}/httpx_helpers_of_our_own.py": "",
        f"{inf}/__init__.py": "",
        f"{inf}/interfaces/__init__.py": "",
        f"{inf}/interfaces/ports.py": "",
        f"{inf}/db/__init__.py": "Session = object\n",
        f"{inf}/db/session.py": "",
    }
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph(dom, inf, include_external_packages=True, cache_dir=None)
    return dom, inf, graph


def _contract(**options) -> ForbiddenSourceImportsContract:
    return ForbiddenSourceImportsContract(
        name="test", session_options={"root_packages": []}, contract_options=options,
    )


def _chains(contract: ForbiddenSourceImportsContract, graph) -> list[tuple[str, int]]:
    check = contract.check(graph, verbose=False)
    return [(v.chain, v.found.lineno) for v in check.metadata["violations"]]


def test_external_submodules_are_matched_precisely(project) -> None:
    dom, _, graph = project
    contract = _contract(source_modules=[dom], forbidden_modules=["http.client", "urllib.request", "httpx"])

    assert _chains(contract, graph) == [
        (f"{dom}.service -> http.client", 11),
        (f"{dom}.sibling -> urllib.request", 1),
    ]


def test_allowed_modules_carve_an_interface_out_of_a_forbidden_package(project) -> None:
    dom, inf, graph = project
    contract = _contract(source_modules=[dom], forbidden_modules=[inf], allowed_modules=[f"{inf}.interfaces"])

    assert _chains(contract, graph) == [
        (f"{dom}.service -> {inf}.db", 12),           # __import__ inside a function
        (f"{dom}.sibling -> {inf}.db.session", 2),
        (f"{dom}.sibling -> {inf}.db", 3),            # "from x.db import Session": Session is an attribute
    ]


def test_contract_is_kept_when_nothing_forbidden_is_imported(project) -> None:
    dom, _, graph = project
    check = _contract(source_modules=[dom], forbidden_modules=["requests", "socket"]).check(graph, verbose=False)

    assert check.kept
    assert check.metadata["violations"] == []


def test_missing_source_module_is_an_error(project) -> None:
    dom, _, graph = project
    with pytest.raises(ValueError, match="does not exist"):
        _contract(source_modules=[f"{dom}.nowhere"], forbidden_modules=["httpx"]).check(graph, verbose=False)


def test_options_are_validated() -> None:
    with pytest.raises(InvalidContractOptions) as error:
        _contract(source_modules=["domains"], forbidden_modules=["infra", "not a name"],
                  allowed_modules=["runway.bootstrap"])
    assert set(error.value.errors) == {"forbidden_modules", "allowed_modules"}


# Computed imports, TYPE_CHECKING, ignore_imports (item 4), on a second throwaway project.


def _write_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], *roots: str):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    monkeypatch.syspath_prepend(str(tmp_path))
    return grimp.build_graph(*roots, include_external_packages=True, cache_dir=None)


@pytest.fixture()
def dynamic_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    dom = f"agdyn{uuid.uuid4().hex[:8]}"
    graph = _write_project(tmp_path, monkeypatch, {
        f"{dom}/__init__.py": "",
        f"{dom}/plugins.py": """
            import importlib
            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                import httpx


            def load(name: str) -> object:
                return importlib.import_module(name)


            def load_old(name: str) -> object:
                return __import__(name)
        """,
    }, dom)
    return dom, graph


def test_an_import_by_a_computed_name_is_a_violation_by_default(dynamic_project) -> None:
    dom, graph = dynamic_project

    assert _chains(_contract(source_modules=[dom]), graph) == [
        (f"{dom}.plugins -> importlib.import_module", 9),
        (f"{dom}.plugins -> __import__", 13),
    ]
    assert _chains(_contract(source_modules=[dom], forbidden_modules=["json"], computed_imports="allowed"),
                   graph) == []


def test_type_checking_imports_count_unless_excluded(dynamic_project) -> None:
    dom, graph = dynamic_project
    options = {"source_modules": [dom], "forbidden_modules": ["httpx"], "computed_imports": "allowed"}

    assert _chains(_contract(**options), graph) == [(f"{dom}.plugins -> httpx", 5)]
    assert _chains(_contract(**options, exclude_type_checking_imports="true"), graph) == []
    # The [importlinter] session option of the same name is the default.
    session = ForbiddenSourceImportsContract(name="test", contract_options=options,
                                             session_options={"exclude_type_checking_imports": "True"})
    assert _chains(session, graph) == []


def test_ignore_imports_excuse_violations_and_a_stale_one_fails(dynamic_project) -> None:
    from importlinter.domain.helpers import MissingImport

    dom, graph = dynamic_project
    contract = _contract(source_modules=[dom], ignore_imports=[f"{dom}.plugins -> importlib.import_module",
                                                                 f"{dom}.* -> __import__"])
    check = contract.check(graph, verbose=False)
    assert check.kept
    assert check.ignored_import_count == 2

    stale = _contract(source_modules=[dom], ignore_imports=[f"{dom}.plugins -> importlib.import_module",
                                                            f"{dom}.* -> __import__", f"{dom}.plugins -> socket"])
    with pytest.raises(MissingImport, match=rf"No matches for ignored import {dom}\.plugins -> socket\."):
        stale.check(graph, verbose=False)

    warned = _contract(source_modules=[dom], ignore_imports=[f"{dom}.plugins -> socket"],
                       unmatched_ignore_imports_alerting="warn", computed_imports="allowed",
                       forbidden_modules=["httpx"])
    check = warned.check(graph, verbose=False)
    assert check.warnings == [f"No matches for ignored import {dom}.plugins -> socket."]
    assert not check.kept  # the TYPE_CHECKING import of httpx is still there


def test_forbidden_source_imports_options_are_validated() -> None:
    with pytest.raises(InvalidContractOptions) as error:
        _contract(source_modules=["domains"], computed_imports="sometimes")
    assert error.value.errors == {"computed_imports": "Expected forbidden or allowed, not 'sometimes'."}
    with pytest.raises(InvalidContractOptions) as error:
        _contract(source_modules=["domains"], computed_imports="allowed")
    assert set(error.value.errors) == {"forbidden_modules"}


# independent_children (item 4): the children are read from the graph, so a new one is covered.


@pytest.fixture()
def bounded_contexts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    dom = f"agctx{uuid.uuid4().hex[:8]}"
    files = {
        f"{dom}/__init__.py": "",
        f"{dom}/core/__init__.py": "",
        f"{dom}/core/money.py": "ZERO = 0\n",
        f"{dom}/ap/__init__.py": "",
        f"{dom}/ap/bills.py": f"from {dom}.core.money import ZERO\n",
        f"{dom}/ar/__init__.py": "",
        f"{dom}/ar/invoices.py": f"from {dom}.core.money import ZERO\n",
        f"{dom}/billing/__init__.py": "",
        f"{dom}/billing/plans.py": f"from {dom}.ar.invoices import ZERO\n",
    }
    return dom, _write_project(tmp_path, monkeypatch, files, dom)


def _children_contract(**options):
    from archguard.contracts import IndependentChildrenContract

    return IndependentChildrenContract(name="test", session_options={"root_packages": []}, contract_options=options)


def test_every_child_but_the_shared_ones_is_independent(bounded_contexts) -> None:
    dom, graph = bounded_contexts

    check = _children_contract(parents=[dom], shared=[f"{dom}.core"]).check(graph, verbose=False)

    assert not check.kept
    assert [(c["downstream_module"], c["upstream_module"]) for c in check.metadata["invalid_chains"]] == [
        (f"{dom}.billing", f"{dom}.ar")]


def test_a_route_through_the_shared_kernel_is_a_violation_too(bounded_contexts) -> None:
    dom, graph = bounded_contexts
    graph.remove_import(importer=f"{dom}.billing.plans", imported=f"{dom}.ar.invoices")
    graph.add_import(importer=f"{dom}.core.money", imported=f"{dom}.ar.invoices")  # the kernel imports a child

    check = _children_contract(parents=[dom], shared=[f"{dom}.core"]).check(graph, verbose=False)

    pairs = sorted((c["downstream_module"], c["upstream_module"]) for c in check.metadata["invalid_chains"])
    assert pairs == [(f"{dom}.ap", f"{dom}.ar")]  # ap -> core -> ar


def test_independent_children_options_are_checked(bounded_contexts) -> None:
    dom, graph = bounded_contexts
    with pytest.raises(InvalidContractOptions) as error:
        _children_contract(parents=[dom], shared=["elsewhere.core"])
    assert error.value.errors == {
        "shared": "Each shared module must be a child of a parent; these are not: elsewhere.core."}
    with pytest.raises(InvalidContractOptions) as error:
        _children_contract(parents=[dom], modules=[f"{dom}.ap"])
    assert "modules" in error.value.errors  # the children are never listed by hand
    with pytest.raises(ValueError, match=f"Module '{dom}.nowhere' does not exist."):
        _children_contract(parents=[f"{dom}.nowhere"]).check(graph, verbose=False)
