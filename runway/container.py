"""``Services``: every service of one process, as the composition root (``runway.bootstrap``) wires them.

A typed class, so ``services.runway`` (and the API's ``container(request).runway``) leads an editor to
``RunwayService`` and a type checker can check every use. The HTTP API and the CLI receive one; nothing here
builds anything (``runway.bootstrap.wire`` does, from the ports it is given).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from domains.ap.services.bill import BillService
from domains.ap.services.payment import PaymentService
from domains.ar.services.collections import CollectionsService
from domains.bank.services.balance import BalanceService
from domains.core.clock import Clock
from domains.portfolio.services.overview import PortfolioService
from domains.verification.services.aging import AgingVerificationService
from runway.services.advisors import AdvisorAdminService
from runway.services.authentication import AuthenticationService
from runway.services.console import AdvisorConsoleService
from runway.services.digest import RunwayService
from runway.services.idempotency import IdempotencyService
from runway.services.operations import OperationsService
from runway.services.prep_tray import PrepTrayService


@dataclass(frozen=True)
class Services:
    """The domain services, the runway services and the API's own services of one process.

    ``live_qbo`` says whether a live QBO port is wired: without one the Pattern 2 operations refuse and
    everything else answers from the mirror.
    """

    clock: Clock
    live_qbo: bool
    # domains
    portfolio: PortfolioService
    bills: BillService
    payments: PaymentService
    collections: CollectionsService
    balances: BalanceService
    verification: AgingVerificationService
    # runway services
    runway: RunwayService
    tray: PrepTrayService
    console: AdvisorConsoleService
    # who may call the API, idempotent requests, operations
    authentication: AuthenticationService
    advisors: AdvisorAdminService
    idempotency: IdempotencyService
    operations: OperationsService
    # ``with services.read_scope():`` - every mirror read inside shares one transaction (one snapshot); what
    # each API read route and CLI answer runs in (a no-op over ports that have no transactions).
    read_scope: Callable[[], AbstractContextManager[None]]
