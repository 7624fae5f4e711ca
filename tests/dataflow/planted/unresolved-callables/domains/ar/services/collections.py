"""Planted: calls no one can follow from the source, each reported as unresolved (none dropped)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror


class CollectionsService:
    notifier: Callable

    def __init__(self, invoices: InvoiceMirror, handlers: dict[str, Callable[[int], None]]) -> None:
        self._invoices = invoices
        self._handlers = handlers

    @local_read
    def aging_report(self, business_id: int, on_row: Callable) -> list[int]:
        rows = self._invoices.aging(business_id)
        on_row(business_id)  # planted-violation: a bare Callable parameter
        self.notifier(business_id)  # planted-violation: a Callable attribute
        self._handlers["aging"](business_id)  # planted-violation: a dict of callables
        return rows

    @local_read
    def ar_summary(self, business_id: int, name: str, callback: Callable[[int], None]) -> list[int]:
        getattr(self._invoices, name)(business_id)  # planted-violation: getattr with a computed name
        later = functools.partial(callback, business_id)
        later()  # planted-violation: a partial of a Callable
        return self._invoices.aging(business_id)
