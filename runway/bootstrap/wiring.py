"""``wire(ports, clock)``: every service of a process, built over the ports it is given.

This is where services are constructed, for every process and every test: ``build_container`` hands in the
SQL repositories and the QBO gateway, the tests' world (``tests/fakes/world.py``) hands in in-memory fakes.
Only ``infra.interfaces`` is named here, never an implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from domains.ap.services.bill import BillService
from domains.ap.services.payment import PaymentService
from domains.ar.services.collections import CollectionsService
from domains.bank.services.balance import BalanceService
from domains.core.clock import Clock
from domains.core.freshness import STALE_AFTER, FreshnessReader
from domains.portfolio.services.overview import PortfolioService
from domains.verification.services.aging import AgingVerificationService
from infra.interfaces.access import (
    AdvisorDirectory,
    ApiTokenStore,
    IdempotencyStore,
    ReadinessProbe,
    SyncRequests,
    WebhookInbox,
)
from infra.interfaces.ports import (
    BankMirror,
    BillMirror,
    BusinessDirectory,
    InvoiceMirror,
    PaymentMirror,
    PortfolioMirror,
    QboGateway,
    SyncStateReader,
)
from runway.container import Services
from runway.services.advisors import DEFAULT_TOKEN_LIFETIME, AdvisorAdminService
from runway.services.authentication import AuthenticationService
from runway.services.console import AdvisorConsoleService
from runway.services.digest import RunwayService
from runway.services.idempotency import IdempotencyService
from runway.services.operations import OperationsService
from runway.services.prep_tray import PrepTrayService


@dataclass(frozen=True)
class Ports:
    """Everything the services need from infra, as ports (``infra.interfaces``).

    The local ports read (and, for the API's bookkeeping, write) the mirror database. ``gateway`` is the
    live QBO port (None: Pattern 2 operations refuse); ``sync_requests`` and ``webhook_inbox`` front the
    background sync (None: requesting a sync or receiving a webhook answers "not configured").
    """

    directory: BusinessDirectory
    bills: BillMirror
    invoices: InvoiceMirror
    payments: PaymentMirror
    bank: BankMirror
    portfolio: PortfolioMirror
    sync_state: SyncStateReader
    advisors: AdvisorDirectory
    tokens: ApiTokenStore
    idempotency: IdempotencyStore
    readiness: ReadinessProbe
    gateway: QboGateway | None = None
    sync_requests: SyncRequests | None = None
    webhook_inbox: WebhookInbox | None = None
    # Opens the unit of work of one answer: every local read inside shares one transaction (None: no-op).
    read_scope: Callable[[], AbstractContextManager[None]] | None = None


def wire(ports: Ports, clock: Clock, *, stale_after: timedelta = STALE_AFTER,
         token_lifetime: timedelta | None = DEFAULT_TOKEN_LIFETIME) -> Services:
    """Every domain, runway and API service over ``ports``; answers older than ``stale_after`` are stale;
    new API tokens expire after ``token_lifetime``."""
    gateway = ports.gateway
    freshness = FreshnessReader(ports.sync_state, stale_after=stale_after)
    portfolio = PortfolioService(ports.directory, ports.portfolio, clock, stale_after=stale_after)
    bills = BillService(ports.bills, freshness, clock)
    payments = PaymentService(ports.payments, freshness, clock, bills=ports.bills, directory=ports.directory,
                              gateway=gateway)
    collections = CollectionsService(ports.invoices, freshness, clock, directory=ports.directory, gateway=gateway)
    balances = BalanceService(ports.bank, freshness, clock, directory=ports.directory, gateway=gateway)
    return Services(
        clock=clock, live_qbo=gateway is not None,
        portfolio=portfolio, bills=bills, payments=payments, collections=collections, balances=balances,
        verification=AgingVerificationService(ports.directory, ports.bills, ports.invoices, freshness, clock,
                                              gateway=gateway),
        runway=RunwayService(portfolio, bills, payments, collections, balances, clock),
        tray=PrepTrayService(portfolio, bills, payments, collections, balances, clock),
        console=AdvisorConsoleService(portfolio),
        authentication=AuthenticationService(ports.tokens, clock),
        advisors=AdvisorAdminService(ports.advisors, ports.tokens, clock, token_lifetime=token_lifetime),
        idempotency=IdempotencyService(ports.idempotency, clock),
        operations=OperationsService(ports.readiness, clock, sync_requests=ports.sync_requests,
                                     webhook_inbox=ports.webhook_inbox, stale_after=stale_after),
        read_scope=ports.read_scope or nullcontext,
    )
