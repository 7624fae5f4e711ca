"""The runtime guard on the real live adapter: a live call made while a local read runs is refused."""

import logging

import pytest

from domains.ar.services.collections import CollectionsService
from domains.core.freshness import FreshnessReader
from infra.interfaces.errors import QboValidationError
from infra.interfaces.patterns import LiveCallInLocalRead, local_read, set_guard_mode
from infra.qbo import QboLiveGateway
from tests.fakes.mirror import InvoiceView
from tests.fakes.world import small_world, wire_world


class DriftedCollections(CollectionsService):
    """What the earlier codebase did: a report declared local that quietly goes live."""

    @local_read
    def aging_report_with_live_refresh(self, business_id: int):
        business = self._directory.get_business(business_id)
        self._gateway.send_invoice(business, "10", None)  # the violation


def drifted(gateway):
    mirror, ids = small_world()
    s = wire_world(mirror)
    return DriftedCollections(InvoiceView(mirror), FreshnessReader(mirror), s.clock, directory=mirror,
                              gateway=gateway), ids


def test_the_real_adapter_refuses_a_live_call_inside_a_local_read_before_any_request():
    service, ids = drifted(QboLiveGateway(client=None))  # the guard fires before the client is touched
    with pytest.raises(LiveCallInLocalRead) as err:
        service.aging_report_with_live_refresh(ids["bakery"])
    message = str(err.value)
    assert "DriftedCollections.aging_report_with_live_refresh" in message
    assert "QboLiveGateway.send_invoice" in message


def test_in_production_mode_the_call_is_logged_with_the_operation(caplog):
    from tests.fakes.qbo_gateway import FakeQboGateway

    service, ids = drifted(FakeQboGateway())
    previous = set_guard_mode("log")
    try:
        # The guard only logs, so the call reaches the fake, which knows no such invoice.
        with caplog.at_level(logging.WARNING, logger="archguard.patterns"), \
                pytest.raises(QboValidationError):
            service.aging_report_with_live_refresh(ids["bakery"])
    finally:
        set_guard_mode(previous)
    assert any("DriftedCollections.aging_report_with_live_refresh" in r.getMessage() for r in caplog.records)


def test_declared_live_operations_pass_the_guard():
    mirror, ids = small_world()
    s = wire_world(mirror)
    assert s.balances.current_cash_position(ids["bakery"]).source  # @live reaching the gateway is allowed
