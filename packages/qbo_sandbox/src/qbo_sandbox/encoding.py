"""JSON in and out of the sandbox, with money kept as ``Decimal``.

Contract:
- Inside the store every money value is a ``Decimal`` quantized to cents; any other ``Decimal`` (e.g. an
  exchange rate) keeps the precision it was given.
- ``dumps`` writes each ``Decimal`` as a JSON *number* with exactly its digits (money: two decimals,
  ``12.30``, ``0.00``), so a client parsing with ``parse_float=Decimal`` gets back the stored value.
- ``loads_body`` parses request bodies with ``parse_float=Decimal`` and strips NUL characters.

The standard library cannot emit a ``Decimal`` as a number, so ``dumps`` lets ``default`` turn each one
into a string tagged with a leading NUL and then unquotes those strings with one regex pass over the
output. That keeps encoding at C speed; it is safe because request bodies are stripped of NUL, so no
stored string can carry the tag.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")

_TAG = "\x00"
_TAGGED_NUMBER = re.compile(r'"\\u0000(-?[0-9]+(?:\.[0-9]+)?)"')


def _tag_decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return _TAG + format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(payload: Any) -> bytes:
    """Serialize ``payload`` compactly, writing ``Decimal`` values as JSON numbers."""
    text = json.dumps(payload, separators=(",", ":"), default=_tag_decimal)
    if "\\u0000" in text:
        text = _TAGGED_NUMBER.sub(r"\1", text)
    return text.encode()


def loads_body(raw: bytes | str) -> Any:
    """Parse a request body: floats become ``Decimal``; NUL characters are dropped (see module doc)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw.replace(_TAG, ""), parse_float=Decimal)


def to_plain(payload: Any, *, decimal: bool = False) -> Any:
    """What a client gets from ``json.loads`` of the serialized ``payload``.

    Money comes back as ``float`` (like ``httpx.Response.json()``), or as ``Decimal`` with ``decimal=True``
    (like ``json.loads(..., parse_float=Decimal)``).
    """
    return json.loads(dumps(payload), parse_float=Decimal if decimal else float)


def money(value: Any) -> Decimal:
    """Coerce a JSON number (or numeric string) to a cent-quantized ``Decimal``; ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        if not amount.is_finite():
            raise InvalidOperation
        return amount.quantize(CENT)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def cents(amount: int) -> Decimal:
    """An integer number of cents as a money ``Decimal`` (exact, no float involved)."""
    return Decimal(amount).scaleb(-2)
