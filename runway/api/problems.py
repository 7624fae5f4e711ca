"""Errors as RFC 9457 problem details (``application/problem+json``), and the one place that maps domain
and infra exceptions to HTTP status codes.

Every failure answers ``{type, title, status, detail, code}`` plus, where it applies, ``field`` (the input
at fault), ``errors`` (every invalid input of a request) and ``retry_after_seconds`` (with a ``Retry-After``
header). ``code`` is stable; clients branch on it, never on ``title`` or ``detail``.

| exception | status | code |
|---|---|---|
| ``Unauthenticated`` (no, malformed, unknown or revoked token) | 401 + ``WWW-Authenticate`` | ``unauthorized`` |
| ``WebhookRejected`` (bad ``intuit-signature``) | 401 | ``invalid_signature`` |
| ``NotFound`` (also: another firm's business) | 404 | ``not_found`` |
| ``ActionRefused`` (QuickBooks refused the write; nothing was done) | 409 | ``action_refused`` |
| ``InvalidInput``, request validation errors | 422 | ``invalid_input`` |
| ``IdempotencyKeyReused`` | 422 | ``idempotency_key_reused`` |
| a payment without ``Idempotency-Key`` | 400 | ``idempotency_key_required`` |
| a body over its route's limit (``runway.api.limits``) | 413 | ``body_too_large`` |
| ``NotConfigured("qbo")`` | 503 | ``qbo_not_configured`` |
| ``NotConfigured("sync")`` / ``NotConfigured("webhooks")`` | 501 | ``not_implemented`` |
| ``LiveDataUnavailable`` (QuickBooks unreachable, throttled, reconnect) | 503 + ``Retry-After`` | ``qbo_unavailable`` |
| ``StorageError`` (the mirror database failed) | 503 + ``Retry-After`` | ``storage_unavailable`` |
| anything else | 500 | ``internal_error`` (no detail leaked) |

``ActionRefused`` is 409, not 422: the request itself was well-formed and valid for Runway; it conflicts
with the state QuickBooks holds (e.g. the bill changed since the last sync).
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from domains.core.errors import ActionRefused, DomainError, InvalidInput, LiveDataUnavailable, NotFound
from infra.interfaces.errors import StorageError
from runway.api.deps import deferred_token_refused
from runway.api.idempotency import KEY_HEADER
from runway.api.limits import BodyTooLarge
from runway.services.authentication import Unauthenticated
from runway.services.idempotency import IdempotencyKeyReused
from runway.services.operations import NotConfigured, WebhookRejected

logger = logging.getLogger("runway.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://runway.example/problems/"
DEFAULT_QBO_RETRY_AFTER = 30
DEFAULT_STORAGE_RETRY_AFTER = 5

TITLES = {
    "unauthorized": "Unauthorized",
    "invalid_signature": "Invalid webhook signature",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "action_refused": "Action refused by QuickBooks",
    "invalid_input": "Invalid input",
    "idempotency_key_reused": "Idempotency key reused",
    "idempotency_key_required": "Idempotency key required",
    "body_too_large": "Request body too large",
    "qbo_not_configured": "QuickBooks not configured",
    "not_implemented": "Not implemented",
    "qbo_unavailable": "QuickBooks unavailable",
    "storage_unavailable": "Storage unavailable",
    "internal_error": "Internal error",
    "http_error": "HTTP error",
}


class FieldError(BaseModel):
    field: str = Field(examples=["amount"])
    location: str = Field(description="where the field was: path, query, header or body", examples=["body"])
    message: str = Field(examples=["String should match pattern '^\\d{1,10}(\\.\\d{1,2})?$'"])


class Problem(BaseModel):
    """An RFC 9457 problem detail. ``code`` is the stable, machine-readable reason."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "type": "https://runway.example/problems/not_found", "title": "Not found", "status": 404,
        "detail": "business 42 not found", "code": "not_found"}]})

    type: str = Field(description="a URI naming the problem type")
    title: str
    status: int
    detail: str
    code: str = Field(description="stable reason: unauthorized, not_found, invalid_input, qbo_unavailable, ...")
    field: str | None = Field(None, description="the input at fault (invalid_input)")
    errors: list[FieldError] | None = Field(None, description="every invalid input of the request")
    retry_after_seconds: int | None = Field(None, description="when to try again (also the Retry-After header)")
    limit_bytes: int | None = Field(None, description="the route's body limit (body_too_large)")


