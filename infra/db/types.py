"""Column types that keep money exact and instants timezone-aware on every database.

``Money`` stores a ``Decimal`` as an exact integer number of cents (``BIGINT``): SQLite has no decimal
type, and integer cents keep sums exact and fast there. Expressions built on a ``Money`` column
(``SUM``, ``COALESCE``, ``CASE``) keep the type, so aggregates come back as ``Decimal`` too.

``UTCDateTime`` stores instants in UTC: PostgreSQL as ``timestamptz``; SQLite (which has no time zones)
as naive UTC text, re-attached to UTC on the way out. Naive datetimes are refused on the way in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def to_cents(value: object) -> int:
    """Exact cents of an amount; refuses floats, non-finite values and sub-cent digits."""
    if type(value) is Decimal:  # the hot path (bulk loads): no context-dependent rounding anywhere
        if not value.is_finite():
            raise ValueError(f"money must be finite: {value!r}")
        cents = value.scaleb(2)
        whole = int(cents)
        if whole != cents:
            raise ValueError(f"amount has more than two decimal places (refusing to round): {value}")
        return whole
    if isinstance(value, bool | float):
        raise ValueError(f"money must be a Decimal, not {type(value).__name__}: {value!r}")
    if isinstance(value, int):
        return value * 100
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount of money: {value!r}") from exc
    return to_cents(Decimal(amount))


def from_cents(cents: object) -> Decimal:
    """The ``Decimal`` amount (two places) of a number of cents as the driver returned it."""
    if isinstance(cents, Decimal):
        return (cents / 100).quantize(CENT)
    return Decimal(int(cents)).scaleb(-2)  # type: ignore[call-overload]


class Money(TypeDecorator[Decimal]):
    """``Decimal`` amounts stored as integer cents."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return to_cents(value)

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_cents(value)

    def process_literal_param(self, value: object, dialect: Dialect) -> str:
        return "NULL" if value is None else str(to_cents(value))

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC instants; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise ValueError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime refused (pass a timezone-aware instant): {value!r}")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | str | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # MIN()/MAX() over the column on SQLite returns the stored text
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
