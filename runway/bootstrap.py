"""The composition root: the one place that knows both the domains and infra's implementations.

``build_container`` creates the database engine, the repositories (local ports), the QBO client and
gateway (live port) when QBO is configured, and every domain and runway service, and hands them out
in a ``Container``. Nothing here runs at import time; the CLI (and later the API) call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from domains.access.services.access import AccessService
from domains.access.services.admin import AdvisorAdminService
from domains.access.services.idempotency import IdempotencyService
from domains.access.services.operations import OperationsService
from domains.ap.services.bill import BillService
from domains.ap.services.payment import PaymentService
from domains.ar.services.collections import CollectionsService
from domains.bank.services.balance import BalanceService
from domains.core.clock import Clock, SystemClock
from domains.core.freshness import FreshnessReader
from domains.portfolio.services.overview import PortfolioService
from infra.db.engine import create_engine_for, create_session_factory
from infra.db.migrate import upgrade_to_head
from infra.db.repositories.advisors import SqlAdvisorDirectory, SqlApiTokenStore
from infra.db.repositories.bank import SqlBankMirror
from infra.db.repositories.bills import SqlBillMirror
from infra.db.repositories.businesses import SqlBusinessDirectory
from infra.db.repositories.health import SqlReadinessProbe
from infra.db.repositories.idempotency import SqlIdempotencyStore
from infra.db.repositories.invoices import SqlInvoiceMirror
from infra.db.repositories.payments import SqlPaymentMirror
from infra.db.repositories.portfolio import SqlPortfolioMirror
from infra.db.repositories.sync_state import SqlSyncStateReader
from infra.db.sync_store import SyncStore
from infra.db.token_store import DbTokenStore
from infra.db.writer import MirrorWriter
from infra.interfaces.access import (
    SyncRequestRecord,
    WebhookPayloadInvalid,
    WebhookReceipt,
    WebhookSignatureInvalid,
)
from infra.interfaces.patterns import set_guard_mode
from infra.interfaces.ports import QboGateway
from infra.jobs import (
    SyncRequest,
    SyncRequestQueue,
    WebhookHandler,
    WebhookPayloadError,
    WebhookSignatureError,
)
from infra.qbo import QboClient, QboClientConfig, QboLiveGateway, RealmLimiterRegistry
from runway.services.console import AdvisorConsoleService
from runway.services.digest import RunwayService
from runway.services.prep_tray import PrepTrayService
from runway.settings import Settings


@dataclass
class Container:
    """Every wired service of one process, and what must be closed when it ends."""

    settings: Settings
    clock: Clock
    engine: Any
    session_factory: Any
    writer: MirrorWriter
    portfolio: PortfolioService
    bills: BillService
    payments: PaymentService
    collections: CollectionsService
    balances: BalanceService
    runway: RunwayService
    tray: PrepTrayService
    console: AdvisorConsoleService
    gateway: QboGateway | None = None
    qbo_client: QboClient | None = None
    token_store: DbTokenStore | None = None
    # The HTTP API's services (runway.api); wired by wire_access.
    access: AccessService | None = None
    advisors: AdvisorAdminService | None = None
    idempotency: IdempotencyService | None = None
    operations: OperationsService | None = None
    _closers: list = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers.clear()

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ConfigurationError(Exception):
    """The settings cannot be wired as given; the message says which setting to fix."""


def build_token_store(settings: Settings, session_factory) -> DbTokenStore:
    """QBO tokens, encrypted at rest in the mirror database."""
    if not settings.token_encryption_key:
        raise ConfigurationError("RUNWAY_TOKEN_ENCRYPTION_KEY is required to store QBO tokens "
                                 "(generate one with: runway keygen)")
    try:
        return DbTokenStore(session_factory, settings.token_encryption_key)
    except ValueError as exc:
        raise ConfigurationError(f"RUNWAY_TOKEN_ENCRYPTION_KEY is not a valid key: {exc}") from exc


def build_qbo_client(settings: Settings, token_store: DbTokenStore, *, transport=None) -> QboClient:
    """The QBO client for the configured endpoint (Intuit's or the local sandbox)."""
    if not settings.qbo_configured:
        raise ConfigurationError("QBO is not configured: set RUNWAY_QBO_API_BASE_URL, RUNWAY_QBO_CLIENT_ID "
                                 "and RUNWAY_QBO_CLIENT_SECRET")
    config = QboClientConfig(api_base_url=settings.qbo_api_base_url or "", token_url=settings.qbo_token_url,
                             client_id=settings.qbo_client_id or "", client_secret=settings.qbo_client_secret or "",
                             minorversion=settings.qbo_minorversion,
                             read_timeout_seconds=settings.qbo_read_timeout_seconds,
                             throttle_default_wait_seconds=settings.qbo_throttle_wait_seconds,
                             max_attempts=settings.qbo_max_attempts,
                             backoff_base_seconds=settings.qbo_backoff_base_seconds)
    return QboClient(config, token_store, RealmLimiterRegistry.from_config(config), transport=transport)


def build_container(settings: Settings | None = None, *, clock: Clock | None = None,
                    gateway: QboGateway | None = None, qbo_transport=None) -> Container:
    """Wire every service over the database named in ``settings`` (read from the environment if None).

    The live QBO port is ``gateway`` when given, else built from the QBO settings when they are set;
    without one, the Pattern 2 operations raise when called and everything else works from the mirror.
    """
    settings = settings or Settings()
    clock = clock or SystemClock()
    set_guard_mode(settings.guard_mode)
    engine = create_engine_for(settings.database_url)
    session_factory = create_session_factory(engine)
    closers: list = [engine.dispose]
    qbo_client = token_store = None
    if gateway is None and settings.qbo_configured:
        token_store = build_token_store(settings, session_factory)
        qbo_client = build_qbo_client(settings, token_store, transport=qbo_transport)
        closers.append(qbo_client.close)
        gateway = QboLiveGateway(qbo_client)

    directory = SqlBusinessDirectory(session_factory)
    bill_mirror = SqlBillMirror(session_factory)
    invoice_mirror = SqlInvoiceMirror(session_factory)
    payment_mirror = SqlPaymentMirror(session_factory)
    bank_mirror = SqlBankMirror(session_factory)
    freshness = FreshnessReader(SqlSyncStateReader(session_factory),
                                stale_after=timedelta(hours=settings.stale_after_hours))

    portfolio = PortfolioService(directory, SqlPortfolioMirror(session_factory), clock)
    bills = BillService(bill_mirror, freshness, clock)
    payments = PaymentService(payment_mirror, freshness, clock, bills=bill_mirror, directory=directory,
                              gateway=gateway)
    collections = CollectionsService(invoice_mirror, freshness, clock, directory=directory, gateway=gateway)
    balances = BalanceService(bank_mirror, freshness, clock, directory=directory, gateway=gateway)
    container = Container(
        settings=settings, clock=clock, engine=engine, session_factory=session_factory,
        writer=MirrorWriter(session_factory), portfolio=portfolio, bills=bills, payments=payments,
        collections=collections, balances=balances,
        runway=RunwayService(portfolio, bills, payments, collections, balances, clock),
        tray=PrepTrayService(portfolio, bills, payments, collections, balances, clock),
        console=AdvisorConsoleService(portfolio), gateway=gateway, qbo_client=qbo_client,
        token_store=token_store)
    wire_access(container, directory)
    container._closers.extend(closers)
    return container


def wire_access(container: Container, directory: SqlBusinessDirectory | None = None) -> None:
    """Add the API's services to ``container``: authentication and tenancy, advisors and tokens,
    idempotency records, sync requests (``infra.jobs``' ``SyncRequestQueue``), QBO webhooks (``infra.jobs``'
    ``WebhookHandler``, wired when ``RUNWAY_QBO_WEBHOOK_VERIFIER_TOKEN`` is set) and readiness checks."""
    sessions, clock, settings = container.session_factory, container.clock, container.settings
    tokens = SqlApiTokenStore(sessions)
    queue = SyncRequestQueue(sessions, clock=clock.now)
    inbox = None
    if settings.qbo_webhook_verifier_token:
        handler = WebhookHandler(queue, SyncStore(sessions).business_id_for_realm,
                                 settings.qbo_webhook_verifier_token)
        inbox = _HandlerWebhookInbox(handler)
    container.access = AccessService(tokens, directory or SqlBusinessDirectory(sessions), clock)
    container.advisors = AdvisorAdminService(SqlAdvisorDirectory(sessions), tokens, clock)
    container.idempotency = IdempotencyService(SqlIdempotencyStore(sessions), clock)
    container.operations = OperationsService(
        SqlReadinessProbe(sessions), clock, sync_requests=_QueueSyncRequests(queue), webhook_inbox=inbox,
        stale_after=timedelta(hours=settings.stale_after_hours))


class _QueueSyncRequests:
    """``SyncRequests`` (infra.interfaces.access) over ``infra.jobs.SyncRequestQueue``."""

    def __init__(self, queue: SyncRequestQueue) -> None:
        self._queue = queue

    def enqueue(self, business_id: int, entities, reason: str, *, full: bool) -> SyncRequestRecord:
        queued: SyncRequest = self._queue.enqueue(business_id, entities, reason, full=full)
        return SyncRequestRecord(
            id=queued.id, business_id=queued.business_id, full=queued.full, reason=queued.reason,
            entities=None if queued.entities is None else frozenset(e.value for e in queued.entities),
            requested_at=queued.requested_at, request_count=queued.request_count)


class _HandlerWebhookInbox:
    """``WebhookInbox`` (infra.interfaces.access) over ``infra.jobs.WebhookHandler``."""

    def __init__(self, handler: WebhookHandler) -> None:
        self._handler = handler

    def accept(self, body: bytes, signature: str | None) -> WebhookReceipt:
        try:
            outcome = self._handler.handle(body, signature)
        except WebhookSignatureError as exc:
            raise WebhookSignatureInvalid(str(exc)) from exc
        except WebhookPayloadError as exc:
            raise WebhookPayloadInvalid(str(exc)) from exc
        return WebhookReceipt(notifications=outcome.notifications, queued=len(outcome.enqueued),
                              unknown_realms=outcome.unknown_realms, ignored_entities=outcome.ignored_entities)


def prepare_database(container: Container) -> None:
    """Bring the mirror's schema to the newest migration."""
    upgrade_to_head(container.engine)


def load_demo_data(container: Container, *, seed: int = 7, scale: str = "demo"):
    """Fill an empty mirror with the demo portfolio. This is the one place the demo's data comes from."""
    from infra.db.demo_seed import seed_demo_portfolio

    return seed_demo_portfolio(container.session_factory, seed=seed, today=container.clock.today(),
                               now=container.clock.now(), scale=scale)


def run_sandbox(*, host: str, port: int, seed: int, size: int, realms: int | list[str], limits: bool) -> None:
    """Serve the local QBO sandbox in the foreground (``runway sandbox``)."""
    from qbo_sandbox import LimitSettings, SandboxConfig, serve_forever

    serve_forever(SandboxConfig(realms=realms, seed=seed, size=size, limits=LimitSettings(enabled=limits)),
                  host, port)


def generate_encryption_key() -> str:
    """A new key for ``RUNWAY_TOKEN_ENCRYPTION_KEY``."""
    from infra.db.token_store import generate_encryption_key as generate

    return generate()


def connect_company(container: Container, *, firm_name: str, business_name: str, realm_id: str,
                    refresh_token: str | None = None, authorization_code: str | None = None,
                    redirect_uri: str | None = None):
    """Register a client business for a QBO company and store its tokens (encrypted).

    Give either the ``refresh_token`` QBO issued (the local sandbox prints one per realm) or an OAuth
    ``authorization_code`` with its ``redirect_uri`` (the real Intuit flow). Returns the business.
    """
    from infra.db.repositories.businesses import SqlBusinessDirectory
    from infra.interfaces.errors import RecordNotFound
    from infra.qbo import OAuthTokens

    if container.qbo_client is None or container.token_store is None:
        raise ConfigurationError("QBO is not configured: set RUNWAY_QBO_API_BASE_URL, RUNWAY_QBO_CLIENT_ID, "
                                 "RUNWAY_QBO_CLIENT_SECRET and RUNWAY_TOKEN_ENCRYPTION_KEY")
    if (refresh_token is None) == (authorization_code is None):
        raise ConfigurationError("give exactly one of a refresh token or an authorization code")
    if authorization_code is not None:
        if not redirect_uri:
            raise ConfigurationError("an authorization code needs the redirect URI it was issued for")
        container.qbo_client.exchange_authorization_code(realm_id, authorization_code, redirect_uri)
    else:
        container.token_store.save(OAuthTokens(realm_id=realm_id, refresh_token=refresh_token or ""))
    directory = SqlBusinessDirectory(container.session_factory)
    try:
        return directory.get_business_by_realm(realm_id)
    except RecordNotFound:
        pass
    firm = next((f for f in directory.list_firms() if f.name == firm_name), None)
    firm = firm or container.writer.create_firm(firm_name)
    return container.writer.create_business(firm.id, business_name, realm_id)


def create_api(container: Container):
    """The HTTP API (FastAPI) over ``container``'s services."""
    from runway.api import create_app

    return create_app(container)


def serve_api(container: Container, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve the HTTP API in the foreground with uvicorn (``runway serve``) until interrupted."""
    from runway.api.server import build_server

    build_server(create_api(container), host=host, port=port, log_level=log_level).run()


# -- Pattern 3: background sync ---------------------------------------------------------------------

DEMO_FIRM = "Harbor & Pine Advisors"


def build_sync_service(container: Container, *, max_parallel_businesses: int = 4, clock=None):
    """The sync service over the container's mirror and QBO client (Pattern 3; never on a request path)."""
    from infra.jobs.sync import SyncService

    if container.qbo_client is None:
        raise ConfigurationError("syncing needs QBO: set RUNWAY_QBO_API_BASE_URL, RUNWAY_QBO_CLIENT_ID, "
                                 "RUNWAY_QBO_CLIENT_SECRET and RUNWAY_TOKEN_ENCRYPTION_KEY")
    kwargs = {"clock": clock} if clock is not None else {}
    return SyncService(container.session_factory, container.qbo_client,
                       max_parallel_businesses=max_parallel_businesses, **kwargs)


def sync_now(container: Container, *, business_ids: list[int] | None = None, full: bool = False, progress=None):
    """One sync pass over the given businesses (all when None); returns the per-business results."""
    return build_sync_service(container).sync_all(full=full, business_ids=business_ids, progress=progress)


def run_worker(container: Container, *, interval_seconds: float, poll_seconds: float = 5.0, stop_event=None,
               max_rounds: int | None = None) -> int:
    """The worker process: a sync of every business each interval, queued requests in between, heartbeats."""
    from infra.jobs.queue import SyncRequestQueue
    from infra.jobs.scheduler import Scheduler

    scheduler = Scheduler(build_sync_service(container), SyncRequestQueue(container.session_factory),
                          interval_seconds=interval_seconds, poll_seconds=poll_seconds, stop_event=stop_event)
    return scheduler.run(max_rounds=max_rounds)


class DemoSandbox:
    """The local QBO sandbox serving the demo companies in this process, for ``runway demo``."""

    def __init__(self, *, seed: int, size: int, realms: int) -> None:
        from qbo_sandbox import SandboxConfig, SandboxServer

        self.server = SandboxServer(SandboxConfig(realms=realms, seed=seed, size=size))

    def __enter__(self) -> DemoSandbox:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def settings(self, database_url: str) -> Settings:
        """Settings that point the QBO client at this sandbox: the same client code as for Intuit."""
        state = self.server.state
        return Settings(database_url=database_url, qbo_api_base_url=self.server.api_base_url,
                        qbo_token_url=self.server.token_url, qbo_client_id=state.config.client_id,
                        qbo_client_secret=state.config.client_secret,
                        token_encryption_key=generate_encryption_key())

    def connect_all(self, container: Container, firm_name: str = DEMO_FIRM) -> list:
        """Connect every sandbox company as a client of ``firm_name`` (the OAuth step the sandbox skips)."""
        state = self.server.state
        return [connect_company(container, firm_name=firm_name, business_name=state.realm(realm).company_name,
                                realm_id=realm, refresh_token=state.connect_realm(realm))
                for realm in state.realm_ids]
