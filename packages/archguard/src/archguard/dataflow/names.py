"""Dotted names: membership of a package, and module expressions with ``*`` and ``**``."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from archguard.source_imports import module_matches


def in_packages(dotted: str, packages: Iterable[str]) -> bool:
    """Whether ``dotted`` is one of ``packages`` or lies inside one (``a.b.c`` is in ``a.b``)."""
    return any(module_matches(dotted, package) for package in packages)


def longest_match(dotted: str, packages: Iterable[str]) -> str | None:
    """The most specific of ``packages`` that contains ``dotted``, or None."""
    matches = [package for package in packages if module_matches(dotted, package)]
    return max(matches, key=len) if matches else None


def expression_matches(module: str, expression: str) -> bool:
    """``*`` matches one name component, ``**`` any number of them (zero included)."""
    return _match(tuple(module.split(".")), _parts(expression))


@lru_cache(maxsize=256)
def _parts(expression: str) -> tuple[str, ...]:
    return tuple(expression.split("."))


def _match(names: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not parts:
        return not names
    head, rest = parts[0], parts[1:]
    if head == "**":
        return any(_match(names[i:], rest) for i in range(len(names) + 1))
    if not names:
        return False
    return (head == "*" or head == names[0]) and _match(names[1:], rest)
