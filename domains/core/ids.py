"""Tenant identifiers. Every domain operation is scoped to one business (one QBO company)."""

from typing import NewType

BusinessId = NewType("BusinessId", int)
FirmId = NewType("FirmId", int)
