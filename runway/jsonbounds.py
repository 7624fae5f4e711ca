"""Strict, bounded JSON for what callers send (API bodies, webhook deliveries).

``parse_json``: nesting depth capped (checked on the raw bytes before parsing, so a deeply nested body costs
a few linear scans instead of a ``RecursionError``), duplicate keys refused (the standard library keeps the
last one silently), and ``NaN``/``Infinity`` refused (they are not JSON).
"""

from __future__ import annotations

import json
import re
from typing import Any

from domains.core.errors import InvalidInput

MAX_JSON_DEPTH = 32

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def json_depth_exceeds(raw: bytes, max_depth: int) -> bool:
    """True when ``raw`` nests arrays/objects deeper than ``max_depth``. Strings are removed first (their
    brackets do not nest); then each pass removes the innermost pairs, one level per pass, so at most
    ``max_depth + 1`` linear passes run whatever the input."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", raw))
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets = _INNERMOST.sub(b"", brackets)
    return bool(brackets) and _INNERMOST.search(brackets) is not None


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise InvalidInput("body", f"duplicate key {key[:50]!r} in the JSON body")
        obj[key] = value
    return obj


def parse_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of a request body; ``InvalidInput("body")`` when it is not UTF-8 JSON, nests deeper
    than ``max_depth`` or repeats a key within an object."""
    if json_depth_exceeds(raw, max_depth):
        raise InvalidInput("body", f"the JSON body nests deeper than {max_depth} levels")
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=_refuse_duplicates,
                          parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput("body", f"the body is not JSON: {str(exc)[:120]}") from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
