"""A synchronous, thread-safe client of the QBO v3 data API.

One ``QboClient`` serves every realm and every thread of a process. Each data request:

1. gets an access token from the ``TokenManager`` (refreshed first when it expires within the margin),
2. waits for a slot of the realm's limiter (``RealmLimiterRegistry`` shared by the process's threads, or
   ``RedisRealmLimiterRegistry`` shared by every process),
3. is sent with ``Authorization: Bearer``, ``Accept: application/json``, ``minorversion`` and, on writes
   given one, ``requestid``; a 401 answer refreshes the token once and repeats the request once,
4. is logged (logger ``infra.qbo``: method, path, status, intuit_tid, duration),
5. fails as an ``infra.interfaces.errors`` exception; a 429 pauses the realm for every thread,
6. is retried as ``infra.qbo._retry`` says (reads, and writes with a ``requestid``).

Bodies are decoded with non-integer numbers as ``Decimal`` and encoded with ``Decimal`` verbatim.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import tenacity

from infra.interfaces.errors import QboThrottledError, QboUnavailableError
from infra.qbo import _json
from infra.qbo._json import get_ci
from infra.qbo._retry import retrying
from infra.qbo.auth import Now, TokenManager, _utcnow
from infra.qbo.config import QboClientConfig
from infra.qbo.errors import MalformedEntityError
from infra.qbo.faults import error_from_response, error_from_transport
from infra.qbo.limiter import LimiterRegistry
from infra.qbo.tokens import OAuthTokens, TokenStore

__all__ = ["CDC_MAX_OBJECTS", "MAX_PAGE_SIZE", "OnTime", "QboClient", "qbo_literal", "select_statement"]

logger = logging.getLogger("infra.qbo")

MAX_PAGE_SIZE = 1000  # QBO's MAXRESULTS ceiling
CDC_MAX_OBJECTS = 1000  # QBO answers at most this many objects per CDC call

#: Called with the ``time`` member of a QBO answer (None when it has none).
OnTime = Callable[[str | None], None]

_ENTITY = re.compile(r"^[A-Za-z]+$")
_REALM = re.compile(r"^[\w-]+$")


def select_statement(entity: str, where: str | None = None, order_by: str | None = "Id",
                     start_position: int | None = None, max_results: int | None = None) -> str:
    """``SELECT * FROM <entity> [WHERE ...] [ORDERBY ...] [STARTPOSITION n] [MAXRESULTS n]``.

    ``where`` is inserted as written: quote literals with ``qbo_literal``.
    """
    _check_entity(entity)
    parts = [f"SELECT * FROM {entity}"]
    if where:
        parts.append(f"WHERE {where}")
    if order_by:
        parts.append(f"ORDERBY {order_by}")
    if start_position is not None:
        parts.append(f"STARTPOSITION {int(start_position)}")
    if max_results is not None:
        parts.append(f"MAXRESULTS {int(max_results)}")
    return " ".join(parts)


def qbo_literal(value: str) -> str:
    """A string literal for a QBO query: single-quoted, with ``'`` and ``\\`` escaped by a backslash."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _check_entity(entity: str) -> None:
    if not _ENTITY.match(entity):
        raise ValueError(f"not a QBO entity name: {entity!r}")


@dataclass(frozen=True, slots=True)
class _Call:
    method: str
    path: str  # below /company/{realm}
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str | None = None
    idempotent: bool = True
    entity: str | None = None  # for error messages
    entity_id: str | None = None


