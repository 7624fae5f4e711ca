"""Shortcuts taken for speed give the answers of the plain way of working them out."""

from __future__ import annotations

import ast
import random
from pathlib import Path

import pytest

from archguard.dataflow.analysis import _LAMBDA_TAKERS, Analyzer, Scope, _bind_lambda_params
from archguard.dataflow.index import KEPT_IDLE, ModuleInfo, ProjectIndex
from archguard.dataflow.model import Category
from archguard.dataflow.summaries import CALL, REACH, derive
from tests.dataflow.support import planted_config, planted_tree

LIVE, LOCAL = Category.LIVE.value, Category.LOCAL.value


def _plain(reaches):
    """A reach as the cache keeps it, converted from the reach itself (as the cache did before)."""
    return tuple((r[0].value, r[1], r[2], tuple(map(tuple, r[3]))) for r in reaches)


def test_the_reaches_as_plain_data_are_the_reaches_converted_including_an_import_dropped_for_its_call():
    hop = ("Client.get", "infra/live.py", 3)
    summaries = {
        # The operation imports the live module and calls into it through a helper: the import is the
        # same root cause as the call, and is dropped from the reaches (and from their plain form).
        ("svc.Service.run", "svc.Service"): ("Service.run", "svc.py", (
            (REACH, 2, LIVE, "infra.live", "live module infra.live", ("import infra.live", None, None), True, None),
            (CALL, 3, "svc.helper", None, "svc"),
            (REACH, 4, LOCAL, "infra.db.Repo", "local port Repo", ("Repo.rows", "infra/db.py", 7), False, None),
        )),
        ("svc.helper", None): ("helper", "svc.py", (
            (REACH, 9, LIVE, "infra.live.Client", "live class Client", hop, False, None),
        )),
        ("svc.Service.other", "svc.Service"): ("Service.other", "svc.py", (
            (REACH, 12, LIVE, "infra.live", "live module infra.live", ("import infra.live", None, None), True, None),
        )),
    }
    operations = [("svc.Service.other", "svc.Service"), ("svc.Service.run", "svc.Service")]
    owners = dict.fromkeys(summaries, "svc")

    derived = derive(operations, summaries, owners)

    assert derived.plain is not None
    assert [len(reaches) for reaches in derived.reaches] == [1, 2]  # (run's import was dropped)
    assert derived.plain == [_plain(reaches) for reaches in derived.reaches]
    assert derive(operations, summaries).plain is None  # (made only for the cache)


def _evict_as_before(index: ProjectIndex, idle_ticks: int, budget: int) -> list[str]:
    """``ProjectIndex.to_evict`` as it was written before it listed only the idle trees."""
    limit = index.tick - idle_ticks
    last_use, hot = index._last_use, index.hot
    held = [(last_use.get(name, -1), name, info.size) for name, info in index._parsed.items()]
    idle = sorted((used, name) for used, name, _ in held if used < limit and name not in hot)
    chosen = [name for _, name in idle[:max(0, len(idle) - KEPT_IDLE)]]
    size = index.held_size - sum(index._parsed[name].size for name in chosen)
    if size > budget:
        dropped = set(chosen)
        for _, name, module_size in sorted(held):
            if size <= budget:
                break
            if name not in dropped:
                chosen.append(name)
                size -= module_size
    return chosen


