"""Function summaries, and what every operation reaches, derived from them.

A *summary* is what one function does, read once with ``self`` an instance of a given class (its
*key*: ``(qualname, bound)``)::

    (display, path, edges)

where ``edges`` lists, in source order, every

- ``(CALL, line, callee_qualname, bound, callee_module)``: a call into project code, which is followed;
- ``(REACH, line, category, target, display, final_hop, module_import, port_hop)``: a reach of a local,
  live or sync port, class, function or module (``final_hop`` is what was reached, ``port_hop`` the
  class of an undeclared port);
- ``(UNRESOLVED, line, text, reason)``: a call the checker cannot follow.

(hops are ``(name, path, line)`` tuples). Summaries are plain data: they outlive the syntax trees they
were read from, every operation reaching a function shares its one summary, and the cache stores them.

``derive`` turns the summaries of everything the operations reach into what the report needs, walking
the call graph a bounded number of times whatever the number of operations:

- an operation's reaches, each with the chain a breadth-first walk from the operation would find (the
  shortest chain of calls, the earliest call in source order at each step): one backward walk per
  reached target, from the functions that reach it;
- every unresolved call site once, with how many operations reach it, the first of them by name, and
  the chain from the operation nearest to it: bit sets over the strongly connected components of the
  call graph (so recursion costs one pass), and one breadth-first walk from all operations at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from archguard.dataflow.model import Category, Hop, Reach

CALL, REACH, UNRESOLVED = 0, 1, 2

Key = tuple[str, "str | None"]
HopTuple = tuple[str, "str | None", "int | None"]
Edge = tuple
Summary = tuple[str, "str | None", tuple[Edge, ...]]

#: How many of the operations reaching an unresolved call site are named with it (all are counted).
NAMED_OPERATIONS = 20

_CATEGORIES = {category.value: category for category in Category}


def hop_tuple(hop: Hop) -> HopTuple:
    return (hop.name, hop.path, hop.line)


def as_hop(hop: HopTuple) -> Hop:
    return Hop(hop[0], hop[1], hop[2])


@dataclass(frozen=True, slots=True)
class UnresolvedSite:
    """One call the checker cannot follow, once, with the operations whose reach holds it."""

    function: str  # qualname of the function holding the call
    text: str
    reason: str
    path: str | None
    line: int
    chain: tuple[Hop, ...]  # from the operation nearest to it (the first of them, by name, among equals)
    operation_count: int
    operations: tuple[int, ...]  # the first NAMED_OPERATIONS of them, as indexes into the operation list


@dataclass
class Derived:
    reaches: list[tuple[Reach, ...]]  # per operation, in the order a breadth-first walk finds them
    unresolved: list[int]  # per operation: how many distinct unresolved call sites it reaches
    sites: list[UnresolvedSite]
    ports: dict[str, Hop]  # undeclared ports reached, and where each is defined
    #: Per operation (when asked for): the modules of every summary it reaches, or None when there are
    #: more than OWNERS_KEPT (what the cache keeps to know when an operation's results still hold).
    owners: list[frozenset[str] | None] | None = None
    #: Per operation (with ``owners``): its reaches as plain data, as the cache keeps them
    #: (``(category value, target, display, ((name, path, line), ...))``), made with the reaches.
    plain: list[tuple[tuple, ...]] | None = None


#: How many modules an operation's reach may span for its results to be kept in the cache.
OWNERS_KEPT = 64


def reachable(roots: Iterable[Key], summaries: Mapping[Key, Summary]) -> list[Key]:
    """Every key reachable from ``roots`` through call edges (each must have a summary)."""
    seen: dict[Key, None] = {}
    stack = [root for root in roots]
    while stack:
        key = stack.pop()
        if key in seen:
            continue
        seen[key] = None
        for edge in summaries[key][2]:
            if edge[0] == CALL:
                callee = (edge[2], edge[3])
                if callee not in seen:
                    stack.append(callee)
    return list(seen)


def derive(operations: Sequence[Key], summaries: Mapping[Key, Summary], owners: Mapping[Key, str] | None = None
           ) -> Derived:
    """What each of ``operations`` (keys, in the order of the report: sorted by name) reaches, and every
    unresolved call site in their reach; ``summaries`` holds every key reachable from them. With
    ``owners`` (the module each summary is about), also the modules each operation's reach spans."""
    graph = _Graph(operations, summaries)
    reaches, plain = graph.reaches(plain=owners is not None)
    unresolved, sites = graph.unresolved()
    spans = graph.owner_sets([owners[key] for key in graph.keys]) if owners is not None else None
    return Derived(reaches, unresolved, sites, graph.ports, spans, plain)


