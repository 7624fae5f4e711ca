"""What the data-flow checker reports: findings with their call chains, and the pattern map.

Finding text is stable (tests assert it exactly) and reads::

    <subject> [<declared pattern>] <message>: <hop> -> <hop> -> ... -> <target hop>

where each hop is ``Class.method (path/to/module.py:LINE)``: the function and the line in it where the
next hop is called; the last hop is what was reached (a port method with the line of its definition, or
an ``import httpx`` / ``httpx.get()`` written in the previous hop, which carries that line).

An unresolved call site is one finding, whatever the number of operations reaching it: its subject is
the function holding the call, ``[call]``, and its chain runs from the operation nearest to it to the
call's line::

    <function> [call] makes an unresolved call <call> (<why>), in the reach of <n> operation(s)
    (<the first three by name>[ and <k> more]): <hop> -> ... -> <function hop>

A finding's fingerprint is its rule, subject and reached target (the call's text, for an unresolved
site), hashed: no line numbers, so moving code does not change it (the baseline keys on it).
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from archguard.dataflow.records import fields, mypyc_attr


class Kind(enum.StrEnum):
    VIOLATION = "violation"  # breaks a rule: always fails the check
    UNRESOLVED = "unresolved"  # the checker cannot tell: fails only in strict mode


class Category(enum.StrEnum):
    """What an operation reaches."""

    LOCAL = "local"
    LIVE = "live"
    SYNC = "sync"
    UNDECLARED_PORT = "undeclared port"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    kind: Kind
    description: str


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule("local-reaches-live", "LocalReachesLive", Kind.VIOLATION,
             "A local operation (local_read or local_write) reaches no live port, live class or HTTP/SDK "
             "module, directly or through any chain of calls."),
        Rule("live-reaches-no-live-port", "LiveReachesNoLivePort", Kind.VIOLATION,
             "A live operation reaches at least one live port (otherwise it is mis-declared)."),
        Rule("domain-reaches-sync", "DomainReachesSync", Kind.VIOLATION,
             "No domain operation calls or instantiates a background sync job, or a function of a jobs "
             "package (Pattern 3 runs only from the jobs packages)."),
        Rule("sync-or-live-code-in-domain", "SyncOrLiveCodeInDomain", Kind.VIOLATION,
             "No class or function of the domain packages is itself live or sync code (marked or "
             "configured so): it belongs in the infrastructure, behind a port or in a jobs package. One "
             "finding per class, not one per method."),
        Rule("undeclared-operation", "UndeclaredOperation", Kind.VIOLATION,
             "Every public domain operation (a public method of a service class, or a public function of "
             "a service module) is declared local_read, local_write or live, in the code or in the "
             "configuration."),
        Rule("undeclared-port", "UndeclaredPort", Kind.VIOLATION,
             "Every port (a Protocol in the port modules, or one an operation reaches in infra) is "
             "declared local_port or live_port."),
        Rule("invalid-declaration", "InvalidDeclaration", Kind.VIOLATION,
             "An operation has one pattern, local_read, local_write or live, and the code and the "
             "configuration agree on it."),
        Rule("unknown-expectation", "UnknownExpectation", Kind.VIOLATION,
             "Every operation named in the configured expectations exists; the finding says why a name "
             "matches none."),
        Rule("unresolved-call", "UnresolvedCall", Kind.UNRESOLVED,
             "Every call inside an operation's reach is one the checker can follow: on an object whose "
             "type it can resolve (annotate the parameter or attribute), not through a Callable, a "
             "functools.partial, getattr with a computed name, or a dynamic import."),
    )
}


@mypyc_attr(native_class=False)
@fields("name", "path", "line")
class Hop(tuple):
    """One step of a chain: a function (or what was reached) and where. (A tuple: a report holds
    hundreds of thousands of them.)"""

    __slots__ = ()
    name: str
    path: str | None
    line: int | None

    def __new__(cls, name: str, path: str | None = None, line: int | None = None) -> Hop:
        return tuple.__new__(cls, (name, path, line))

    def __getnewargs__(self) -> tuple[str, str | None, int | None]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"Hop({self[0]!r}, {self[1]!r}, {self[2]!r})"

    def __str__(self) -> str:
        name, path, line = self
        if path is None:
            return name
        return f"{name} ({path}:{line})" if line else f"{name} ({path})"


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    subject: str  # the operation (module.Class.method or module.function), a port class, a domain class
    declared: str  # shown in brackets: local_read, local_write, live, undeclared, port, class, function
    message: str  # "reaches live port QboGateway"
    target: str = ""  # what was reached, qualified (part of the fingerprint)
    chain: tuple[Hop, ...] = ()
    path: str | None = None  # the primary location: the subject's definition (an unresolved call: itself)
    line: int | None = None
    #: An unresolved call site: the operations whose reach holds it (the first ones by name, up to
    #: ``summaries.NAMED_OPERATIONS``) and how many there are.
    operations: tuple[str, ...] = ()
    operation_count: int = 0

    @property
    def kind(self) -> Kind:
        return RULES[self.rule].kind

    @property
    def text(self) -> str:
        head = f"{self.subject} [{self.declared}] {self.message}"
        return f"{head}: {' -> '.join(str(hop) for hop in self.chain)}" if self.chain else head

    @property
    def fingerprint(self) -> str:
        key = f"{self.rule}|{self.subject}|{self.target}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.subject, self.rule, self.target, self.message)

    def __str__(self) -> str:
        return self.text


@mypyc_attr(native_class=False)
@fields("category", "target", "display", "chain")
class Reach(tuple):
    """Something an operation reaches, with the first (shortest) chain that gets there."""

    __slots__ = ()
    category: Category
    target: str  # qualified
    display: str  # "live port QboGateway"
    chain: tuple[Hop, ...]

    def __new__(cls, category: Category, target: str, display: str, chain: tuple[Hop, ...]) -> Reach:
        return tuple.__new__(cls, (category, target, display, chain))

    def __getnewargs__(self) -> tuple[Category, str, str, tuple[Hop, ...]]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"Reach({self[0]!r}, {self[1]!r}, {self[2]!r}, {self[3]!r})"


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """How reports name what an operation reaches (from the configuration: ``local_label`` ...)."""

    local: str = "local"
    live: str = "live"
    sync: str = "sync"

    def name(self, category: Category) -> str:
        return {Category.LOCAL: self.local, Category.LIVE: self.live, Category.SYNC: self.sync}.get(
            category, str(category))

    def observed(self, categories: set[Category] | frozenset[Category], unresolved: bool) -> str:
        """``local``, ``live``, ``sync`` (in these words of the vocabulary, joined with `` + ``), plus
        ``unresolved``, or ``nothing``."""
        return _observed(self, frozenset(categories), unresolved)


@lru_cache(maxsize=256)
def _observed(vocabulary: Vocabulary, categories: frozenset[Category], unresolved: bool) -> str:
    parts = [vocabulary.name(c) for c in Category if c in categories]
    if unresolved:
        parts.append("unresolved")
    return " + ".join(parts) if parts else "nothing"


@mypyc_attr(native_class=False)
@fields("name", "path", "line", "declared", "declared_by", "reaches", "unresolved", "findings", "observed")
class OperationResult(tuple):
    """One operation: what it declares, what it reaches, its findings. (A tuple: a report may hold a
    hundred thousand of them.)"""

    __slots__ = ()
    name: str  # module.Class.method or module.function
    path: str
    line: int
    declared: str | None  # local_read | local_write | live
    declared_by: str | None  # "code" | "config" | None
    reaches: tuple[Reach, ...]
    #: distinct unresolved call sites in its reach (each is one finding of its own)
    unresolved: int
    #: the findings about this operation (not the unresolved sites)
    findings: tuple[Finding, ...]
    #: what it reaches, in the configured vocabulary (``Vocabulary.observed``)
    observed: str

    def __new__(cls, name: str, path: str, line: int, declared: str | None, declared_by: str | None,
                reaches: tuple[Reach, ...], unresolved: int, findings: tuple[Finding, ...] = (),
                observed: str = "nothing") -> OperationResult:
        return tuple.__new__(cls, (name, path, line, declared, declared_by, reaches, unresolved, findings,
                                   observed))

    def __getnewargs__(self) -> tuple:
        return tuple(self)

    def __repr__(self) -> str:
        return f"OperationResult({self[0]!r}, declared={self[3]!r}, observed={self[8]!r})"

    @property
    def categories(self) -> tuple[Category, ...]:
        present = {reach.category for reach in self.reaches}
        return tuple(c for c in Category if c in present)

    @property
    def verdict(self) -> str:
        if any(finding.kind is Kind.VIOLATION for finding in self.findings):
            return "violation"
        if self.unresolved:
            return "unresolved"
        if self.declared is None:
            return "not declared"
        return "ok"


@dataclass(frozen=True)
class Report:
    operations: tuple[OperationResult, ...]
    findings: tuple[Finding, ...]
    strict: bool = False
    modules_read: int = field(default=0, compare=False)  # a statistic, as statistics below
    notes: tuple[str, ...] = field(default=())
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    #: The directory report paths are relative to (the repository root), absolute.
    root: str = ""
    #: How the run went (modules parsed, summaries computed or taken from the cache, ...): not part of
    #: any rendering, so a cached run renders exactly as a cold one.
    statistics: dict[str, int] = field(default_factory=dict, compare=False)
    #: Where the run's cache keeps its last rendered report, and what it needs to reuse it (see
    #: ``checker.reused_output``): not part of any rendering.
    memo: tuple[str, str, str] | None = field(default=None, compare=False)

    def failing(self) -> tuple[Finding, ...]:
        """The findings that fail the check: every violation, and unresolved calls in strict mode."""
        return tuple(f for f in self.findings if f.kind is Kind.VIOLATION or self.strict)

    @property
    def ok(self) -> bool:
        return not self.failing()

    def operation(self, name: str) -> OperationResult:
        for op in self.operations:
            if op.name == name:
                return op
        raise KeyError(name)

    def texts(self) -> list[str]:
        return [f.text for f in self.findings]