def test_the_trees_to_drop_are_those_the_full_listing_chose(tmp_path: Path):
    rng = random.Random(10)
    for _ in range(200):
        index = ProjectIndex(tmp_path, ())
        count = rng.choice([0, 5, KEPT_IDLE - 1, KEPT_IDLE, KEPT_IDLE + 1, 300])
        index.tick = 1000
        for _ in range(count):
            name = f"m{rng.randrange(10_000)}"
            # (a real ModuleInfo: the compiled index checks the type)
            index._parsed[name] = ModuleInfo(name, f"{name}.py", f"{name}.py", False, ast.Module([], []),
                                             size=rng.randrange(1, 5_000))
            if rng.random() < 0.9:  # (some used, some only held)
                index._last_use[name] = rng.randrange(900, 1001)
            if rng.random() < 0.05:
                index.hot.add(name)
        index.held_size = sum(info.size for info in index._parsed.values())
        budget = rng.choice([0, 10_000, index.held_size // 2, 10**9])
        idle_ticks = rng.choice([0, 24, 60])
        assert index.to_evict(idle_ticks, budget) == _evict_as_before(index, idle_ticks, budget)


class _Forgetful(dict):
    """A memo that never remembers: every question is worked out afresh."""

    def __setitem__(self, key, value) -> None:
        pass


@pytest.mark.parametrize("case", ["base", "cyclic-bases", "recursive-aliases", "undeclared-port", "othercode"])
def test_whether_a_class_is_a_protocol_is_answered_the_same_remembered_and_afresh(tmp_path: Path, case: str):
    config = planted_config(planted_tree(case, tmp_path / case))
    answers = []
    for forgetful in (False, True):
        index = ProjectIndex(config.root, config.packages_to_read, exclude=config.exclude_modules,
                             source_dirs=config.source_directories)
        analyzer = Analyzer(index, config)
        if forgetful:
            analyzer._protocols = _Forgetful()
        classes = [f"{name}.{cls}" for name in index.module_names if (info := index.module(name)) is not None
                   for cls in info.classes]
        # Asked twice, and after the classes' categories (which ask it while their own query is open).
        found = [analyzer.is_protocol(name) for name in classes]
        for name in classes:
            analyzer.class_categories(name)
        found += [analyzer.is_protocol(name) for name in classes]
        answers.append(found)
        if not forgetful:
            assert analyzer._protocols, "nothing remembered"
    assert answers[0] == answers[1]
    assert any(answers[0]) and not all(answers[0])


def test_calls_skipped_before_typing_lambda_parameters_type_none():
    # ``_collect_locals`` calls ``_bind_lambda_params`` only for the callees it knows: any other call must
    # type no lambda parameter.
    names = ["sorted", "min", "max", "sort", "map", "filter", "reduce", "apply", "key", "sorted_by", "each"]
    shapes = ["{f}(xs, key=lambda x: x)", "ys.{f}(key=lambda x: x)", "{f}(lambda x: x, xs)",
              "obj.{f}(xs, key=lambda x: x)", "{f}(lambda x: x)", "{f}(xs)"]
    module = ast.parse("def f(xs, ys, obj):\n    pass\n")
    info = ModuleInfo(name="m", path="m.py", display_path="m.py", is_package=False, tree=module)
    typed = set()
    for name in names:
        for shape in shapes:
            call = ast.parse(shape.format(f=name), mode="eval").body
            assert isinstance(call, ast.Call)
            if _bind_lambda_params(Scope(info, None, None), call):
                typed.add(name)
    assert typed == set(_LAMBDA_TAKERS)


def _statements_read_through_every_block_name(body: list[ast.stmt]):
    """The walk of ``analysis._statements`` as first written (a getattr with a default for every block
    name on every statement), kept as the reference for the one reading only the fields a type has."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for name in ("body", "orelse", "finalbody"):
            block = getattr(stmt, name, None)
            if block:
                stack.extend(reversed(block))
        for handler in getattr(stmt, "handlers", ()):
            stack.extend(reversed(handler.body))
        for case in getattr(stmt, "cases", ()):
            stack.extend(reversed(case.body))


def test_the_statements_of_a_body_come_in_the_order_of_reading_every_block_name():
    from archguard.dataflow.analysis import _statements

    source = '''
def method(self, rows):
    self.a = 1
    for row in rows:
        self.b = row
    else:
        self.c = 2
    while rows:
        self.d = 3
    else:
        self.e = 4
    try:
        self.f = 5
    except ValueError:
        self.g = 6
    except TypeError:
        pass
    else:
        self.h = 7
    finally:
        self.i = 8
    with open(rows) as handle:
        if handle:
            self.j = 9
        elif rows:
            self.k = 10
        else:
            self.l = 11
    match rows:
        case [first]:
            self.m = first
        case _:
            self.n = 12
    async def inner():
        self.o = 13
    class Inner:
        p = 14
    try:
        pass
    except* OSError:
        self.q = 15
'''
    body = ast.parse(source).body[0].body  # type: ignore[attr-defined]
    walked = list(_statements(body))
    assert walked == list(_statements_read_through_every_block_name(body))
    assert len(walked) == 27  # every statement once, those of the nested function and class left out


def test_a_source_made_without_calling_its_class_is_the_one_the_class_makes():
    from archguard.dataflow.analysis import _Source, _source

    node = ast.parse("x = 1").body[0]
    for made, by_class in ((_source("value", node, (0, "iter")), _Source("value", node, (0, "iter"))),
                           (_source("neutral", node), _Source("neutral", node))):
        assert type(made) is _Source and made == by_class
        assert (made.kind, made.node, made.path) == (by_class.kind, by_class.node, by_class.path)
