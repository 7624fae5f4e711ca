"""Money in the domain: always ``Decimal``, in the company's currency, to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from domains.core.errors import InvalidInput

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def to_money(value: Decimal | int | str, *, field: str = "amount") -> Decimal:
    """Parse an amount into a cent-exact ``Decimal``.

    Floats are refused (they cannot hold most cent values exactly) and so are amounts with more than
    two decimal places, rather than rounding someone's money silently.
    """
    if isinstance(value, float | bool):
        raise InvalidInput(field, f"{field} must be a decimal amount, not {type(value).__name__}")
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidInput(field, f"{field} is not a number: {value!r}") from exc
    if not amount.is_finite():
        raise InvalidInput(field, f"{field} must be finite")
    if amount != amount.quantize(CENT):
        raise InvalidInput(field, f"{field} has more than two decimal places: {value}")
    return amount.quantize(CENT)


def per_day(total: Decimal, days: int) -> Decimal:
    """An average per day, to a hundredth of a cent so runway divisions do not lose precision."""
    if days <= 0:
        raise InvalidInput("days", "days must be positive")
    return (total / Decimal(days)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