class QboClient:
    """The QBO v3 data API for any number of realms, usable from many threads at once.

    ``transport`` replaces the network (``httpx.MockTransport`` in tests); ``sleep`` is what retries wait
    with; ``now`` is the wall clock used for token expiry.
    """

    def __init__(self, config: QboClientConfig, token_store: TokenStore, limiter_registry: LimiterRegistry,
                 transport: httpx.BaseTransport | None = None, *,
                 sleep: Callable[[float], None] = time.sleep, now: Now = _utcnow) -> None:
        self.config = config
        self.limiters = limiter_registry
        self._sleep = sleep
        timeout = httpx.Timeout(connect=config.connect_timeout_seconds, read=config.read_timeout_seconds,
                                write=config.write_timeout_seconds, pool=config.pool_timeout_seconds)
        limits = httpx.Limits(max_connections=config.max_connections,
                              max_keepalive_connections=config.max_connections)
        self._http = httpx.Client(transport=transport, timeout=timeout, limits=limits, follow_redirects=False,
                                  headers={"User-Agent": config.user_agent})
        self.tokens = TokenManager(config, token_store, self._http, now=now)

    # -- lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> QboClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # -- connecting a company ---------------------------------------------------------------------

    def exchange_authorization_code(self, realm_id: str, code: str, redirect_uri: str) -> OAuthTokens:
        """Connect a company (see ``TokenManager.exchange_authorization_code``)."""
        return self.tokens.exchange_authorization_code(realm_id, code, redirect_uri)

    # -- reading ----------------------------------------------------------------------------------

    def query(self, realm_id: str, statement: str, *, on_time: OnTime | None = None) -> dict:
        """Run one query statement; returns the ``QueryResponse`` object (``{}`` when nothing matched).

        ``on_time``, when given, is called with the ``time`` QBO stamped on its answer (the instant on QBO's
        clock, in the company's offset), or None when the answer carries none: what sync cursors are
        taken from (every read method below takes it too)."""
        body = self._execute(realm_id, _Call("GET", "/query", {"query": statement}))
        _report_time(body, on_time)
        response = get_ci(body, "QueryResponse")
        if not isinstance(response, dict):
            raise QboUnavailableError(f"QBO query answer has no QueryResponse (realm {realm_id})",
                                      realm_id=realm_id)
        return response

    def count(self, realm_id: str, entity: str, where: str | None = None, *, on_time: OnTime | None = None) -> int:
        """``SELECT COUNT(*)`` of an entity, optionally filtered."""
        _check_entity(entity)
        statement = f"SELECT COUNT(*) FROM {entity}" + (f" WHERE {where}" if where else "")
        total = self.query(realm_id, statement, on_time=on_time).get("totalCount", 0)
        try:
            return int(total)
        except (TypeError, ValueError) as exc:
            raise QboUnavailableError(f"QBO count answer unreadable: {total!r}", realm_id=realm_id) from exc

    def query_page(self, realm_id: str, entity: str, start_position: int, where: str | None = None,
                   order_by: str | None = "Id", page_size: int = MAX_PAGE_SIZE, *, on_time: OnTime | None = None
                   ) -> list[dict]:
        """The rows of one page (``STARTPOSITION`` is 1-based)."""
        _check_page_size(page_size)
        statement = select_statement(entity, where, order_by, start_position, page_size)
        rows = get_ci(self.query(realm_id, statement, on_time=on_time), entity) or []
        if not isinstance(rows, list):
            raise QboUnavailableError(f"QBO query answer holds no {entity} list (realm {realm_id})",
                                      realm_id=realm_id)
        return rows

    def query_page_raw(self, realm_id: str, entity: str, start_position: int, where: str | None = None,
                       order_by: str | None = "Id", page_size: int = MAX_PAGE_SIZE, *, on_time: OnTime | None = None
                       ) -> list[msgspec.Raw]:
        """``query_page`` with every row left undecoded (``msgspec.Raw``): for a reader that needs a few
        fields of most rows and every field of only a few (the sync's balance re-read decodes each row
        with a small typed decoder, and in full with ``infra.qbo._json.loads`` only the rows it writes).
        Building every row as dicts and ``Decimal``s would cost most of the page's CPU for nothing."""
        _check_page_size(page_size)
        statement = select_statement(entity, where, order_by, start_position, page_size)
        body = self._execute(realm_id, _Call("GET", "/query", {"query": statement}), decode=_json.loads_members)
        if on_time is not None:
            stamp = get_ci(body, "time")
            on_time(_decoded_str(stamp))
        try:
            response = _json.loads_members(get_ci(body, "QueryResponse"))
            rows = get_ci(response, entity)
            return [] if rows is None else _json.loads_rows(rows)
        except (TypeError, ValueError) as exc:  # no QueryResponse object, or no list of rows in it
            raise QboUnavailableError(f"QBO query answer holds no {entity} list (realm {realm_id})",
                                      realm_id=realm_id) from exc

    def query_all(self, realm_id: str, entity: str, where: str | None = None, order_by: str | None = "Id",
                  page_size: int = MAX_PAGE_SIZE) -> Iterator[dict]:
        """Every matching row, page after page (``STARTPOSITION``/``MAXRESULTS``) until a short page (the
        live gateway's small reads; the sync pages through QBO concurrently on its own)."""
        _check_page_size(page_size)
        start = 1
        while True:
            rows = self.query_page(realm_id, entity, start, where, order_by, page_size)
            yield from rows
            if len(rows) < page_size:
                return
            start += page_size

    def read(self, realm_id: str, entity: str, entity_id: str) -> dict:
        """One entity by Id."""
        _check_entity(entity)
        call = _Call("GET", f"/{entity.lower()}/{quote(str(entity_id), safe='')}", entity=entity,
                     entity_id=str(entity_id))
        return self._entity(realm_id, call)

    def report(self, realm_id: str, name: str, params: dict[str, str] | None = None) -> dict:
        """One report of the Reports API (``GET /reports/<name>``) as QBO's JSON (``Header``, ``Columns``,
        ``Rows``); ``params`` are the report's own query parameters (e.g. ``report_date``)."""
        _check_entity(name)
        body = self._execute(realm_id, _Call("GET", f"/reports/{name}", dict(params or {})))
        if not isinstance(get_ci(body, "Header"), dict):
            raise QboUnavailableError(f"QBO answered the {name} report without a Header (realm {realm_id})",
                                      realm_id=realm_id)
        return body

    def company_info(self, realm_id: str) -> dict:
        call = _Call("GET", f"/companyinfo/{quote(realm_id, safe='')}", entity="CompanyInfo", entity_id=realm_id)
        return self._entity(realm_id, call)

    def cdc(self, realm_id: str, entities: Sequence[str], changed_since: datetime | str, *,
            on_time: OnTime | None = None) -> dict[str, list[dict]]:
        """Objects of ``entities`` changed since then (at most 30 days back), hard deletes included as
        ``{"status": "Deleted", "Id": ..., "MetaData": ...}`` markers. Every entity asked for is a key.

        QBO answers at most ``CDC_MAX_OBJECTS`` objects per call: a list that long may be truncated, so
        the caller should fall back to paged queries for that entity.
        """
        if not entities:
            return {}
        for entity in entities:
            _check_entity(entity)
        if isinstance(changed_since, datetime):
            if changed_since.tzinfo is None:
                raise ValueError("changed_since must be timezone-aware")
            changed_since = changed_since.isoformat()
        call = _Call("GET", "/cdc", {"entities": ",".join(entities), "changedSince": changed_since})
        body = self._execute(realm_id, call)
        _report_time(body, on_time)
        result: dict[str, list[dict]] = {entity: [] for entity in entities}
        by_lower = {entity.lower(): entity for entity in entities}
        responses = get_ci(body, "CDCResponse")
        if not isinstance(responses, list):
            raise QboUnavailableError(f"QBO CDC answer has no CDCResponse (realm {realm_id})", realm_id=realm_id)
        for item in responses:
            if not isinstance(item, dict):
                continue
            query_responses = get_ci(item, "QueryResponse") or []
            if isinstance(query_responses, dict):
                query_responses = [query_responses]
            for qr in query_responses:
                if not isinstance(qr, dict):
                    continue
                for key, value in qr.items():
                    if isinstance(value, list):
                        name = by_lower.get(key.lower(), key)
                        result.setdefault(name, []).extend(v for v in value if isinstance(v, dict))
        return result

    # -- writing ----------------------------------------------------------------------------------

    def create(self, realm_id: str, entity: str, body: dict, request_id: str | None = None) -> dict:
        """Create an entity; with ``request_id`` a repeat answers the first result (and is retried)."""
        _check_entity(entity)
        return self._entity(realm_id, self._write(f"/{entity.lower()}", body, request_id, entity))

    def sparse_update(self, realm_id: str, entity: str, entity_id: str, sync_token: str, fields: dict,
                      request_id: str | None = None) -> dict:
        """Change only ``fields``; a stale ``sync_token`` raises ``QboStaleObjectError`` (re-read, retry)."""
        _check_entity(entity)
        body = {**fields, "Id": str(entity_id), "SyncToken": str(sync_token), "sparse": True}
        return self._entity(realm_id, self._write(f"/{entity.lower()}", body, request_id, entity, entity_id))

    def delete(self, realm_id: str, entity: str, entity_id: str, sync_token: str,
               request_id: str | None = None) -> dict:
        """Delete an entity; returns QBO's answer (``{"status": "Deleted", "Id": ...}``)."""
        _check_entity(entity)
        body = {"Id": str(entity_id), "SyncToken": str(sync_token)}
        call = self._write(f"/{entity.lower()}", body, request_id, entity, entity_id,
                           params={"operation": "delete"})
        return self._entity(realm_id, call)

    def send_invoice(self, realm_id: str, invoice_id: str, send_to: str | None, request_id: str | None = None
                     ) -> dict:
        """E-mail an invoice (to ``send_to``, else its ``BillEmail``); returns the invoice as QBO now holds it."""
        params = {"sendTo": send_to} if send_to else {}
        if request_id is not None:
            params["requestid"] = request_id
        call = _Call("POST", f"/invoice/{quote(str(invoice_id), safe='')}/send", params, content=b"",
                     content_type="application/octet-stream", idempotent=request_id is not None,
                     entity="Invoice", entity_id=str(invoice_id))
        return self._entity(realm_id, call)

    @staticmethod
    def _write(path: str, body: dict, request_id: str | None, entity: str, entity_id: str | None = None, *,
               params: dict[str, str] | None = None) -> _Call:
        params = dict(params or {})
        if request_id is not None:
            if not request_id:
                raise ValueError("request_id must not be empty")
            params["requestid"] = request_id
        return _Call("POST", path, params, content=_json.dumps(body), content_type="application/json",
                     idempotent=request_id is not None, entity=entity,
                     entity_id=None if entity_id is None else str(entity_id))

    # -- machinery --------------------------------------------------------------------------------

    def _entity(self, realm_id: str, call: _Call) -> dict:
        body = self._execute(realm_id, call)
        obj = get_ci(body, call.entity or "")
        if not isinstance(obj, dict):
            raise MalformedEntityError(call.entity or "?", call.entity_id,
                                       f"answer holds no {call.entity} object", realm_id=realm_id)
        return obj

    def _execute(self, realm_id: str, call: _Call, decode: Callable[[bytes], Any] = _json.loads) -> dict:
        """Send ``call`` (retried as configured); the answer's body decoded by ``decode`` (to a dict)."""
        if not _REALM.match(realm_id):
            raise ValueError(f"not a QBO realm id: {realm_id!r}")

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.warning("QBO %s %s attempt %d failed (%s); retrying in %.2f s", call.method,
                           self._log_path(realm_id, call), state.attempt_number, exc,
                           state.next_action.sleep if state.next_action else 0.0,
                           extra={"realm_id": realm_id})

        for attempt in retrying(self.config, call.idempotent, self._sleep, before_sleep):
            with attempt:
                return self._attempt(realm_id, call, decode)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _attempt(self, realm_id: str, call: _Call, decode: Callable[[bytes], Any]) -> dict:
        token = self.tokens.access_token(realm_id)
        response = self._send(realm_id, call, token)
        if response.status_code == 401:
            token = self.tokens.refresh_after_401(realm_id, token)
            response = self._send(realm_id, call, token)
        if response.is_success:
            try:
                body = decode(response.content)
            except ValueError as exc:
                raise QboUnavailableError(
                    f"QBO answered HTTP {response.status_code} with a body that is not JSON (realm {realm_id})",
                    intuit_tid=response.headers.get("intuit_tid"), status_code=response.status_code,
                    realm_id=realm_id) from exc
            if isinstance(body, dict) and get_ci(body, "Fault") is None:
                return body
        error = error_from_response(response, realm_id,
                                    default_retry_after=self.config.throttle_default_wait_seconds)
        if isinstance(error, QboThrottledError):
            pause = error.retry_after_seconds
            self.limiters.pause(realm_id, self.config.throttle_default_wait_seconds if pause is None else pause)
        raise error

    @staticmethod
    def _log_path(realm_id: str, call: _Call) -> str:
        return f"/company/{realm_id}{call.path}"

    def _send(self, realm_id: str, call: _Call, token: str) -> httpx.Response:
        path = self._log_path(realm_id, call)
        params = {**call.params, "minorversion": str(self.config.minorversion)}
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if call.content_type:
            headers["Content-Type"] = call.content_type
        with self.limiters.slot(realm_id, self.config.limiter_timeout_seconds):
            started = time.perf_counter()
            try:
                response = self._http.request(call.method, self.config.base_url + path, params=params,
                                              content=call.content, headers=headers)
            except httpx.HTTPError as exc:
                ms = (time.perf_counter() - started) * 1000
                logger.warning("QBO %s %s -> %s after %.0f ms", call.method, path, type(exc).__name__, ms,
                               extra={"realm_id": realm_id, "method": call.method, "path": path,
                                      "status": None, "intuit_tid": None, "duration_ms": ms})
                raise error_from_transport(exc, realm_id, call.method, path) from exc
        ms = (time.perf_counter() - started) * 1000
        tid = response.headers.get("intuit_tid")
        level = logging.INFO if response.is_success else logging.WARNING
        logger.log(level, "QBO %s %s -> %d intuit_tid=%s %.0f ms", call.method, path, response.status_code,
                   tid, ms, extra={"realm_id": realm_id, "method": call.method, "path": path,
                                   "status": response.status_code, "intuit_tid": tid, "duration_ms": ms})
        return response


def _decoded_str(raw: Any) -> str | None:
    """A string member left undecoded (``msgspec.Raw``), or None when it is absent or not a string."""
    if raw is None:
        return None
    try:
        value = _json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _report_time(body: dict, on_time: OnTime | None) -> None:
    if on_time is not None:
        stamp = get_ci(body, "time")
        on_time(stamp if isinstance(stamp, str) else None)


def _check_page_size(page_size: int) -> None:
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")

