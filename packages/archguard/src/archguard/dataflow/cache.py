"""The checker's persistent cache: summaries reused across runs while nothing they were read from changed.

It lives in ``.archguard_cache/`` in the repository root (beside import-linter's ``.import_linter_cache``;
it ignores itself for git with a ``.gitignore`` of its own), one file per configuration::

    .archguard_cache/dataflow-<key>.bin

``<key>`` hashes the checker's version (the source of its analysis), the Python version, the
configuration, where the packages were found and the configured external classes: change any of them
and the cache starts afresh. The file holds, per module (an *owner*):

- the summaries about it (``archguard.dataflow.summaries``), the declarations of a service module, the
  undeclared ports of a port module, the live or sync code of a domain module;
- what computing them read (its *reads*: every module read while computing something about it,
  modules asked about and not found included, so one that appears later counts as a change; a module
  only asked whether it exists is kept as such, ``?name``: only its coming or going is a change, and
  what it read is no dependency);

the reads of every module read from along the way, whether it has records or not (a graph: a module's
*dependencies* are every module it reaches through it, itself included); and, per module file reached, its
size, modification time and content hash (blake2b) at the time it was written. The graph is kept as it
was read, one entry per module, not as each module's dependencies: where most modules reach most others
(a package whose modules all import the package), those would grow with the square of its size.

A run takes a module's records only if none of its dependencies changed (found by one walk back through
the graph from the modules that changed): a file's content hash is compared (the size and modification
time only save reading a file that did not change; a file modified less than two seconds before the
cache was written is read again whatever its time says). So changing one file re-reads only what
depends on it, and a cached run gives the same report, byte for byte, as a cold one
(``tests/dataflow/test_cache.py``). The delta (below) carries the graph's entries that changed.

A run that changed little (one edited module: its records and those of what depends on it) does not
write the whole file again: it writes ``dataflow-<key>.delta`` beside it, the records added, replaced
and dropped since that file was written (all of them: each delta replaces the previous one), bound to
the file by an identifier the file carries. When the delta holds more than a quarter of the records, or
the base file changed, the whole file is written again and the delta removed. A delta bound to another
file (one written meanwhile by another run) is ignored.

Beside them, ``dataflow-<key>.rendered`` is a copy of the last report written to a file, and
``dataflow-<key>.report`` says how it was rendered, its hash, and the identifiers of the file and delta
it was derived from (``checker.check_or_reuse``).

Each file is written whole, to a temporary file renamed over the old one (``archguard.cachefile``):
runs at the same time each read a complete file and the last to finish wins. A file that cannot be read
(truncated, from another version, altered: it carries a hash of its content) is ignored and rebuilt,
which is logged at debug level (loggers ``archguard.cache`` and ``archguard.dataflow.cache``); an
unusable cache directory only disables the cache.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence, Set
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archguard import cachefile
from archguard.cachefile import DEFAULT_DIRECTORY, RACY_SECONDS
from archguard.dataflow.index import EXISTS, ProjectIndex
from archguard.dataflow.model import Finding, Hop

if TYPE_CHECKING:
    from archguard.dataflow.checker import ModuleDeclarations, _External, _Run
    from archguard.dataflow.config import DataFlowConfig
    from archguard.dataflow.summaries import Key, Summary

LOG = logging.getLogger(__name__)

FORMAT = 7
#: The delta is written instead of the whole file while its records take at most this share of the
#: bytes of all records (above it, the whole file is written again).
DELTA_SHARE = 0.25
KEEP_FILES = 4  # cache files (configurations) kept in the directory, the most recently used
_ABSENT = b""
_PRESENT = b"+"  # the state of ``EXISTS + name`` for a module that exists
_SOURCES = ("analysis.py", "cache.py", "checker.py", "config.py", "index.py", "model.py", "names.py",
            "summaries.py", "types.py")


def checker_version() -> str:
    """The checker's version: a hash of the source of the analysis (any change to it is a new version)."""
    digest = hashlib.blake2b(digest_size=16)
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


