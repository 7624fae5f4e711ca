"""``derive``'s unresolved call sites against a plain walk from each operation, on planted call graphs
with recursion (cycles within and between operations), operations sharing a function, and more
operations reaching a site than a finding names (``NAMED_OPERATIONS``).

``derive`` counts with bit sets over components, a bit-sliced sum and the first operations kept per
component; the reference walks the graph once per operation and counts what it finds."""

from __future__ import annotations

import random

import pytest

from archguard.dataflow.summaries import CALL, NAMED_OPERATIONS, UNRESOLVED, Key, Summary, derive, reachable

FUNCTIONS = 90


def _planted(seed: int) -> tuple[list[Key], dict[Key, Summary]]:
    """A random call graph of FUNCTIONS functions: a ring (one component of ten), a self-call, random
    calls mostly towards higher numbers (so deep chains) and some back (more cycles), unresolved calls
    with texts repeated in one function (one site) and across functions (distinct sites); about two
    thirds of the functions are operations, listed in name order."""
    rng = random.Random(seed)
    names = [f"m.f{i:03d}" for i in range(FUNCTIONS)]
    calls: list[list[int]] = [[] for _ in names]
    for i in range(10):
        calls[i].append((i + 1) % 10)  # the ring
    calls[40].append(40)
    for i in range(FUNCTIONS):
        for _ in range(rng.randrange(4)):
            j = rng.randrange(i, FUNCTIONS) if rng.random() < 0.85 else rng.randrange(FUNCTIONS)
            calls[i].append(j)
    summaries: dict[Key, Summary] = {}
    for i, name in enumerate(names):
        edges: list[tuple] = []
        line = 1
        for j in calls[i]:
            edges.append((CALL, line, names[j], None, "m"))
            line += 1
            if rng.random() < 0.3:
                text = f"x{rng.randrange(5)}()"
                edges.append((UNRESOLVED, line, text, "not known"))
                if rng.random() < 0.3:
                    edges.append((UNRESOLVED, line + 1, text, "not known"))  # the same site again
                line += 2
        summaries[(name, None)] = (name, "m.py", tuple(edges))
    operations = [(name, None) for name in names if rng.random() < 0.67 or name == names[FUNCTIONS - 1]]
    return operations, summaries


def _reference(
    operations: list[Key], summaries: dict[Key, Summary]
) -> tuple[list[int], dict[tuple[str, str], list[int]]]:
    """Per operation, how many distinct sites it reaches; per site, the operations reaching it, by a
    walk from each operation on its own."""
    per_operation = []
    per_site: dict[tuple[str, str], list[int]] = {}
    for op, key in enumerate(operations):
        sites = {
            (qualname, edge[2])
            for qualname, bound in reachable([key], summaries)
            for edge in summaries[(qualname, bound)][2]
            if edge[0] == UNRESOLVED
        }
        per_operation.append(len(sites))
        for site in sites:
            per_site.setdefault(site, []).append(op)
    return per_operation, per_site


@pytest.mark.parametrize("seed", range(12))
def test_unresolved_sites_match_a_walk_per_operation(seed: int) -> None:
    operations, summaries = _planted(seed)
    expected_counts, expected_sites = _reference(operations, summaries)
    derived = derive(operations, summaries)
    assert derived.unresolved == expected_counts
    found = {(site.function, site.text): (site.operation_count, site.operations) for site in derived.sites}
    assert found == {site: (len(ops), tuple(ops[:NAMED_OPERATIONS])) for site, ops in expected_sites.items()}
    # The planted graphs exercise what the derivation is about: sites reached by more operations than are
    # named, and counts large enough to carry through several bit planes.
    assert max(len(ops) for ops in expected_sites.values()) > NAMED_OPERATIONS


def test_an_operation_listed_twice_counts_twice() -> None:
    """Two operations of one function (a bit-sliced sum must add the function's sites once per each)."""
    summaries: dict[Key, Summary] = {
        ("m.a", None): ("m.a", "m.py", ((CALL, 1, "m.b", None, "m"),)),
        ("m.b", None): ("m.b", "m.py", ((CALL, 1, "m.a", None, "m"), (UNRESOLVED, 2, "x()", "not known"))),
    }
    derived = derive([("m.a", None), ("m.b", None), ("m.b", None)], summaries)
    assert derived.unresolved == [1, 1, 1]
    [site] = derived.sites
    assert (site.operation_count, site.operations) == (3, (0, 1, 2))
