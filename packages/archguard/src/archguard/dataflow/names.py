"""Dotted names: membership of a package, and module expressions with ``*`` and ``**``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from archguard.source_imports import module_matches


def in_packages(dotted: str, packages: Iterable[str]) -> bool:
    """Whether ``dotted`` is one of ``packages`` or lies inside one (``a.b.c`` is in ``a.b``)."""
    return any(module_matches(dotted, package) for package in packages)


def longest_match(dotted: str, packages: Iterable[str]) -> str | None:
    """The most specific of ``packages`` that contains ``dotted``, or None."""
    matches = [package for package in packages if module_matches(dotted, package)]
    return max(matches, key=len) if matches else None


@lru_cache(maxsize=64)
def packages_matcher(packages: tuple[str, ...]) -> Callable[[str], bool]:
    """``in_packages`` for many names: one regular expression for all the packages."""
    if not packages:
        return lambda dotted: False
    pattern = re.compile("(?:" + "|".join(re.escape(p) for p in packages) + r")(?:\.|$)")
    match = pattern.match
    return lambda dotted: match(dotted) is not None


@lru_cache(maxsize=64)
def expressions_matcher(expressions: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a module matches any of the expressions: one regular expression for all of them."""
    if not expressions:
        return lambda module: False
    pattern = re.compile("|".join(f"(?:{_compiled(e).pattern})" for e in expressions))
    full = pattern.fullmatch
    return lambda module: full("." + module) is not None


def expression_matches(module: str, expression: str) -> bool:
    """``*`` matches one name component, ``**`` any number of them (zero included)."""
    return _compiled(expression).fullmatch("." + module) is not None


@lru_cache(maxsize=256)
def _compiled(expression: str) -> re.Pattern[str]:
    """The expression as a regular expression over ``"." + module``: each component is ``\\.name``."""
    pieces = [r"(?:\.[^.]+)*" if part == "**" else r"\.[^.]+" if part == "*" else r"\." + re.escape(part)
              for part in _parts(expression)]
    return re.compile("".join(pieces))


@lru_cache(maxsize=256)
def _parts(expression: str) -> tuple[str, ...]:
    return tuple(expression.split("."))
