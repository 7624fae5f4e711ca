"""Exact JSON for money: decode numbers with a fraction as ``Decimal``, encode ``Decimal`` verbatim.

``httpx.Response.json()`` decodes ``0.1`` as a float; these helpers keep amounts exact from the wire on.
Decoding uses msgspec, whose ``float_hook`` hands every non-integer number over as the digits sent: 1.3x
the standard library's ``json.loads(parse_float=Decimal)`` on QBO pages, with equal results
(``benchmarks/json_parsing.py``; orjson has no way to keep decimals exact). A body that is not JSON raises
``ValueError`` (``msgspec.DecodeError`` is one).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import msgspec

__all__ = ["dumps", "get_ci", "loads", "loads_members", "loads_rows"]


_DECODER = msgspec.json.Decoder(float_hook=Decimal)
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ROWS = msgspec.json.Decoder(list[msgspec.Raw])


def loads(content: bytes | str):
    """Parse JSON with every non-integer number as ``Decimal`` (integers stay ``int``); ``ValueError`` when
    the content is not JSON."""
    return _DECODER.decode(content)


def loads_members(content: bytes | msgspec.Raw) -> dict[str, msgspec.Raw]:
    """The members of a JSON object, each left undecoded (``msgspec.Raw``, decode it with ``loads`` or a
    typed decoder): the whole text is checked, but no value is built. ``ValueError`` when the content is
    not a JSON object."""
    return _MEMBERS.decode(content)


def loads_rows(content: bytes | msgspec.Raw) -> list[msgspec.Raw]:
    """The items of a JSON array, each left undecoded; ``ValueError`` when the content is not an array."""
    return _ROWS.decode(content)


def _encode(value, out: list[str]) -> None:
    if value is None or isinstance(value, bool | int | str):
        out.append(json.dumps(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot encode {value} as JSON")
        out.append(format(value, "f"))
    elif isinstance(value, float):
        raise TypeError("refusing to encode a float: use Decimal for amounts")
    elif isinstance(value, datetime | date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, got {type(key).__name__}")
            if i:
                out.append(",")
            out.append(json.dumps(key))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value) -> bytes:
    """Compact UTF-8 JSON; ``Decimal`` as a plain number, ``date``/``datetime`` as ISO-8601 strings."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode()


def get_ci(mapping, key: str):
    """``mapping[key]`` matching the key without regard to case (QBO uses both casings); None if absent."""
    if not isinstance(mapping, dict):
        return None
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == lowered:
            return v
    return None
