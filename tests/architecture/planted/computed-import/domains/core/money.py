from decimal import Decimal

ZERO = Decimal("0.00")
