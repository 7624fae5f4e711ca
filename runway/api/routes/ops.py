"""Operations: liveness, readiness, and QBO's webhook (no bearer token: QBO signs its deliveries)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from runway.api.deps import Caller, container
from runway.api.docs import errors
from runway.api.problems import PROBLEM_MEDIA_TYPE, problem_body
from runway.api.schemas import HealthOut, ReadinessOut, ReadyOut, WebhookOut

router = APIRouter()

_WEBHOOK_BODY = {
    "required": True,
    "content": {"application/json": {
        "schema": {"type": "object", "properties": {"eventNotifications": {"type": "array", "items": {
            "type": "object"}}}},
        "example": {"eventNotifications": [{"realmId": "9341453172", "dataChangeEvent": {"entities": [
            {"name": "Bill", "id": "1042", "operation": "Update", "lastUpdated": "2026-11-27T12:00:00.000Z"}]}}]},
    }},
}


@router.get("/health", response_model=HealthOut, tags=["operations"], summary="Liveness")
async def health() -> HealthOut:
    """The process answers. Touches nothing else (no database; ``async`` so it needs no worker thread, which
    requests blocked on a database could all be holding)."""
    return HealthOut()


def _not_ready() -> JSONResponse:
    body = problem_body(503, "storage_unavailable", "the mirror database is not answering", retry_after_seconds=5)
    return JSONResponse(body, status_code=503, media_type=PROBLEM_MEDIA_TYPE, headers={"Retry-After": "5"})


@router.get("/ready", response_model=ReadyOut, tags=["operations"], summary="Readiness",
            responses=errors(503))
def ready(request: Request) -> Response:
    """Ready when the mirror database answers (503 otherwise). Says nothing else: the detail is
    ``/v1/readiness``, behind a token."""
    if container(request).operations.is_ready():
        return JSONResponse(ReadyOut().model_dump(mode="json"))
    return _not_ready()


@router.get("/v1/readiness", response_model=ReadinessOut, tags=["operations"], summary="Readiness in detail",
            responses=errors(401, 503))
def readiness(request: Request, caller: Caller) -> Response:
    """The database, the sync workers' heartbeats (counts and ages) and how fresh the mirror of each client
    of your firm is (503 when the database does not answer)."""
    c = container(request)
    firm_businesses = [b.id for b in c.portfolio.list_businesses(caller.firm.id)]
    report = ReadinessOut.of(c.operations.readiness(firm_businesses))
    if report.status != "ready":
        return _not_ready()
    return JSONResponse(report.model_dump(mode="json"))


@router.post("/v1/webhooks/qbo", response_model=WebhookOut, tags=["operations"], summary="QBO webhook",
             responses=errors(401, 413, 422, 501, 503), openapi_extra={"requestBody": _WEBHOOK_BODY})
async def qbo_webhook(request: Request,
                      intuit_signature: Annotated[str | None, Header(alias="intuit-signature")] = None
                      ) -> WebhookOut:
    """QuickBooks' change notifications (``eventNotifications`` or CloudEvents). The ``intuit-signature``
    header must be the base64 HMAC-SHA256 of the raw body under the app's verifier token (401
    ``invalid_signature`` otherwise; the body is not read before). Notifications only queue syncs of the
    entities they name (coalesced per business); they are never taken as data. A signed body that is not a
    notification is 422; 501 when no verifier token is configured."""
    body = await request.body()
    receipt = await run_in_threadpool(container(request).operations.receive_webhook, body, intuit_signature)
    return WebhookOut(notifications=receipt.notifications, queued=receipt.queued,
                      unknown_realms=receipt.unknown_realms, ignored_entities=receipt.ignored_entities)