class _Graph:
    def __init__(self, operations: Sequence[Key], summaries: Mapping[Key, Summary]) -> None:
        keys = reachable(dict.fromkeys(operations), summaries)
        ids = {key: i for i, key in enumerate(keys)}
        self.keys = keys
        self.summaries = [summaries[key] for key in keys]
        self.op_nodes = [ids[key] for key in operations]
        n = len(keys)
        calls: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # (edge index, callee), in order
        preds: list[list[int]] = [[] for _ in range(n)]
        #: Per target reached, (category, target): the functions reaching it themselves, each with the
        #: index of its first edge that does.
        holders: dict[tuple[str, str], dict[int, int]] = {}
        ports: dict[str, Hop] = {}
        unresolved: list[tuple[int, int]] = []  # (function, edge index) of every unresolved call, in order
        for i, (_, _, edges) in enumerate(self.summaries):
            seen: set[int] = set()
            out = calls[i]
            for position, edge in enumerate(edges):
                kind = edge[0]
                if kind == CALL:
                    callee = ids[(edge[2], edge[3])]
                    out.append((position, callee))
                    if callee not in seen:
                        seen.add(callee)
                        preds[callee].append(i)
                elif kind == REACH:
                    found = holders.get((edge[2], edge[3]))
                    if found is None:
                        holders[(edge[2], edge[3])] = {i: position}
                    elif i not in found:
                        found[i] = position
                    if edge[7] is not None and edge[3] not in ports:
                        ports[edge[3]] = as_hop(edge[7])
                elif kind == UNRESOLVED:
                    unresolved.append((i, position))
        self.calls = calls
        self.unresolved_edges = unresolved
        self.preds = preds
        self.holders = holders
        self.ports = ports
        self._components: tuple[list[int], list[list[int]]] | None = None
        self._successors: list[list[int]] | None = None

    # Reaches ------------------------------------------------------------------------------------------

    def reaches(self, *, plain: bool = False) -> tuple[list[tuple[Reach, ...]], list[tuple[tuple, ...]] | None]:
        """Per operation, its reaches; and, with ``plain``, the same as plain data (``Derived.plain``)."""
        holders = self.holders
        ops_at: dict[int, list[int]] = {}
        for op, node in enumerate(self.op_nodes):
            ops_at.setdefault(node, []).append(op)
        found_per_op: list[list[tuple[tuple[int, tuple[int, ...]], Reach, bool, tuple]]] = [
            [] for _ in self.op_nodes]
        for target, holding in holders.items():
            distance = self._distances(holding)
            for node in distance.keys() & ops_at.keys():
                found = self._reach_from(node, target, holding, distance)
                for op in ops_at[node]:
                    found_per_op[op].append(found)
        result: list[tuple[Reach, ...]] = []
        plains: list[tuple[tuple, ...]] | None = [] if plain else None
        for found_list in found_per_op:
            found_list.sort(key=lambda item: item[0])
            reaches = [item[1] for item in found_list]
            kept = found_list
            # One root cause, one reach: importing a live module and calling into it is the call.
            imported = [reach for _, reach, module, _ in found_list if module]
            for reach in imported:
                prefix = reach.target + "."
                if any(r.category is reach.category and r.target.startswith(prefix) for r in reaches):
                    position = reaches.index(reach)
                    del reaches[position]
                    if kept is found_list:
                        kept = list(found_list)
                    del kept[position]
            result.append(tuple(reaches))
            if plains is not None:
                plains.append(tuple([item[3] for item in kept]))
        return result, plains

    def _distances(self, holding: dict[int, int]) -> dict[int, int]:
        """How many steps each function is from reaching the target (1: it reaches it itself)."""
        distance = dict.fromkeys(holding, 1)
        queue = deque(holding)
        preds = self.preds
        while queue:
            node = queue.popleft()
            step = distance[node] + 1
            for caller in preds[node]:
                if caller not in distance:
                    distance[caller] = step
                    queue.append(caller)
        return distance

    def _reach_from(self, node: int, target: tuple[str, str], holding: dict[int, int], distance: dict[int, int]
                    ) -> tuple[tuple[int, tuple[int, ...]], Reach, bool, tuple]:
        """The chain a breadth-first walk from ``node`` finds to ``target``: the shortest, taking at each
        step the earliest edge (in source order) that stays on a shortest chain. Returns its order, the
        reach, whether it is a module's import, and the reach as plain data (``Derived.plain``: the hops
        are made from plain tuples anyway)."""
        hops: list[tuple] = []
        positions: list[int] = []
        summaries, calls, new = self.summaries, self.calls, tuple.__new__  # (Hop and Reach are tuples)
        while True:
            display, path, edges = summaries[node]
            remaining = distance[node]
            if remaining == 1:
                position = holding[node]
                edge = edges[position]
                hops.append((display, path, edge[1]))
                hops.append(edge[5])
                positions.append(position)
                plain = tuple(hops)
                reach = new(Reach, (_CATEGORIES[edge[2]], edge[3], edge[4], tuple([new(Hop, hop) for hop in plain])))
                return (len(positions), tuple(positions)), reach, edge[6], (edge[2], edge[3], edge[4], plain)
            for position, callee in calls[node]:
                if distance.get(callee) == remaining - 1:
                    hops.append((display, path, edges[position][1]))
                    positions.append(position)
                    node = callee
                    break
            else:  # pragma: no cover - a distance always has a next step
                raise AssertionError("broken distance table")

    # Unresolved call sites ----------------------------------------------------------------------------

    def unresolved(self) -> tuple[list[int], list[UnresolvedSite]]:
        site_ids: dict[tuple[str, str], int] = {}
        holders: list[list[tuple[int, int]]] = []  # per site: (node, edge index), first per node
        own: dict[int, int] = {}  # node -> bit set of the sites it holds
        keys, summaries = self.keys, self.summaries
        for i, position in self.unresolved_edges:  # (the functions in order, each's edges in order)
            text = summaries[i][2][position][2]
            site = site_ids.get((keys[i][0], text))
            if site is None:
                site = site_ids[(keys[i][0], text)] = len(holders)
                holders.append([])
            bits = own.get(i, 0)
            if not bits >> site & 1:
                holders[site].append((i, position))
                own[i] = bits | 1 << site
        op_count = len(self.op_nodes)
        if not holders:
            return [0] * op_count, []
        if self._components is None:
            self._components = _strongly_connected(len(self.keys), self.calls)
        components, members = self._components
        counts, totals, reaching = self._site_counts(components, members, own, len(holders))
        named = self._named_operations(components, members, holders, reaching)
        chains = self._nearest_chains(holders)
        sites = []
        for site, (qualname, text) in enumerate(site_ids):
            node, position, chain = chains[site]
            edge = self.summaries[node][2][position]
            sites.append(UnresolvedSite(qualname, text, edge[3], self.summaries[node][1], edge[1], chain,
                                        totals[site], named[site]))
        return counts, sites

    def _component_edges(self, components: list[int], members: list[list[int]]) -> list[list[int]]:
        """``_component_edges`` of this graph's components (worked out once: read, never changed)."""
        if self._successors is None:
            self._successors = _component_edges(components, members, self.calls)
        return self._successors

    def owner_sets(self, owner_of: list[str]) -> list[frozenset[str] | None]:
        """Per operation: the modules of everything it reaches (None past OWNERS_KEPT), by components."""
        if self._components is None:
            self._components = _strongly_connected(len(self.keys), self.calls)
        components, members = self._components
        successors = self._component_edges(components, members)
        sets: list[frozenset[str] | None] = []
        alone: dict[str, frozenset[str]] = {}  # {owner}, made once per owner
        for c, nodes in enumerate(members):  # reverse topological order: every successor is done
            if len(nodes) == 1:  # (most functions: no recursion, and they call one function or none)
                owner = owner_of[nodes[0]]
                outs = successors[c]
                if not outs:
                    single = alone.get(owner)
                    if single is None:
                        single = alone[owner] = frozenset((owner,))
                    sets.append(single)
                    continue
                if len(outs) == 1:
                    other = sets[outs[0]]
                    if other is None or owner in other:  # (the same set, shared)
                        sets.append(other)
                        continue
            found: set[str] | None = {owner_of[node] for node in nodes}
            for s in successors[c]:
                other = sets[s]
                if other is None or found is None:
                    found = None
                    break
                found |= other
                if len(found) > OWNERS_KEPT:
                    found = None
                    break
            sets.append(None if found is None else frozenset(found))
        return [sets[components[node]] for node in self.op_nodes]

    def _site_counts(self, components: list[int], members: list[list[int]], own: dict[int, int], sites: int
                     ) -> tuple[list[int], list[int], list[bool]]:
        """Per operation, how many distinct sites its reach holds; per site, how many operations reach
        it; per component, whether its reach holds any. Bit sets of sites, sinks first.

        The operations per site are the sum, over the operations, of the bit set each one reaches: a sum
        kept bit-sliced (``planes[j]`` holds bit ``j`` of every site's count), so adding an operation costs
        a couple of operations on a set of sites, where a set of operations per component would be unions
        of sets as wide as the operation list, for every call between components."""
        successors = self._component_edges(components, members)
        waiting = [0] * len(members)  # how many components still need this one's bits
        for outs in successors:
            for c in outs:
                waiting[c] += 1
        wanted: dict[int, int] = {}  # component -> how many operations it holds
        for node in self.op_nodes:
            wanted[components[node]] = wanted.get(components[node], 0) + 1
        bits: list[int | None] = [None] * len(members)
        per_component: dict[int, int] = {}
        reaching = [False] * len(members)
        planes: list[int] = []
        for c, nodes in enumerate(members):  # reverse topological order: every successor is done
            value = 0
            for node in nodes:
                value |= own.get(node, 0)
            for s in successors[c]:
                value |= bits[s]  # type: ignore[operator]
                waiting[s] -= 1
                if waiting[s] == 0:
                    bits[s] = None
            if value:
                reaching[c] = True
                held = wanted.get(c)
                if held is not None:
                    per_component[c] = value.bit_count()
                    for _ in range(held):  # add value to the counts (a ripple carry, plane by plane)
                        carry, j = value, 0
                        while carry:
                            if j == len(planes):
                                planes.append(carry)
                                break
                            plane = planes[j]
                            planes[j] = plane ^ carry
                            carry &= plane
                            j += 1
            elif c in wanted:
                per_component[c] = 0
            if waiting[c]:
                bits[c] = value
        totals = [0] * sites
        for j, plane in enumerate(planes):
            digits, weight = format(plane, "b")[::-1], 1 << j  # (digit s: the bit of site s)
            site = digits.find("1")
            while site != -1:
                totals[site] += weight
                site = digits.find("1", site + 1)
        return [per_component[components[node]] for node in self.op_nodes], totals, reaching

    def _named_operations(self, components: list[int], members: list[list[int]],
                          holders: list[list[tuple[int, int]]], reaching: list[bool]) -> list[tuple[int, ...]]:
        """Per site: the first NAMED_OPERATIONS of the operations reaching it (sources first). Each
        component keeps the first NAMED_OPERATIONS operations reaching it, which are among its own and
        the first of each caller's; a component adding nothing to its one caller's shares them. Only
        the components whose reach holds a site (``reaching``) are worked out: nothing else leads to one."""
        successors = self._component_edges(components, members)
        predecessors: list[list[int]] = [[] for _ in members]
        waiting = [0] * len(members)  # successors that still need this one's operations
        for c, outs in enumerate(successors):
            if reaching[c]:
                for s in outs:
                    if reaching[s]:
                        predecessors[s].append(c)
                        waiting[c] += 1
        own_ops: dict[int, list[int]] = {}
        for op, node in enumerate(self.op_nodes):  # (in order: each list is sorted)
            own_ops.setdefault(components[node], []).append(op)
        sites_at: dict[int, list[int]] = {}
        for site, held in enumerate(holders):
            for c in {components[node] for node, _ in held}:
                sites_at.setdefault(c, []).append(site)
        limit = NAMED_OPERATIONS
        found: list[list[int]] = [[] for _ in holders]
        firsts: list[tuple[int, ...] | None] = [None] * len(members)
        for c in range(len(members) - 1, -1, -1):  # topological order: every predecessor is done
            if not reaching[c]:
                continue
            ins = predecessors[c]
            mine = own_ops.get(c)
            if mine is None and len(ins) == 1:
                value = firsts[ins[0]]
            else:
                merged = set(mine) if mine is not None else set()
                for p in ins:
                    merged.update(firsts[p])  # type: ignore[arg-type]
                value = tuple(sorted(merged)[:limit])
            for p in ins:
                waiting[p] -= 1
                if waiting[p] == 0:
                    firsts[p] = None
            for site in sites_at.get(c, ()):
                found[site].extend(value)  # type: ignore[arg-type]
            if waiting[c]:
                firsts[c] = value
        return [tuple(sorted(set(ops))[:limit]) for ops in found]

    def _nearest_chains(self, holders: list[list[tuple[int, int]]]) -> list[tuple[int, int, tuple[Hop, ...]]]:
        """Per site: the holding function and edge a breadth-first walk from every operation at once (in
        report order) meets first, and the chain from the operation it came from."""
        n = len(self.keys)
        order = [-1] * n
        parent = [-1] * n
        parent_edge = [-1] * n
        queue: deque[int] = deque()
        counter = 0
        for node in self.op_nodes:
            if order[node] == -1:
                order[node] = counter
                counter += 1
                queue.append(node)
        calls = self.calls
        while queue:
            node = queue.popleft()
            for position, callee in calls[node]:
                if order[callee] == -1:
                    order[callee] = counter
                    counter += 1
                    parent[callee] = node
                    parent_edge[callee] = position
                    queue.append(callee)
        result = []
        summaries = self.summaries
        for held in holders:
            node, position = min(held, key=lambda item: (order[item[0]], item[1]))
            display, path, edges = summaries[node]
            hops = [Hop(display, path, edges[position][1])]
            current = node
            while parent[current] != -1:
                step = parent_edge[current]
                current = parent[current]
                display, path, edges = summaries[current]
                hops.append(Hop(display, path, edges[step][1]))
            result.append((node, position, tuple(reversed(hops))))
        return result