class Cache:
    """The cache of one configuration, as read at the start of a run; ``save`` writes it back."""

    def __init__(self, directory: Path, path: Path, index: ProjectIndex) -> None:
        self.directory = directory
        self.path = path
        self.delta_path = path.with_suffix(".delta")
        #: The last rendered report, with the state of the cache it was derived from (see ``checker``).
        self.memo_path = path.with_suffix(".report")
        #: What the cache holds, as written: the file's identifier and the delta's ("" for none). None
        #: when nothing usable is on disk.
        self.identity: str | None = None
        self.index = index
        self.started = time.time()
        self._files: dict[str, tuple[str | None, int, int, bytes]] = {}
        self._written = 0.0
        # Per owner: its records as marshal data in two parts, the rest and the summaries (each read only
        # when used, and written back as it was when it is kept).
        self._owners: dict[str, tuple[bytes, bytes | None]] = {}  # rest, summaries
        #: Per module read from, what computing something about it read (see the module's docstring).
        self._graph: dict[str, tuple[str, ...]] = {}
        self._base_graph: dict[str, tuple[str, ...]] = {}  # the base file's, without its delta
        self._parts: dict[tuple[str, int], dict[str, Any]] = {}
        self._states: dict[str, bytes] = {}
        self._changed: set[str] | None = None
        self._invalid: set[str] | None = None
        self._reaching: set[str] = set()  # the modules whose dependencies changed (owners or not)
        self._stats: dict[str, os.stat_result] = {}
        self.loaded = False
        # The base file's identifier, its owners, and what the delta read with it holds.
        self._base_id: str | None = None
        self._base_owners: frozenset[str] = frozenset()
        self._delta_owners: set[str] = set()
        self._delta_files: set[str] = set()
        self._declarations: dict[str, ModuleDeclarations] = {}

    # Opening and validating ---------------------------------------------------------------------------

    @classmethod
    def open(cls, directory: Path, config: DataFlowConfig, index: ProjectIndex, external: Iterable[_External]
             ) -> Cache:
        key = _key(config, index, external)
        cache = cls(directory, directory / f"dataflow-{key}.bin", index)
        cache._load()
        return cache

    def _load(self) -> None:
        document = cachefile.read(self.path)
        if document is None:
            return
        try:
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise ValueError("another format")
            files, owners, written = document["files"], document["owners"], document["written"]
            graph = document["graph"]
            if not isinstance(files, dict) or not isinstance(owners, dict) or not isinstance(written, float) \
                    or not isinstance(graph, dict):
                raise ValueError("malformed")
        except (ValueError, KeyError) as exc:
            LOG.debug("archguard cache %s is unusable (%s): ignoring it, it will be rebuilt", self.path, exc)
            return
        self._files = files
        self._owners = owners
        self._graph = self._base_graph = graph
        self._written = written
        self.loaded = True
        base_id = document.get("id")
        if not isinstance(base_id, str):
            return
        self._base_id = base_id
        self._base_owners = frozenset(owners)
        self.identity = f"{base_id}:"
        delta = cachefile.read(self.delta_path)
        if delta is None:
            return
        try:
            if not isinstance(delta, dict) or delta.get("format") != FORMAT or delta.get("base") != base_id:
                raise ValueError("written for another cache file")
            delta_files, delta_owners, dropped = delta["files"], delta["owners"], delta["dropped"]
            delta_graph, graph_dropped = delta["graph"], delta["graph_dropped"]
            if not isinstance(delta_files, dict) or not isinstance(delta_owners, dict) \
                    or not isinstance(dropped, tuple) or not isinstance(delta_graph, dict) \
                    or not isinstance(graph_dropped, tuple):
                raise ValueError("malformed")
        except (ValueError, KeyError) as exc:
            LOG.debug("archguard cache delta %s is unusable (%s): ignoring it", self.delta_path, exc)
            return
        for owner in dropped:
            owners.pop(owner, None)
        owners.update(delta_owners)
        files.update(delta_files)
        graph = self._graph = dict(self._base_graph)
        for name in graph_dropped:
            graph.pop(name, None)
        graph.update(delta_graph)
        self._delta_owners = set(delta_owners)
        self._delta_files = set(delta_files)
        self.identity = f"{base_id}:{delta.get('id', '')}"

    def state(self, name: str) -> bytes:
        """The content hash of a module now (``b""`` if there is no such module)."""
        found = self._states.get(name)
        if found is not None:
            return found
        index = self.index
        reading, index.reading = index.reading, set()  # (not a dependency of whatever is being computed)
        try:
            if name.startswith(EXISTS):
                found = _PRESENT if index.has_module(name[len(EXISTS):]) else _ABSENT
            elif not index.has_module(name):
                found = _ABSENT
            else:
                found = index.digests.get(name) or self._stat_digest(name) or b"?"
        finally:
            index.reading = reading
        self._states[name] = found
        return found

    def _stat_digest(self, name: str) -> bytes | None:
        path = self.index.path_of(name)
        known = self._files.get(name)
        if path is not None and known is not None and known[0] == str(path):
            try:
                stat = self._stats[name] = os.stat(path)
            except OSError:
                return None
            _, mtime, size, digest = known
            if stat.st_mtime_ns == mtime and stat.st_size == size and digest \
                    and stat.st_mtime < self._written - RACY_SECONDS:
                self.index.digests[name] = digest
                return digest
        return self.index.content_digest(name)

    @property
    def changed(self) -> set[str]:
        """The modules recorded in the cache that changed since (content, existence or place)."""
        if self._changed is None:
            changed = set()
            for name, (path, _, _, digest) in self._files.items():
                state = self.state(name)
                if state != digest:
                    changed.add(name)
                elif digest and path is not None:  # moved, same content: the paths shown would be wrong
                    now = self.index.path_of(name)
                    if now is None or str(now) != path:
                        changed.add(name)
            self._changed = changed
        return self._changed

    def valid(self, owner: str) -> bool:
        """Whether the records of ``owner`` can be used: none of their dependencies changed."""
        return owner in self._owners and owner not in self.invalid

    @property
    def invalid(self) -> set[str]:
        """The owners some of whose dependencies changed."""
        return self._work_out_invalid()[0]

    def _work_out_invalid(self) -> tuple[set[str], set[str]]:
        """The owners some of whose dependencies changed, and every module whose dependencies changed
        (owners or not)."""
        if self._invalid is None:
            changed = self.changed
            self._reaching = _reaching(self._graph, changed) if changed else set()
            self._invalid = {owner for owner in self._owners if owner in self._reaching}
        return self._invalid, self._reaching

    # Reading records ----------------------------------------------------------------------------------

    def _record(self, owner: str, name: str) -> Any | None:
        """One record of ``owner`` (``summaries``, ``declarations``, ``derived``, a fact), if it holds."""
        if name == "summaries":
            return self._part(owner, "summaries")
        rest = self._part(owner, "rest")
        return None if rest is None else rest.get(name)

    def _part(self, owner: str, part: str) -> dict[str, Any] | None:
        if not self.loaded or not self.valid(owner):
            return None
        position = 1 if part == "summaries" else 0
        found = self._parts.get((owner, position))
        if found is None:
            data = self._owners[owner][position]
            if data is None:
                return None
            found = self._parts[(owner, position)] = marshal.loads(data)
        return found

    def raw(self, owner: str, part: str) -> dict[str, Any] | None:
        """The records of ``owner`` as written (``summaries`` or ``rest``), whether they still hold or not."""
        record = self._owners.get(owner)
        data = None if record is None else record[1 if part == "summaries" else 0]
        return None if data is None else marshal.loads(data)

    def raw_bytes(self, owner: str, part: str) -> bytes | None:
        """The records of ``owner`` as marshal data (``summaries`` or ``rest``), whether they hold or not."""
        record = self._owners.get(owner)
        return None if record is None else record[1 if part == "summaries" else 0]

    def summary(self, owner: str, key: Key) -> Summary | None:
        summaries = self._record(owner, "summaries")
        return None if summaries is None else summaries.get(_key_text(key))

    def declarations(self, module: str) -> ModuleDeclarations | None:
        found = self._declarations.get(module)
        if found is None:
            record = self._record(module, "declarations")
            if record is None:
                return None
            found = self._declarations[module] = _declarations_from(record)
        return found

    def fact(self, owner: str, name: str) -> Any | None:
        """A finding list (``ports``, ``outside``) recorded for ``owner``, or None."""
        record = self._record(owner, name)
        return None if record is None else tuple(_finding_from(f) for f in record)

    def derived(self, module: str) -> tuple | None:
        """What the operations of a service module were found to reach, if that still holds: every module
        of a summary they reach (which it records) is unchanged."""
        record = self._record(module, "derived")
        if record is None or record[0] is None or not self.invalid.isdisjoint(record[0]) \
                or not all(owner in self._owners for owner in record[0]):
            return None
        return record

    # Writing ------------------------------------------------------------------------------------------

    def save(self, run: _Run) -> None:
        """Write what the run used: the records it reused as they were, and what it computed with its
        dependencies."""
        computed = run.computed_owners | set(run.derived)
        if self.loaded and not computed and all(owner in self._owners for owner in run.used_owners()):
            return  # nothing new: the file on disk says it all
        records: dict[str, dict[str, Any]] = {}
        # What a worker marshalled already (``checker._summary_records``, on a cold run only) is written as
        # it is if the run holds no other summary about that owner (none was added since).
        ready = run.summary_bytes if not self.loaded else {}
        counts = dict.fromkeys(ready, 0)
        for owner in run.owners.values():
            if owner in counts:
                counts[owner] += 1
        stale = {owner for owner, count in counts.items() if count != ready[owner][0]}
        if stale:
            ready = {owner: record for owner, record in ready.items() if owner not in stale}
        for owner, summaries in summaries_by_owner(run.owners, run.summaries, computed - ready.keys()).items():
            records[owner] = {"summaries": summaries}
        for module, declarations in run.declarations.items():
            if module in computed:
                records.setdefault(module, {})["declarations"] = _declarations_to(declarations)
        for (owner, name), findings in run.facts.items():
            if owner in computed:
                records.setdefault(owner, {})[name] = tuple(_finding_to(f) for f in findings)
        for module, derived in run.derived.items():
            records.setdefault(module, {})["derived"] = derived
        written: dict[str, tuple[bytes, bytes | None]] = {}
        for owner in computed:
            fields = records.get(owner, {})
            summaries = fields.pop("summaries", None)
            if self.valid(owner):  # partly reused: the graph keeps what the reused part read (``_graph_now``)
                fields = {**(self._part(owner, "rest") or {}), **fields}  # what this run did not use still holds
                summaries = {**(self._part(owner, "summaries") or {}), **(summaries or {})}
            written[owner] = (marshal.dumps(fields),
                              ready[owner][1] if owner in ready else marshal.dumps(summaries) if summaries else None)
        graph = self._graph_now(run.analyzer.reads)
        if self._base_id is not None and self._save_delta(written, graph):
            return
        owners: dict[str, tuple[bytes, bytes | None]] = {}
        # What the run used; a run that reused a report used everything its report was derived from.
        kept = [owner for owner in self._owners if owner not in self.invalid] if run.reusing else run.used_owners()
        for owner in kept:
            owners[owner] = written[owner] if owner in computed else self._owners[owner]  # (as it was)
        owners.update(written)
        names = _reach(graph, owners)
        files = self._file_states(names)
        identifier = os.urandom(12).hex()
        document = {"format": FORMAT, "id": identifier, "written": self.started, "files": files,
                    "graph": {name: graph[name] for name in sorted(names) if name in graph}, "owners": owners}
        self.identity = None
        if cachefile.write(self.path, document):
            self.identity = f"{identifier}:"
            self.delta_path.unlink(missing_ok=True)
            _prune(self.directory, self.path)

    def _graph_now(self, reads: Mapping[str, set[str]]) -> dict[str, tuple[str, ...]]:
        """The graph to write: what the cache held of the modules whose dependencies did not change, and
        what this run read (both, for a module in each: what it did not compute again still holds)."""
        reaching = self._work_out_invalid()[1]
        graph = {name: found for name, found in self._graph.items() if name not in reaching}
        for name, read in reads.items():
            if not read:
                continue
            known = graph.get(name)
            if known is None:
                graph[name] = tuple(sorted(map(sys.intern, read)))
            elif not read.issubset(known):
                graph[name] = tuple(sorted(read.union(known)))
        return graph

    def _save_delta(self, written: dict[str, tuple[bytes, bytes | None]], graph: dict[str, tuple[str, ...]]
                    ) -> bool:
        """Write what changed since the base file as its delta, unless that is too much of the whole
        (False: the whole file is to be written). Records whose dependencies changed and that this run
        did not compute again are dropped: the file states recorded now would make them look current."""
        owners = dict(self._owners)
        for owner in self.invalid:
            if owner not in written:
                owners.pop(owner, None)
        owners.update(written)
        in_delta = [owner for owner in (self._delta_owners | set(written)) if owner in owners]
        delta_bytes = sum(len(owners[o][0]) + len(owners[o][1] or b"") for o in in_delta)
        total_bytes = sum(len(rest) + len(summaries or b"") for rest, summaries in owners.values())
        if delta_bytes > DELTA_SHARE * total_bytes:
            return False
        names = _reach(graph, written) | self.changed
        files = {name: self._files[name] for name in self._delta_files if name in self._files}
        files.update(self._file_states(names))
        kept = _reach(graph, owners)
        base = self._base_graph
        identifier = os.urandom(12).hex()
        document = {"format": FORMAT, "base": self._base_id, "id": identifier, "files": files,
                    "owners": {owner: owners[owner] for owner in in_delta},
                    "dropped": tuple(sorted(owner for owner in self._base_owners if owner not in owners)),
                    "graph": {name: graph[name] for name in sorted(kept)
                              if name in graph and base.get(name) != graph[name]},
                    "graph_dropped": tuple(sorted(name for name in base if name not in kept or name not in graph))}
        self.identity = f"{self._base_id}:{identifier}" if cachefile.write(self.delta_path, document) else None
        return True

    def _file_states(self, names: Iterable[str]) -> dict[str, tuple[str | None, int, int, bytes]]:
        """The state of each module file now, as the cache records it."""
        files: dict[str, tuple[str | None, int, int, bytes]] = {}
        for name in sorted(names):
            state = self.state(name)
            if name.startswith(EXISTS):  # (whether it exists, nothing else)
                files[name] = (None, 0, 0, state)
                continue
            path = self.index.path_of(name)
            if state == _ABSENT or path is None:
                files[name] = (None, 0, 0, _ABSENT)
                continue
            try:
                stat = self._stats.get(name) or os.stat(path)
            except OSError:
                continue  # gone since it was read: no record depending on it will be taken
            files[name] = (str(path), stat.st_mtime_ns, stat.st_size, state)
        return files


