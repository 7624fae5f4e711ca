"""Checks that a class implements a ``typing.Protocol`` method by method, signatures included."""

from __future__ import annotations

import inspect


def protocol_methods(protocol: type) -> list[str]:
    return sorted(name for name, value in vars(protocol).items()
                  if callable(value) and not name.startswith("_"))


def assert_implements(cls: type, protocol: type) -> None:
    """Every public method of ``protocol`` exists on ``cls`` with the same parameters (names, kinds,
    defaults), so callers using keywords work too."""
    for name in protocol_methods(protocol):
        assert hasattr(cls, name), f"{cls.__name__} lacks {protocol.__name__}.{name}"
        wanted = inspect.signature(getattr(protocol, name))
        got = inspect.signature(getattr(cls, name))
        shape = [(p.name, p.kind, p.default) for p in wanted.parameters.values()]
        actual = [(p.name, p.kind, p.default) for p in got.parameters.values()]
        assert actual == shape, f"{cls.__name__}.{name}{got} does not match {protocol.__name__}.{name}{wanted}"