class ApiProblem(Exception):
    """Raised inside the API to answer a problem directly."""

    def __init__(self, status: int, code: str, detail: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_body(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + code, "title": TITLES.get(code, "Error"), "status": status,
                            "detail": detail, "code": code}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(problem: ApiProblem) -> JSONResponse:
    return JSONResponse(problem_body(problem.status, problem.code, problem.detail, **problem.extra),
                        status_code=problem.status, media_type=PROBLEM_MEDIA_TYPE, headers=problem.headers)


def render_body_too_large(exc: BodyTooLarge) -> tuple[str, bytes]:
    """The 413 problem as (media type, body), for ``BodyLimitMiddleware`` (which answers before the app)."""
    body = problem_body(413, "body_too_large", str(exc.detail), limit_bytes=exc.limit)
    return PROBLEM_MEDIA_TYPE, json.dumps(body).encode()


def render_timeout(seconds: float) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The answer to a request that ran out of time (``DeadlineMiddleware``): 503 ``storage_unavailable``."""
    retry = DEFAULT_STORAGE_RETRY_AFTER
    body = json.dumps(problem_body(503, "storage_unavailable", f"no answer within {seconds:g} s: the mirror "
                                   "database (or QuickBooks) is not answering; try again shortly (a payment "
                                   "retried with the same Idempotency-Key is never made twice)",
                                   retry_after_seconds=retry))
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"retry-after", str(retry).encode()),
               (b"content-length", str(len(body)).encode())]
    return 503, headers, body.encode()


def _retry_after(seconds: float | None, default: int) -> int:
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return default
    return max(1, math.ceil(seconds))


def problem_for(exc: Exception) -> ApiProblem:
    """The problem answering ``exc``: the mapping in this module's docstring."""
    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, Unauthenticated):
        return ApiProblem(401, "unauthorized", str(exc), headers={"WWW-Authenticate": 'Bearer realm="runway"'})
    if isinstance(exc, WebhookRejected):
        return ApiProblem(401, "invalid_signature", str(exc))
    if isinstance(exc, NotFound):
        return ApiProblem(404, "not_found", str(exc))
    if isinstance(exc, ActionRefused):
        return ApiProblem(409, "action_refused", str(exc))
    if isinstance(exc, InvalidInput):
        return ApiProblem(422, "invalid_input", exc.message, field=exc.field)
    if isinstance(exc, IdempotencyKeyReused):
        return ApiProblem(422, "idempotency_key_reused", str(exc), field=KEY_HEADER)
    if isinstance(exc, NotConfigured):
        if exc.feature == "qbo":
            return ApiProblem(503, "qbo_not_configured", str(exc))
        return ApiProblem(501, "not_implemented", str(exc))
    if isinstance(exc, LiveDataUnavailable):
        seconds = _retry_after(exc.retry_after_seconds, DEFAULT_QBO_RETRY_AFTER)
        return ApiProblem(503, "qbo_unavailable", str(exc), headers={"Retry-After": str(seconds)},
                          retry_after_seconds=seconds)
    if isinstance(exc, StorageError):
        logger.error("mirror database failed: %s", exc)
        seconds = DEFAULT_STORAGE_RETRY_AFTER
        return ApiProblem(503, "storage_unavailable", "the mirror database is not answering; try again shortly",
                          headers={"Retry-After": str(seconds)}, retry_after_seconds=seconds)
    logger.exception("unhandled error", exc_info=exc)
    return ApiProblem(500, "internal_error", "an unexpected error occurred; it has been logged")


def _field_error(error: dict[str, Any]) -> FieldError:
    loc = [str(part) for part in error.get("loc", ())]
    location = loc[0] if loc else "request"
    field = ".".join(loc[1:]) if len(loc) > 1 else location
    return FieldError(field=field, location=location, message=str(error.get("msg", "invalid")))


_HTTP_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
               422: "invalid_input"}


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem."""

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        refused = await deferred_token_refused(request)  # an unauthenticated caller learns nothing of its input
        if refused is not None:
            return problem_response(problem_for(refused))
        errors = [_field_error(e) for e in exc.errors()]
        first = errors[0] if errors else FieldError(field="request", location="request", message="invalid")
        detail = f"{first.field}: {first.message}"
        return problem_response(ApiProblem(422, "invalid_input", detail, field=first.field,
                                           errors=[e.model_dump() for e in errors]))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's "error parsing the body" (a body that is not JSON/UTF-8): answered like a malformed
            # JSON body, which FastAPI itself reports as a validation error.
            detail = exc.detail if isinstance(exc.detail, str) else "the body could not be parsed"
            return problem_response(ApiProblem(422, "invalid_input", detail, field="body", errors=[
                FieldError(field="body", location="body", message=detail).model_dump()]))
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(code, "error")
        extra = {"limit_bytes": exc.limit} if isinstance(exc, BodyTooLarge) else {}
        return problem_response(ApiProblem(exc.status_code, code, detail, headers=dict(exc.headers or {}), **extra))

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(problem_for(exc))

    @app.exception_handler(ApiProblem)
    async def _api(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(StorageError)
    async def _storage(request: Request, exc: StorageError) -> JSONResponse:
        return problem_response(problem_for(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(problem_for(exc))
