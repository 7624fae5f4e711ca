"""The static types the checker infers for expressions.

A value is described by a tuple of these (a union). The inference is deliberately small: enough to
follow what a service does with its injected collaborators, and to say so honestly (``Unknown``, with
a reason) when it cannot.
"""

from __future__ import annotations

from itertools import chain

from archguard.dataflow.records import fields, mypyc_attr

Types = tuple["T", ...]

# Each type is a tuple tagged by its kind (the first item), so that hashing and comparing the many type
# tuples a large codebase makes run at C speed (a union of types is a dict of them).


@mypyc_attr(native_class=False)
@fields("cls", "args", start=1)
class Instance(tuple):
    """An instance of a project class; ``args`` are the types its type parameters are bound to, in
    the order of the class's ``Generic[...]`` (or ``Protocol[...]``) base (``Answer[Cash]``), if known."""

    __slots__ = ()
    cls: str
    args: tuple[Types, ...]

    def __new__(cls, qualname: str, args: tuple[Types, ...] = ()) -> Instance:
        return tuple.__new__(cls, (0, qualname, args))

    def __getnewargs__(self) -> tuple[str, tuple[Types, ...]]:
        return (self[1], self[2])

    def __repr__(self) -> str:
        return f"Instance({self[1]!r}, {self[2]!r})" if self[2] else f"Instance({self[1]!r})"


@mypyc_attr(native_class=False)
@fields("cls", start=1)
class ClassRef(tuple):
    """A project class itself (calling it constructs an ``Instance``)."""

    __slots__ = ()
    cls: str

    def __new__(cls, qualname: str) -> ClassRef:
        return tuple.__new__(cls, (1, qualname))

    def __getnewargs__(self) -> tuple[str]:
        return (self[1],)

    def __repr__(self) -> str:
        return f"ClassRef({self[1]!r})"


@mypyc_attr(native_class=False)
@fields("func", "bound", start=1)
class FuncRef(tuple):
    """A project function or method; ``bound`` is the class ``self`` is an instance of (None for a
    module-level function or a staticmethod)."""

    __slots__ = ()
    func: str
    bound: str | None

    def __new__(cls, func: str, bound: str | None) -> FuncRef:
        return tuple.__new__(cls, (2, func, bound))

    def __getnewargs__(self) -> tuple[str, str | None]:
        return (self[1], self[2])

    def __repr__(self) -> str:
        return f"FuncRef({self[1]!r}, {self[2]!r})"


@mypyc_attr(native_class=False)
@fields("module", start=1)
class ModuleRef(tuple):
    """A project module."""

    __slots__ = ()
    module: str

    def __new__(cls, module: str) -> ModuleRef:
        return tuple.__new__(cls, (3, module))

    def __getnewargs__(self) -> tuple[str]:
        return (self[1],)

    def __repr__(self) -> str:
        return f"ModuleRef({self[1]!r})"


@mypyc_attr(native_class=False)
@fields("origin", "args", "instance", start=1)
class Ext(tuple):
    """Anything from outside the project: ``origin`` is the dotted name it came from (``httpx.Client``,
    ``builtins.list``), kept through attribute access and calls so an HTTP client is recognised however
    it is reached. ``args`` holds generic arguments (each a union) of containers; ``instance`` says the
    value is an instance rather than the module/class/function named by ``origin``."""

    __slots__ = ()
    origin: str
    args: tuple[Types, ...]
    instance: bool

    def __new__(cls, origin: str, args: tuple[Types, ...] = (), instance: bool = False) -> Ext:
        return tuple.__new__(cls, (4, origin, args, instance))

    def __getnewargs__(self) -> tuple[str, tuple[Types, ...], bool]:
        return (self[1], self[2], self[3])

    def __repr__(self) -> str:
        return f"Ext({self[1]!r}, {self[2]!r}, instance={self[3]!r})"


@mypyc_attr(native_class=False)
@fields("defining", "bound", start=1)
class SuperRef(tuple):
    """``super()`` inside a method of ``defining`` called on an instance of ``bound``."""

    __slots__ = ()
    defining: str
    bound: str

    def __new__(cls, defining: str, bound: str) -> SuperRef:
        return tuple.__new__(cls, (5, defining, bound))

    def __getnewargs__(self) -> tuple[str, str]:
        return (self[1], self[2])


@mypyc_attr(native_class=False)
@fields("result", start=1)
class CallableT(tuple):
    """A value annotated ``Callable[..., R]``: what calling it runs is unknown; it returns ``result``."""

    __slots__ = ()
    result: Types

    def __new__(cls, result: Types) -> CallableT:
        return tuple.__new__(cls, (6, result))

    def __getnewargs__(self) -> tuple[Types]:
        return (self[1],)


@mypyc_attr(native_class=False)
class Neutral(tuple):
    """A value with nothing to follow (a class defined inside a function, read only as a value)."""

    __slots__ = ()

    def __new__(cls) -> Neutral:
        return tuple.__new__(cls, (7,))

    def __getnewargs__(self) -> tuple[()]:
        return ()


@mypyc_attr(native_class=False)
@fields("owner", "bound", "key", start=1)
class LocalFunc(tuple):
    """A function or lambda defined inside another function (``owner``, read with ``self`` an instance
    of ``bound``) or at module level (``owner`` is then the module). ``key`` says where it is written
    (``line:column``; see ``Analyzer.local_function``): calling it runs its body, read in the scope it
    was defined in."""

    __slots__ = ()
    owner: str
    bound: str | None
    key: str

    def __new__(cls, owner: str, bound: str | None, key: str) -> LocalFunc:
        return tuple.__new__(cls, (8, owner, bound, key))

    def __getnewargs__(self) -> tuple[str, str | None, str]:
        return (self[1], self[2], self[3])


def type_variable_reason(name: str) -> str:
    """The reason an unbound type variable gives; binding the variable replaces exactly this."""
    return f"{name} is a type variable"


@mypyc_attr(native_class=False)
@fields("reason", start=1)
class Unknown(tuple):
    """A value whose type cannot be resolved, and why."""

    __slots__ = ()
    reason: str

    def __new__(cls, reason: str) -> Unknown:
        return tuple.__new__(cls, (9, reason))

    def __getnewargs__(self) -> tuple[str]:
        return (self[1],)

    def __repr__(self) -> str:
        return f"Unknown({self[1]!r})"


@mypyc_attr(native_class=False)
@fields("result", start=1)
class ContainerMethod(tuple):
    """A method of a builtin container whose result type is known (``dict.get`` -> the value type)."""

    __slots__ = ()
    result: Types

    def __new__(cls, result: Types) -> ContainerMethod:
        return tuple.__new__(cls, (10, result))


T = (Instance | ClassRef | FuncRef | ModuleRef | Ext | SuperRef | CallableT | Neutral | LocalFunc | Unknown
     | ContainerMethod)

NONE = Ext("builtins.NoneType", instance=True)


def builtin(name: str, *args: Types) -> Ext:
    return Ext(f"builtins.{name}", tuple(args), instance=True)


def union(*groups: Types) -> Types:
    """The union of several type tuples, without duplicates, in first-seen order."""
    if len(groups) == 1:
        group = groups[0]
        return group if len(group) < 2 else tuple(dict.fromkeys(group))
    return tuple(dict.fromkeys(chain.from_iterable(groups)))


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
