"""infra's implementations of the ports, built from settings: the SQL repositories over the mirror
database, the QBO client and its token store, and the sync request queue and webhook inbox over
``infra.jobs``. Nothing here wires a service (``runway.bootstrap.wiring`` does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from domains.core.clock import Clock
from domains.core.errors import InvalidInput
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
from infra.db.token_store import DbTokenStore
from infra.db.unit_of_work import read_scope
from infra.interfaces.access import (
    SyncRequestRecord,
    WebhookInbox,
    WebhookPayloadInvalid,
    WebhookReceipt,
    WebhookSignatureInvalid,
)
from infra.interfaces.ports import QboGateway
from infra.jobs import SyncRequestQueue, WebhookHandler, WebhookPayloadError, WebhookSignatureError
from infra.jobs.engine import EmbeddedEngine, SyncEngine
from infra.jobs.webhooks import verify_intuit_signature
from infra.qbo import LimiterRegistry, QboClient, QboClientConfig, RealmLimiterRegistry
from runway.bootstrap.errors import ConfigurationError
from runway.bootstrap.wiring import Ports
from runway.jsonbounds import parse_json
from runway.settings import Settings


def build_sync_engine(settings: Settings, session_factory: sessionmaker[Session], clock: Clock) -> SyncEngine:
    """The job engine of the syncs, by configuration only: Dramatiq on the Redis of ``RUNWAY_BROKER_URL``,
    or (unset) the embedded queue in the mirror database."""
    url = settings.broker_url
    if not url:
        return EmbeddedEngine(SyncRequestQueue(session_factory, clock=clock.now))
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(f"RUNWAY_BROKER_URL must be a Redis URL (redis://host:port/db), not {url!r}")
    from infra.jobs.dramatiq_engine import DramatiqEngine, RedisPendingSyncs, redis_broker

    heartbeat_ms = int(settings.broker_heartbeat_timeout_seconds * 1000)
    return DramatiqEngine(redis_broker(url, namespace=f"{settings.redis_namespace}-dramatiq",
                                       heartbeat_timeout_ms=heartbeat_ms,
                                       maintenance_chance=1000 if heartbeat_ms >= 10_000 else 50_000),
                          RedisPendingSyncs(_redis(url), prefix=settings.redis_namespace), clock=clock.now)


def _redis(url: str) -> Any:
    import redis  # only with a Redis configured

    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30)


def build_limiters(settings: Settings, config: QboClientConfig) -> LimiterRegistry:
    """QBO's per-realm limits: in Redis, shared by every process, when Redis is configured
    (``RUNWAY_REDIS_URL`` or a Redis ``RUNWAY_BROKER_URL``); else this process's own."""
    url = settings.shared_limits_url
    if url is None:
        return RealmLimiterRegistry.from_config(config)
    from infra.qbo.redis_limiter import RedisRealmLimiterRegistry

    return RedisRealmLimiterRegistry.from_config(config, _redis(url), prefix=f"{settings.redis_namespace}:qbo-limits")


def sql_ports(session_factory: sessionmaker[Session], settings: Settings, clock: Clock, *,
              gateway: QboGateway | None = None, engine: SyncEngine | None = None) -> Ports:
    """The SQL repositories over the mirror database as ports, the sync requests (over ``engine``, by
    default the one the settings name), the webhook inbox (when ``RUNWAY_QBO_WEBHOOK_VERIFIER_TOKEN`` is
    set) and ``gateway`` as the live port."""
    queue = engine or build_sync_engine(settings, session_factory, clock)
    inbox: WebhookInbox | None = None
    directory = SqlBusinessDirectory(session_factory)
    if settings.qbo_webhook_verifier_token:
        inbox = HandlerWebhookInbox(queue, directory, settings.qbo_webhook_verifier_token)
    bills = SqlBillMirror(session_factory)
    return Ports(
        directory=directory, bills=bills, invoices=SqlInvoiceMirror(session_factory),
        payments=SqlPaymentMirror(session_factory), bank=SqlBankMirror(session_factory),
        portfolio=SqlPortfolioMirror(session_factory), sync_state=SqlSyncStateReader(session_factory),
        advisors=SqlAdvisorDirectory(session_factory), tokens=SqlApiTokenStore(session_factory),
        idempotency=SqlIdempotencyStore(session_factory), readiness=SqlReadinessProbe(session_factory),
        gateway=gateway, sync_requests=QueueSyncRequests(queue), webhook_inbox=inbox,
        read_scope=lambda: read_scope(session_factory))


