"""The sandbox as one ASGI application: ``create_sandbox_app(state)``.

Routes come from ``data_api`` (/v3), ``oauth_api`` (OAuth/OpenID) and ``admin_api`` (/_sandbox). This
module adds what every answer shares:
- an ``intuit_tid`` header on every response (unique per answer, as Intuit sends);
- the count of answers by status (``state.counters``);
- dropped connections: a handler raises ``DropConnection`` and the connection is closed without a
  single byte of answer, so an HTTP client sees "server disconnected without sending a response";
- unknown paths (404) and methods a path does not take (405) are answered with a QBO ``Fault`` body and a
  ``time`` member, never Starlette's plain text.

Closing a connection from inside an ASGI app needs the server's transport. ``SandboxServer`` runs
uvicorn with a protocol that puts ``transport.abort`` into the request scope's ``state`` under
``TRANSPORT_ABORT_KEY``. Under any other server the app falls back to starting a response and failing,
which ASGI servers answer by closing the connection mid-answer (the client then sees an incomplete
response instead of none).
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Router
from starlette.types import Message, Receive, Scope, Send

from .admin_api import AdminApi
from .data_api import DataApi
from .errors import method_not_allowed, unknown_resource
from .oauth_api import OAuthApi
from .responses import DropConnection, fault_answer, new_intuit_tid
from .state import SandboxState

TRANSPORT_ABORT_KEY = "qbo_sandbox.abort_connection"


class SandboxApp:
    """ASGI entry point of one sandbox (see the module docstring)."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.router = Router(routes=[*DataApi(state).routes(), *OAuthApi(state).routes(),
                                     *AdminApi(state).routes()], default=self._not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        tid = new_intuit_tid().encode()
        counters = self.state.counters

        async def send_with_tid(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"intuit_tid", tid)]}
                counters.count_status(message["status"])
            await send(message)

        # With an "app" in the scope, a route refusing the method raises HTTPException instead of answering
        # plain text, so the 405 can be answered as a Fault like everything else.
        scope.setdefault("app", self)
        try:
            await self.router(scope, receive, send_with_tid)
        except DropConnection:
            await _drop_connection(scope, receive, send)
        except HTTPException as refused:
            request = Request(scope)
            fault = method_not_allowed(request.method, request.url.path, (refused.headers or {}).get("Allow", ""))
            response = fault_answer(fault, self.state.clock.now(), None).response(refused.headers)
            await response(scope, receive, send_with_tid)

    async def _not_found(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        fault = unknown_resource(request.url.path, str(request.url))
        await fault_answer(fault, self.state.clock.now(), None).response()(scope, receive, send)


async def _drop_connection(scope: Scope, receive: Receive, send: Send) -> None:
    abort = (scope.get("state") or {}).get(TRANSPORT_ABORT_KEY)
    if abort is None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        raise ConnectionAbortedError("qbo sandbox: injected dropped connection")
    abort()
    # Wait for the server to notice, so it does not try to answer the request itself.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2):
            while (await receive())["type"] != "http.disconnect":
                pass


def create_sandbox_app(state: SandboxState) -> SandboxApp:
    """The ASGI app serving ``state``."""
    return SandboxApp(state)
