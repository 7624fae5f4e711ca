"""The record types of the access domain, re-exported for runway (which never imports infra)."""

from infra.interfaces.access import (
    AdvisorRecord,
    ApiTokenRecord,
    BusinessSyncOverview,
    SyncRequestRecord,
    WebhookReceipt,
    WorkerHeartbeatRecord,
)

__all__ = [
    "AdvisorRecord", "ApiTokenRecord", "BusinessSyncOverview", "SyncRequestRecord", "WebhookReceipt",
    "WorkerHeartbeatRecord",
]
