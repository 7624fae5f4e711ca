"""Answer bodies shared by the sandbox's HTTP modules.

``Answer`` is a fully rendered answer (status, bytes, how many objects it carries). It is what the
``requestid`` cache stores, so a repeated request gets the very same bytes back.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from typing import Any

from starlette.responses import Response

from .clock import qbo_response_time
from .encoding import dumps
from .errors import AuthenticationFailure, QboFault, throttle_exceeded, throttle_xml

JSON = "application/json"


class DropConnection(Exception):
    """Raised by a handler to make the server close the connection without answering (see app.py)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    rows: int = 0
    content_type: str = JSON

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return Response(self.body, self.status, headers, media_type=self.content_type)


def new_intuit_tid() -> str:
    """A unique transaction id shaped like Intuit's (``1-<hex time>-<24 hex>``)."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def json_answer(payload: dict, now: datetime, tz: timezone | None, *, status: int = 200, rows: int = 0) -> Answer:
    """A data-API JSON answer: ``payload`` plus QBO's ``time`` member (company offset, milliseconds)."""
    return Answer(status, dumps({**payload, "time": qbo_response_time(now, tz or UTC)}), rows)


def fault_answer(fault: QboFault, now: datetime, tz: timezone | None) -> Answer:
    return json_answer(fault.body(), now, tz, status=fault.status)


def throttle_answer(detail: str, now: datetime, tz: timezone | None, *, xml: bool) -> Answer:
    """429 / fault 3001, as JSON or as the XML body Intuit sometimes sends instead."""
    if xml:
        return Answer(429, throttle_xml(qbo_response_time(now, tz or UTC)), content_type="application/xml")
    return fault_answer(throttle_exceeded(detail), now, tz)


def authentication_answer(detail: str, now: datetime) -> Response:
    """401 with Intuit's lower-case fault body (its ``time`` is epoch milliseconds, as Intuit sends it)."""
    body = {**AuthenticationFailure(detail).body(), "time": int(now.timestamp() * 1000)}
    return Response(dumps(body), 401, {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
                    media_type=JSON)


def plain_json(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response without QBO's ``time`` member (OAuth and admin endpoints)."""
    return Response(dumps(payload), status, headers, media_type=JSON)
