"""Records as plain tuples, read by name: what the checker makes by the million (types, bindings, hops,
reaches, operation results).

A record class subclasses ``tuple`` (hashing and comparing run at C speed) and declares its fields as
annotations, for mypy; ``@fields(...)`` makes each a property reading its position, as
``property(itemgetter(i))`` (no Python frame per read).

The wheel compiles the analysis modules with mypyc (see the package's README), which cannot compile a
``tuple`` subclass as a native class: ``@mypyc_attr(native_class=False)`` keeps each one a plain
Python class there. ``mypy_extensions`` is needed only at build time; at run time a no-op stands in.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any, TypeVar

_Record = TypeVar("_Record", bound=type)

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # (not installed: nothing reads the attributes at run time)
    def mypyc_attr(*_names: str, **_values: Any) -> Callable[[_Record], _Record]:  # type: ignore[misc]
        return lambda cls: cls


def fields(*names: str, start: int = 0) -> Callable[[_Record], _Record]:
    """Properties for the annotated ``names``, reading positions ``start``, ``start + 1``, ..."""

    def attach(cls: _Record) -> _Record:
        for position, name in enumerate(names, start):
            setattr(cls, name, property(itemgetter(position)))
        return cls

    return attach
