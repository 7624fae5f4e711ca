"""Turn QBO's failure answers and httpx's exceptions into ``infra.interfaces.errors`` exceptions.

QBO answers failures in several shapes, all handled here:

- JSON ``{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type": "ValidationFault"}}``;
- JSON with lower-case keys on 401: ``{"fault": {"error": [{"message", "detail", "code"}], "type": "AUTHENTICATION"}}``;
- XML, seen on throttling even when JSON was asked for:
  ``<IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>...</Message></Error></Fault></IntuitResponse>``;
- anything else (an HTML 502 page from a proxy, an empty body): only the HTTP status is known.

Mapping, first match wins:

======================================================  =========================
HTTP 429, or fault code 3001                            ``QboThrottledError``
HTTP 401/403, or type Authentication/AuthorizationFault ``QboAuthError``
fault code 5010                                         ``QboStaleObjectError``
HTTP 5xx, or type SystemFault                           ``QboUnavailableError``
any other answer (ValidationFault, other 4xx)           ``QboValidationError``
======================================================  =========================

Every exception carries the ``intuit_tid`` header, the (first) fault code, the HTTP status and the realm.
"""

from __future__ import annotations

import email.utils
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from infra.interfaces.errors import (
    QboAuthError,
    QboError,
    QboStaleObjectError,
    QboThrottledError,
    QboUnavailableError,
    QboValidationError,
)
from infra.qbo._json import get_ci
from infra.qbo.errors import QboRequestNotSent

__all__ = [
    "Fault",
    "FaultError",
    "error_from_response",
    "error_from_transport",
    "parse_fault",
    "retry_after_seconds",
]

THROTTLE_CODE = "3001"
STALE_OBJECT_CODE = "5010"

# httpx exceptions raised before any byte of the request was sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True, slots=True)
class FaultError:
    code: str | None
    message: str | None
    detail: str | None = None
    element: str | None = None


@dataclass(frozen=True, slots=True)
class Fault:
    """A parsed QBO fault: its ``type`` (e.g. ``ValidationFault``) and its errors, in order."""

    type: str | None
    errors: tuple[FaultError, ...]

    @property
    def code(self) -> str | None:
        return next((e.code for e in self.errors if e.code), None)

    def describe(self) -> str:
        parts = []
        for e in self.errors:
            text = e.message or ""
            if e.detail and e.detail != e.message:
                text = f"{text}: {e.detail}" if text else e.detail
            if e.element:
                text = f"{text} (element {e.element})"
            if text:
                parts.append(text)
        return "; ".join(parts) or (self.type or "fault without message")


def _str_or_none(value) -> str | None:
    return None if value is None or value == "" else str(value)


def _fault_from_json(data) -> Fault | None:
    if not isinstance(data, dict):
        return None
    fault = get_ci(data, "Fault")
    if not isinstance(fault, dict):
        return None
    raw_errors = get_ci(fault, "Error") or []
    if isinstance(raw_errors, dict):
        raw_errors = [raw_errors]
    errors = tuple(
        FaultError(code=_str_or_none(get_ci(e, "code")), message=_str_or_none(get_ci(e, "Message")),
                   detail=_str_or_none(get_ci(e, "Detail")), element=_str_or_none(get_ci(e, "element")))
        for e in raw_errors if isinstance(e, dict))
    return Fault(type=_str_or_none(get_ci(fault, "type")), errors=errors)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _fault_from_xml(text: str) -> Fault | None:
    try:
        if "<!DOCTYPE" in text or "<!ENTITY" in text:
            raise ET.ParseError("DTDs are not parsed")  # QBO sends none; never expand entities
        root = ET.fromstring(text)
    except ET.ParseError:
        match = re.search(r'<Error[^>]*\bcode="(\d+)"', text)
        return Fault(type=None, errors=(FaultError(code=match.group(1), message=None),)) if match else None
    fault = root if _local(root.tag) == "Fault" else next(
        (el for el in root.iter() if _local(el.tag) == "Fault"), None)
    if fault is None:
        return None
    errors = []
    for el in fault:
        if _local(el.tag) != "Error":
            continue
        texts = {_local(child.tag): (child.text or "").strip() for child in el}
        errors.append(FaultError(code=_str_or_none(el.get("code")), message=_str_or_none(texts.get("Message")),
                                 detail=_str_or_none(texts.get("Detail")), element=_str_or_none(el.get("element"))))
    return Fault(type=_str_or_none(fault.get("type")), errors=tuple(errors))


def parse_fault(content: bytes) -> Fault | None:
    """The fault in a QBO answer body (JSON in either casing, or XML); None when there is none."""
    text = content.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            return _fault_from_json(json.loads(text))
        except ValueError:
            return None
    if text.startswith("<") and ("<IntuitResponse" in text or "<Fault" in text):
        return _fault_from_xml(text)
    return None


def retry_after_seconds(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _is_auth_type(fault_type: str | None) -> bool:
    return bool(fault_type) and fault_type.lower().startswith(("authentication", "authorization"))


def error_from_response(response: httpx.Response, realm_id: str | None, *,
                        default_retry_after: float | None = None) -> QboError:
    """The exception for a failed QBO answer (the caller decides that it failed)."""
    status = response.status_code
    tid = response.headers.get("intuit_tid")
    fault = parse_fault(response.content)
    code = fault.code if fault else None
    fault_type = fault.type if fault else None
    if fault is not None:
        message = f"QBO {fault_type or 'fault'}: {fault.describe()}"
    else:
        kind = "an empty body" if not response.content.strip() else "a non-fault body"
        message = f"QBO answered HTTP {status} with {kind}"
    if realm_id:
        message = f"{message} (realm {realm_id})"
    common = {"intuit_tid": tid, "fault_code": code, "status_code": status, "realm_id": realm_id}

    if status == 429 or code == THROTTLE_CODE:
        wait = retry_after_seconds(response.headers)
        return QboThrottledError(message, retry_after_seconds=wait if wait is not None else default_retry_after,
                                 **common)
    if status in (401, 403) or _is_auth_type(fault_type):
        return QboAuthError(message, **common)
    if code == STALE_OBJECT_CODE:
        return QboStaleObjectError(message, **common)
    if status >= 500 or (fault_type or "").lower() == "systemfault":
        return QboUnavailableError(message, **common)
    if 400 <= status < 500 or fault is not None:
        return QboValidationError(message, **common)
    return QboUnavailableError(message, **common)  # an unexpected 1xx/2xx/3xx failure


def error_from_transport(exc: httpx.HTTPError, realm_id: str | None, method: str, path: str
                         ) -> QboUnavailableError:
    """The exception for an httpx failure (timeout, refused or dropped connection, protocol error).

    Failures before the request left (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``) give
    ``QboRequestNotSent``, which is safe to retry for any request. Raise it ``from exc``.
    """
    cls = QboRequestNotSent if isinstance(exc, _NOT_SENT) else QboUnavailableError
    what = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
    detail = str(exc) or type(exc).__name__
    suffix = f" (realm {realm_id})" if realm_id else ""
    return cls(f"QBO request {method} {path} {what}: {type(exc).__name__}: {detail}{suffix}", realm_id=realm_id)
