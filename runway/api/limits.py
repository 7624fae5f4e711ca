"""Bounded work per request, before anything else runs: body size limits and strict, bounded JSON.

``BodyLimitMiddleware`` (pure ASGI, outermost) gives every request a body budget chosen by its path: the QBO
webhook gets ``ApiLimits.webhook_max_body_bytes`` (configured), everything else ``action_max_body_bytes``
(small: the largest action body is a few hundred bytes). A declared ``Content-Length`` over the budget is
answered 413 before the application sees the request; a chunked body is counted while it is read and the read
that crosses the budget fails with ``BodyTooLarge`` (answered 413 as a problem). So no request, authenticated
or not, ever holds more than its budget in memory.

Request bodies are parsed by ``runway.jsonbounds.parse_json`` (depth capped, duplicate keys refused).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runway.jsonbounds import MAX_JSON_DEPTH

DEFAULT_ACTION_MAX_BODY_BYTES = 16 * 1024
DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
WEBHOOK_PATH = "/v1/webhooks/qbo"


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """Per-request bounds: body sizes by route kind and the JSON nesting depth."""

    action_max_body_bytes: int = DEFAULT_ACTION_MAX_BODY_BYTES
    webhook_max_body_bytes: int = DEFAULT_WEBHOOK_MAX_BODY_BYTES
    max_json_depth: int = MAX_JSON_DEPTH

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