def _key(config: DataFlowConfig, index: ProjectIndex, external: Iterable[_External]) -> str:
    digest = hashlib.blake2b(digest_size=12)
    parts = [FORMAT, checker_version(), sys.version, repr(config.with_(jobs=0)), str(index.root),
             sorted((name, str(path)) for name, path in index.package_dirs_found.items()),
             sorted((e.name, e.aliases, sorted(c.value for c in e.categories)) for e in external)]
    digest.update(repr(parts).encode("utf-8"))
    return digest.hexdigest()


def _reach(graph: Mapping[str, Sequence[str]], roots: Iterable[str]) -> set[str]:
    """``roots`` and every module they reach through ``graph``: what the records of ``roots`` depend on."""
    found = set(roots)
    stack = list(found)
    while stack:
        for name in graph.get(stack.pop(), ()):
            if name not in found:
                found.add(name)
                stack.append(name)
    return found


def _reaching(graph: Mapping[str, Sequence[str]], changed: Set[str]) -> set[str]:
    """``changed`` and every module that reaches one of them through ``graph`` (whose dependencies
    changed): one walk back from the modules that changed, whatever the number of modules."""
    readers: dict[str, list[str]] = {}
    for name, read in graph.items():
        for target in read:
            found = readers.get(target)
            if found is None:
                readers[target] = [name]
            else:
                found.append(name)
    return _reach(readers, changed)


