"""Settling pending payments outside a sync (``runway payments settle``): the same step every business sync
ends with (``infra.settlement``), run on demand."""

from __future__ import annotations

from datetime import timedelta

from infra.settlement import SettlementReport, settle_pending_payments
from runway.bootstrap.container import Container
from runway.bootstrap.errors import ConfigurationError
from runway.bootstrap.sync import pending_payment_bound


def settle_payments(container: Container, *, business_ids: list[int] | None = None,
                    give_up_after: timedelta | None = None) -> list[SettlementReport]:
    """Look every pending payment of the businesses (all when None) up in QBO: found ones become that payment,
    ones pending longer than ``give_up_after`` (default: ``RUNWAY_PENDING_PAYMENT_GIVE_UP_HOURS``) and not
    found are removed (never made). One report each."""
    if container.qbo_client is None:
        raise ConfigurationError("settling payments needs QBO: set RUNWAY_QBO_API_BASE_URL, RUNWAY_QBO_CLIENT_ID, "
                                 "RUNWAY_QBO_CLIENT_SECRET and RUNWAY_TOKEN_ENCRYPTION_KEY")
    now = container.clock.now()
    bound = pending_payment_bound(container) if give_up_after is None else give_up_after
    businesses = container.portfolio.list_businesses()
    if business_ids is not None:
        wanted = set(business_ids)
        businesses = [b for b in businesses if b.id in wanted]
    return [settle_pending_payments(container.writer, container.qbo_client, b.id, b.qbo_realm_id, now=now,
                                    give_up_after=bound) for b in businesses]