def _strongly_connected(n: int, calls: list[list[tuple[int, int]]]) -> tuple[list[int], list[list[int]]]:
    """Tarjan's algorithm, without recursion: each node's component, and the components' members in
    reverse topological order (a component comes after every component it calls into)."""
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    component = [-1] * n
    members: list[list[int]] = []
    stack: list[int] = []
    counter = 0
    for root in range(n):
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, 0)]
        while work:
            node, i = work[-1]
            outs = calls[node]
            if i < len(outs):
                work[-1] = (node, i + 1)
                callee = outs[i][1]
                if index[callee] == -1:
                    index[callee] = low[callee] = counter
                    counter += 1
                    stack.append(callee)
                    on_stack[callee] = True
                    work.append((callee, 0))
                elif on_stack[callee] and index[callee] < low[node]:
                    low[node] = index[callee]
                continue
            work.pop()
            if work:
                caller = work[-1][0]
                if low[node] < low[caller]:
                    low[caller] = low[node]
            if low[node] == index[node]:
                c = len(members)
                group = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    component[member] = c
                    group.append(member)
                    if member == node:
                        break
                members.append(group)
    return component, members


def _component_edges(components: list[int], members: list[list[int]], calls: list[list[tuple[int, int]]]
                     ) -> list[list[int]]:
    """The distinct components each component calls into (itself excluded)."""
    result = []
    for c, nodes in enumerate(members):
        outs: dict[int, None] = {}
        for node in nodes:
            for _, callee in calls[node]:
                other = components[callee]
                if other != c:
                    outs[other] = None
        result.append(list(outs))
    return result