def _prune(directory: Path, keep: Path) -> None:
    files = sorted(directory.glob("dataflow-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP_FILES:]:
        if old != keep:
            old.unlink(missing_ok=True)
    for extra in (*directory.glob("dataflow-*.delta"), *directory.glob("dataflow-*.report"),
                  *directory.glob("dataflow-*.rendered")):
        if not extra.with_suffix(".bin").exists():
            extra.unlink(missing_ok=True)


def _key_text(key: Key) -> str:
    return f"{key[0]}|{key[1] or ''}"


def summaries_by_owner(owners: dict[Key, str], summaries: dict[Key, Any], wanted: Set[str]
                       ) -> dict[str, dict[str, Any]]:
    """The summaries about each owner of ``wanted``, as the cache records them (in the run's order)."""
    by_owner: dict[str, dict[str, Any]] = {}
    for key, owner in owners.items():
        if owner in wanted:
            by_owner.setdefault(owner, {})[_key_text(key)] = summaries[key]
    return by_owner


# Plain data for marshal -----------------------------------------------------------------------------


def _hop_to(hop: Hop) -> tuple:
    return (hop.name, hop.path, hop.line)


def _finding_to(finding: Finding) -> tuple:
    return (finding.rule, finding.subject, finding.declared, finding.message, finding.target,
            tuple(_hop_to(h) for h in finding.chain), finding.path, finding.line)


def _finding_from(data: tuple) -> Finding:
    rule, subject, declared, message, target, chain, path, line = data
    return Finding(rule, subject, declared, message, target, tuple(Hop(*h) for h in chain), path, line)


def _declarations_to(declarations: ModuleDeclarations) -> tuple:
    return (tuple(tuple(op) for op in declarations.operations),
            tuple(_finding_to(f) for f in declarations.domain_code))


def _declarations_from(data: tuple) -> ModuleDeclarations:
    from archguard.dataflow.checker import ModuleDeclarations, OperationDeclaration

    operations, domain_code = data
    new = tuple.__new__
    return ModuleDeclarations(tuple(new(OperationDeclaration, op) for op in operations),
                              tuple(_finding_from(f) for f in domain_code))


__all__ = ["DEFAULT_DIRECTORY", "Cache", "checker_version", "summaries_by_owner"]
