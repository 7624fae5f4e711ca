"""Pattern 3, background sync: jobs that copy QuickBooks Online into the mirror, and what triggers them.

    sync = SyncService(sessions, qbo_client, max_parallel_businesses=4)
    sync.sync_business(business_id)                  # incremental (CDC / query), or full the first time
    sync.sync_all(full=False, progress=callback)     # every business, 4 at a time

    engine = EmbeddedEngine(SyncRequestQueue(sessions))   # or DramatiqEngine(broker, RedisPendingSyncs(...))
    WebhookHandler(engine, store.business_ids_for_realm, verifier_token).handle(raw_body, signature)
    engine.serve(sync, stop_event=stop, interval_seconds=900)   # a worker process

Modules: ``sync`` (the run of one business), ``reads`` (its QBO reads and cursor times), ``pipeline`` (the
bounded fetch pipeline), ``reconcile`` (what a read missed), ``results`` (what it reports), ``cursors``
(QBO timestamps), ``engine`` (the job-engine port and the embedded engine), ``dramatiq_engine`` (Dramatiq
on Redis), ``queue`` (the embedded queue), ``scheduler`` (the embedded worker loop and heartbeats),
``webhooks`` (Intuit webhooks). The database side lives in ``infra.db`` (``entities``, ``sync_store``,
``sync_locks``, ``sync_requests``, ``heartbeats``). This package imports nothing from ``domains`` or
``runway``; jobs are marked ``@sync_job`` (``infra.interfaces.patterns``).
"""

from infra.db.heartbeats import WorkerBeat
from infra.db.sync_requests import SyncRequest
from infra.db.sync_store import QuarantineRecord
from infra.jobs.cursors import format_cursor, offset_of, parse_qbo_time
from infra.jobs.queue import SyncRequestQueue
from infra.jobs.results import BusinessSyncResult, EntitySyncResult, Progress, SyncMode
from infra.jobs.scheduler import Scheduler, SchedulerRound, default_worker_id, live_workers
from infra.jobs.sync import ENTITY_ORDER, SyncConfig, SyncJob, SyncService, normalize_entities
from infra.jobs.webhooks import (
    SIGNATURE_HEADER,
    WebhookError,
    WebhookHandler,
    WebhookOutcome,
    WebhookPayloadError,
    WebhookSignatureError,
    verify_intuit_signature,
)

__all__ = [
    "ENTITY_ORDER",
    "SIGNATURE_HEADER",
    "BusinessSyncResult",
    "EntitySyncResult",
    "Progress",
    "QuarantineRecord",
    "Scheduler",
    "SchedulerRound",
    "SyncConfig",
    "SyncJob",
    "SyncMode",
    "SyncRequest",
    "SyncRequestQueue",
    "SyncService",
    "WebhookError",
    "WebhookHandler",
    "WebhookOutcome",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WorkerBeat",
    "default_worker_id",
    "format_cursor",
    "live_workers",
    "normalize_entities",
    "offset_of",
    "parse_qbo_time",
    "verify_intuit_signature",
]
