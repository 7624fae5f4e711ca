"""Bounded work per request, before anything else runs: body size limits, strict and bounded JSON, and a
deadline.

``BodyLimitMiddleware`` (pure ASGI, outermost) gives every request a body budget chosen by its path: the QBO
webhook gets ``ApiLimits.webhook_max_body_bytes`` (configured), everything else ``action_max_body_bytes``
(small: the largest action body is a few hundred bytes). A declared ``Content-Length`` over the budget is
answered 413 before the application sees the request; a chunked body is counted while it is read and the read
that crosses the budget fails with ``BodyTooLarge`` (answered 413 as a problem). So no request, authenticated
or not, ever holds more than its budget in memory.

Request bodies are parsed by ``runway.jsonbounds.parse_json`` (depth capped, duplicate keys refused).

``DeadlineMiddleware`` answers 503 for a request not answered within its deadline (``ApiLimits.deadline``: 5 s
for mirror reads, 30 s for requests that wait on QuickBooks), so a database that stops answering never holds a
client; ``/health`` and the documentation have none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runway.jsonbounds import MAX_JSON_DEPTH

logger = logging.getLogger("runway.api")

DEFAULT_ACTION_MAX_BODY_BYTES = 16 * 1024
DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
WEBHOOK_PATH = "/v1/webhooks/qbo"
DEFAULT_REQUEST_TIMEOUT_SECONDS = 5.0
DEFAULT_LIVE_REQUEST_TIMEOUT_SECONDS = 30.0
# Paths that never touch the database and must answer even when it hangs: no deadline needed or wanted.
NO_DEADLINE_PATHS = frozenset({"/health", "/docs", "/redoc", "/openapi.json"})


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """Per-request bounds: body sizes by route kind, the JSON nesting depth and the deadlines."""

    action_max_body_bytes: int = DEFAULT_ACTION_MAX_BODY_BYTES
    webhook_max_body_bytes: int = DEFAULT_WEBHOOK_MAX_BODY_BYTES
    max_json_depth: int = MAX_JSON_DEPTH
    request_timeout_seconds: float = DEFAULT_REQUEST_TIMEOUT_SECONDS
    live_request_timeout_seconds: float = DEFAULT_LIVE_REQUEST_TIMEOUT_SECONDS

    def deadline(self, method: str, path: str) -> float:
        """How long a request may go unanswered: Pattern 2 requests (writes, and ``/cash``) wait on QuickBooks,
        its retries and back-off too, so they get longer than the mirror's reads."""
        live = method != "GET" or path.endswith("/cash")
        return self.live_request_timeout_seconds if live else self.request_timeout_seconds

    def body_limit(self, path: str) -> int:
        return self.webhook_max_body_bytes if path == WEBHOOK_PATH else self.action_max_body_bytes


class BodyTooLarge(HTTPException):
    """The request body exceeds its route's limit (answered 413 ``body_too_large``)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")
        self.limit = limit


def _too_large_response(refusal: Refusal, limit: int) -> tuple[Message, Message]:
    media_type, body = refusal(BodyTooLarge(limit))
    start: Message = {"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close")]}
    return start, {"type": "http.response.body", "body": body}


# Renders a refusal as (media type, body): the app's problem renderer, handed in by ``create_app``.
Refusal = Callable[[BodyTooLarge], tuple[str, bytes]]


class BodyLimitMiddleware:
    """Refuses request bodies over their route's limit while they are read (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: ApiLimits, refusal: Refusal) -> None:
        self.app = app
        self.limits = limits
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.body_limit(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            for message in _too_large_response(self.refusal, limit):
                await send(message)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, bounded_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# Renders the answer to a request that ran out of time as (status, headers, body).
TimeoutAnswer = Callable[[float], tuple[int, list[tuple[bytes, bytes]], bytes]]


class DeadlineMiddleware:
    """Answers a request that has not started its answer within its deadline (``ApiLimits.deadline``) with the
    app's timeout answer (503 ``storage_unavailable``, ``Retry-After``): a database that accepts connections but
    stops answering must not hold clients for minutes. A payment cut short is safe to retry with the same
    ``Idempotency-Key``.

    The handler itself cannot be interrupted (it runs in a worker thread, blocked in the driver), so it is
    left to finish in the background and whatever it sends afterwards is dropped. The database's own bounds
    (statement, connect and pool timeouts) eventually free its thread and connection.
    """

    def __init__(self, app: ASGIApp, limits: ApiLimits, answer: TimeoutAnswer) -> None:
        self.app = app
        self.limits = limits
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in NO_DEADLINE_PATHS:
            await self.app(scope, receive, send)
            return
        seconds = self.limits.deadline(scope.get("method", "GET"), scope.get("path", ""))
        started = asyncio.Event()
        abandoned = False

        async def guarded_send(message: Message) -> None:
            if abandoned:
                return
            if message["type"] == "http.response.start":
                started.set()
            await send(message)

        handler = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        answer_started = asyncio.ensure_future(started.wait())
        try:
            await asyncio.wait({handler, answer_started}, timeout=seconds,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            answer_started.cancel()
        if started.is_set() or handler.done():
            await handler  # streams the rest of the answer, or raises what the app raised
            return
        abandoned = True
        handler.add_done_callback(_log_late_failure)
        _LATE.add(handler)
        handler.add_done_callback(_LATE.discard)
        status, headers, body = self.answer(seconds)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# Handlers that outlived their deadline, kept referenced until they finish (asyncio keeps only weak ones).
_LATE: set[asyncio.Future[None]] = set()


def _log_late_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.warning("a request abandoned at its deadline failed later: %s", task.exception())
