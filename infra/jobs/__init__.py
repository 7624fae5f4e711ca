"""Pattern 3, background sync: jobs that copy QuickBooks Online into the mirror, and what triggers them.

    sync = SyncService(sessions, qbo_client, max_parallel_businesses=4)
    sync.sync_business(business_id)                  # incremental (CDC / query), or full the first time
    sync.sync_all(full=False, progress=callback)     # every business, 4 at a time

    queue = SyncRequestQueue(sessions)               # persisted, coalescing sync requests
    WebhookHandler(queue, store.business_id_for_realm, verifier_token).handle(raw_body, signature)
    Scheduler(sync, queue, interval_seconds=900, stop_event=stop).run()

Modules: ``sync`` (the sync itself), ``results`` (what it reports), ``cursors`` (QBO timestamps),
``queue`` (sync requests), ``scheduler`` (the worker loop and heartbeats), ``webhooks`` (Intuit webhooks).
The database side lives in ``infra.db.sync_store``. This package imports nothing from ``domains`` or
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
