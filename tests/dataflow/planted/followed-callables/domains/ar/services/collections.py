"""Planted: live calls reached through forms the checker follows (each one a violation in a local read)."""

from __future__ import annotations

import functools

from helpers.sending import send_through
from infra.interfaces.patterns import local_read
from infra.interfaces.ports import InvoiceMirror, QboGateway


class CollectionsService:
    def __init__(self, invoices: InvoiceMirror, gateway: QboGateway) -> None:
        self._invoices = invoices
        self._gateway = gateway
        self._resend = lambda invoice_id: self._gateway.send_invoice(0, invoice_id)

    @property
    def gateway(self) -> QboGateway:
        return self._gateway

    @local_read
    def by_alias(self, business_id: int) -> None:
        send = self._gateway.send_invoice
        send(business_id, "alias")  # planted-violation: a bound-method alias

    @local_read
    def by_stored_lambda(self, business_id: int) -> None:
        self._resend("stored")  # planted-violation: a lambda assigned in __init__

    @local_read
    def by_partial(self, business_id: int) -> None:
        later = functools.partial(self._gateway.send_invoice, business_id)
        later("partial")  # planted-violation: functools.partial of a port method

    @local_read
    def by_helper_package(self, business_id: int) -> None:
        send_through(self._gateway, business_id)  # planted-violation: a helper in a package nobody configured

    @local_read
    def by_property(self, business_id: int) -> None:
        self.gateway.send_invoice(business_id, "property")  # planted-violation: a property returning the port

    @local_read
    def by_dict_of_methods(self, business_id: int, kind: str) -> None:
        actions = {"send": self._gateway.send_invoice, "aging": self._invoices.aging}
        actions[kind](business_id, "dict")  # planted-violation: a dict of bound methods