def build_token_store(settings: Settings, session_factory: sessionmaker[Session]) -> DbTokenStore:
    """QBO tokens, encrypted at rest in the mirror database."""
    if not settings.token_encryption_key:
        raise ConfigurationError("RUNWAY_TOKEN_ENCRYPTION_KEY is required to store QBO tokens "
                                 "(generate one with: runway keygen)")
    try:
        return DbTokenStore(session_factory, settings.token_encryption_key)
    except ValueError as exc:
        raise ConfigurationError(f"RUNWAY_TOKEN_ENCRYPTION_KEY is not a valid key: {exc}") from exc


def build_qbo_client(settings: Settings, token_store: DbTokenStore, *,
                     transport: httpx.BaseTransport | None = None) -> QboClient:
    """The QBO client for the configured endpoint (Intuit's or the local sandbox), limited per realm by
    ``build_limiters``: the API's live calls and the sync workers draw from the same budget."""
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
    return QboClient(config, token_store, build_limiters(settings, config), transport=transport)


class QueueSyncRequests:
    """``SyncRequests`` (infra.interfaces.access) over the job engine (``infra.jobs.engine.SyncEngine``)."""

    def __init__(self, queue: SyncEngine) -> None:
        self._queue = queue

    def enqueue(self, business_id: int, entities: Iterable[str] | None, reason: str, *, full: bool
                ) -> SyncRequestRecord:
        queued = self._queue.enqueue(business_id, entities, reason, full=full)
        return SyncRequestRecord(
            id=queued.id, business_id=queued.business_id, full=queued.full, reason=queued.reason,
            entities=None if queued.entities is None else frozenset(e.value for e in queued.entities),
            requested_at=queued.requested_at, request_count=queued.request_count)


class HandlerWebhookInbox:
    """``WebhookInbox`` (infra.interfaces.access) over ``infra.jobs.WebhookHandler``.

    Bounded work per delivery: the signature is checked first (nothing of an unsigned body is parsed), then
    the body is parsed strictly (``runway.jsonbounds``: nesting depth capped, duplicate keys refused), and the
    realms it names are looked up together (``business_ids_for_realms``) rather than one query per realm.
    A realm connected by several firms asks for a sync of each of its businesses.
    """

    def __init__(self, queue: SyncRequestQueue | SyncEngine, directory: SqlBusinessDirectory,
                 verifier_token: str) -> None:
        if not verifier_token:
            raise ValueError("a webhook verifier token is required")
        self._queue = queue
        self._directory = directory
        self._verifier_token = verifier_token

    def accept(self, body: bytes, signature: str | None) -> WebhookReceipt:
        if not verify_intuit_signature(self._verifier_token, body, signature):
            raise WebhookSignatureInvalid("missing or invalid intuit-signature")
        try:
            realms = self._directory.business_ids_for_realms(_named_realms(parse_json(body)))
        except InvalidInput as exc:
            raise WebhookPayloadInvalid(exc.message) from exc
        handler = WebhookHandler(self._queue, lambda realm: realms.get(realm, ()), self._verifier_token)
        try:
            outcome = handler.handle(body, signature)
        except WebhookSignatureError as exc:
            raise WebhookSignatureInvalid(str(exc)) from exc
        except WebhookPayloadError as exc:
            raise WebhookPayloadInvalid(str(exc)) from exc
        return WebhookReceipt(notifications=outcome.notifications, queued=len(outcome.enqueued),
                              unknown_realms=outcome.unknown_realms, ignored_entities=outcome.ignored_entities)


def _named_realms(body: Any) -> set[str]:
    """The realm ids a delivery names, in either of Intuit's formats (what is not a notification is left for
    ``WebhookHandler`` to refuse)."""
    items = body.get("eventNotifications") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return set()
    realms = set()
    for item in items:
        if isinstance(item, dict):
            realm = item.get("realmId") or item.get("intuitaccountid") or item.get("intuitAccountId")
            if realm:
                realms.add(str(realm))
    return realms
