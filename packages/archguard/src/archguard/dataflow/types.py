"""The static types the checker infers for expressions.

A value is described by a tuple of these (a union). The inference is deliberately small: enough to
follow what a service does with its injected collaborators, and to say so honestly (``Unknown``, with
a reason) when it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

Types = tuple["T", ...]


@dataclass(frozen=True, slots=True)
class Instance:
    """An instance of a project class."""

    cls: str


@dataclass(frozen=True, slots=True)
class ClassRef:
    """A project class itself (calling it constructs an ``Instance``)."""

    cls: str


@dataclass(frozen=True, slots=True)
class FuncRef:
    """A project function or method; ``bound`` is the class ``self`` is an instance of (None for a
    module-level function or a staticmethod)."""

    func: str
    bound: str | None


@dataclass(frozen=True, slots=True)
class ModuleRef:
    """A project module."""

    module: str


@dataclass(frozen=True, slots=True)
class Ext:
    """Anything from outside the project: ``origin`` is the dotted name it came from (``httpx.Client``,
    ``builtins.list``), kept through attribute access and calls so an HTTP client is recognised however
    it is reached. ``args`` holds generic arguments (each a union) of containers; ``instance`` says the
    value is an instance rather than the module/class/function named by ``origin``."""

    origin: str
    args: tuple[Types, ...] = ()
    instance: bool = False


@dataclass(frozen=True, slots=True)
class SuperRef:
    """``super()`` inside a method of ``defining`` called on an instance of ``bound``."""

    defining: str
    bound: str


@dataclass(frozen=True, slots=True)
class CallableT:
    """A value annotated ``Callable[..., R]``: what calling it runs is unknown; it returns ``result``."""

    result: Types


@dataclass(frozen=True, slots=True)
class Neutral:
    """A value with nothing to follow (a class defined inside a function, read only as a value)."""


@dataclass(frozen=True, slots=True)
class LocalFunc:
    """A function or lambda defined inside another function (``owner``, read with ``self`` an instance
    of ``bound``) or at module level (``owner`` is then the module). ``key`` identifies its node (see
    ``Analyzer.local_function``): calling it runs its body, read in the scope it was defined in."""

    owner: str
    bound: str | None
    key: int


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value whose type cannot be resolved, and why."""

    reason: str


T = Instance | ClassRef | FuncRef | ModuleRef | Ext | SuperRef | CallableT | Neutral | LocalFunc | Unknown

NONE = Ext("builtins.NoneType", instance=True)


def builtin(name: str, *args: Types) -> Ext:
    return Ext(f"builtins.{name}", tuple(args), instance=True)


def union(*groups: Types) -> Types:
    """The union of several type tuples, without duplicates, in first-seen order."""
    if len(groups) == 1:
        group = groups[0]
        return group if len(group) < 2 else tuple(dict.fromkeys(group))
    seen: dict[T, None] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item, None)
    return tuple(seen)


SEQUENCE_NAMES = frozenset({
    "list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator", "Collection", "set", "Set",
    "frozenset", "FrozenSet", "AbstractSet", "MutableSet", "deque", "Deque", "Generator", "AsyncIterator",
    "AsyncIterable", "AsyncGenerator", "KeysView", "ValuesView", "Reversible", "generator", "reversed",
})
MAPPING_NAMES = frozenset({
    "dict", "Dict", "Mapping", "MutableMapping", "defaultdict", "DefaultDict", "OrderedDict", "Counter",
    "ChainMap",
})
TUPLE_NAMES = frozenset({"tuple", "Tuple"})
CONTAINER_NAMES = SEQUENCE_NAMES | MAPPING_NAMES | TUPLE_NAMES | {"str", "bytes"}


def short_origin(origin: str) -> str:
    return origin.rsplit(".", 1)[-1]
