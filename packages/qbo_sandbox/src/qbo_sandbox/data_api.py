"""QBO's v3 data API under ``/v3/company/{realmId}/``: query, read, write, send, CDC, batch, reports,
preferences and sales-form PDFs.

Every request goes through ``DataApi._serve`` in this order, which is also the order a client sees
problems in:

1. injected faults that strike before any work (throttle burst, 500/503, dropped connection);
2. authentication: a live Bearer access token (401, lower-case fault, otherwise), issued for this realm
   with the ``com.intuit.quickbooks.accounting`` scope (403 AuthorizationFault otherwise);
3. ``minorversion``: absent or >= the configured minimum (ValidationFault otherwise);
4. limits: the realm's concurrency cap, its per-second and per-minute rates and, for ``/batch``, its batch
   rate (429 / fault 3001, see ``limits.py``);
5. the work itself (business faults are ordinary 400 answers), guarded by ``requestid`` for writes;
6. injected faults that strike after the work (``after_processing`` drops and errors);
7. injected latency, then the answer.

Handlers run on the event loop and call the realm store synchronously: store operations are short
and hold only the realm's lock, and answering from one thread keeps counters exact.

Voids are asked for the way Intuit documents per entity (``rules.check_void_request``):
``POST /invoice?operation=void``; ``POST /payment|billpayment|salesreceipt?operation=update&include=void``;
in a batch, ``"operation": "update", "optionsData": "void"``. A Bill has no void.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .auth import ACCOUNTING_SCOPE, AccessDenied
from .clock import parse_instant
from .encoding import loads_body
from .entities import find_spec, require_spec
from .errors import (
    QboFault,
    authorization_failure,
    invalid_value,
    object_not_found,
    query_parser_error,
    required_param_missing,
    system_failure,
    unsupported_operation,
)
from .fault_injection import FaultRule
from .pdf import render_sales_form_pdf
from .query import parse_query
from .reports import build_report
from .responses import (
    Answer,
    DropConnection,
    authentication_answer,
    fault_answer,
    json_answer,
    throttle_answer,
)
from .rules import check_void_request
from .state import SandboxState, UnknownRealm
from .store import RealmStore

MAX_BATCH_ITEMS = 30
BATCH_OPERATIONS = ("create", "update", "delete")
PDF = "application/pdf"
#: Sales forms Intuit renders as PDF (``GET /{entity}/{id}/pdf``).
PDF_ENTITIES = frozenset({"Invoice", "SalesReceipt"})
LATENCY_HEADER = "x-sandbox-injected-latency-ms"


class DataApi:
    """The /v3 endpoints of one sandbox."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        prefix = "/v3/company/{realm_id}"
        return [
            Route(prefix + "/query", self.query, methods=["GET", "POST"]),
            Route(prefix + "/cdc", self.cdc, methods=["GET"]),
            Route(prefix + "/batch", self.batch, methods=["POST"]),
            Route(prefix + "/reports/{report}", self.report, methods=["GET"]),
            Route(prefix + "/preferences", self.preferences, methods=["GET"]),
            Route(prefix + "/invoice/{entity_id}/send", self.send_invoice, methods=["POST"]),
            Route(prefix + "/{entity}/{entity_id}/pdf", self.pdf, methods=["GET"]),
            Route(prefix + "/{entity}/{entity_id}", self.read, methods=["GET"]),
            Route(prefix + "/{entity}", self.write, methods=["POST"]),
        ]

    # ------------------------------------------------------------------------------------ endpoints

    async def query(self, request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace").strip()
        text = body or request.query_params.get("query", "")
        return await self._serve(request, lambda realm: self._query(realm, text))

    async def read(self, request: Request) -> Response:
        entity, entity_id = request.path_params["entity"], request.path_params["entity_id"]
        return await self._serve(request, lambda realm: self._read(realm, entity, entity_id))

    async def write(self, request: Request) -> Response:
        raw = await request.body()
        entity, params = request.path_params["entity"], request.query_params
        operation, void_style = params.get("operation") or "save", None
        if params.get("include") == "void":
            void_style = "include"  # Payment, BillPayment, SalesReceipt: operation=update&include=void
        elif operation == "void":
            void_style = "operation"  # Invoice
        return await self._serve(request, lambda realm: realm.idempotent(
            params.get("requestid"), lambda: self._write(realm, entity, operation, raw, void_style)))

    async def report(self, request: Request) -> Response:
        name, params = request.path_params["report"], dict(request.query_params)
        return await self._serve(request, lambda realm: self._ok(realm, build_report(realm, name, params)))

    async def preferences(self, request: Request) -> Response:
        return await self._serve(request, lambda realm: self._read(realm, "Preferences", "1"))

    async def pdf(self, request: Request) -> Response:
        entity, entity_id = request.path_params["entity"], request.path_params["entity_id"]
        accept = request.headers.get("accept", "*/*")
        return await self._serve(request, lambda realm: self._pdf(realm, entity, entity_id, accept))

    async def send_invoice(self, request: Request) -> Response:
        entity_id, params = request.path_params["entity_id"], request.query_params
        await request.body()
        return await self._serve(request, lambda realm: realm.idempotent(
            params.get("requestid"), lambda: self._send(realm, entity_id, params.get("sendTo"))))

    async def cdc(self, request: Request) -> Response:
        params = request.query_params
        return await self._serve(request, lambda realm: self._cdc(realm, params.get("entities"),
                                                                   params.get("changedSince")))

    async def batch(self, request: Request) -> Response:
        raw = await request.body()
        return await self._serve(request, lambda realm: realm.idempotent(
            request.query_params.get("requestid"), lambda: self._batch(realm, raw)), batch=True)

    # ------------------------------------------------------------------------------------- pipeline

    async def _serve(self, request: Request, work: Callable[[RealmStore], Answer], *, batch: bool = False
                     ) -> Response:
        state = self.state
        realm_id = request.path_params["realm_id"]
        realm = state.realm(realm_id) if state.has_realm(realm_id) else None
        state.counters.count_request(realm_id)

        rule = state.faults.take("data", realm_id)
        if rule is not None:
            return self._injected(rule, realm_id, realm)

        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else None
        try:
            grant = state.auth.authenticate(token)
        except AccessDenied as denied:
            return authentication_answer(str(denied), state.clock.now())
        if grant.realm_id != realm_id or realm is None:
            return self._fault(authorization_failure(realm_id), realm).response()
        if ACCOUNTING_SCOPE not in grant.scopes:
            return self._fault(authorization_failure(
                realm_id, f"The access token was not granted the {ACCOUNTING_SCOPE} scope"), realm).response()

        minor_fault = self._check_minor_version(request.query_params.get("minorversion"))
        if minor_fault is not None:
            return self._fault(minor_fault, realm).response()

        refusal = state.limits.admit(realm_id, batch=batch)
        if refusal is not None:
            state.counters.count_throttled(realm_id)
            return self._throttle(refusal, realm).response()
        try:
            try:
                answer = work(realm)
            except QboFault as fault:
                answer = self._fault(fault, realm)
            except UnknownRealm:
                answer = self._fault(authorization_failure(realm_id), realm)

            rule = state.faults.take("data", realm_id, after_processing=True)
            if rule is not None:
                return self._injected(rule, realm_id, realm)

            headers = {}
            delay_ms = state.faults.delay_ms(answer.rows)
            if delay_ms > 0:
                delay_ms = await self._sleep(delay_ms)
                state.counters.add_latency(delay_ms)
                headers[LATENCY_HEADER] = f"{delay_ms:g}"
            return answer.response(headers)
        finally:
            state.limits.release(realm_id)

    def _check_minor_version(self, value: str | None) -> QboFault | None:
        minimum = self.state.config.minimum_minor_version
        if value is None or minimum is None:
            return None
        if not value.isdigit():
            return invalid_value("minorversion", f"minorversion must be a number, not {value!r}")
        if int(value) < minimum:
            return invalid_value("minorversion", f"minorversion {value} is no longer supported; "
                                                 f"the minimum supported minor version is {minimum}")
        return None

    def _injected(self, rule: FaultRule, realm_id: str, realm: RealmStore | None) -> Response:
        counters = self.state.counters
        if rule.kind == "drop":
            counters.add("dropped_connections")
            raise DropConnection
        if rule.kind == "throttle":
            counters.add("injected_throttles")
            counters.count_throttled(realm_id)
            return self._throttle("Injected throttle burst", realm).response()
        counters.add("injected_errors")
        return self._fault(system_failure(rule.status), realm).response()

    async def _sleep(self, milliseconds: float) -> float:
        """Sleep without blocking the loop; stop early when latency settings change (see faults).

        Returns the delay to report: the injected one, or the time actually waited if cut short.
        """
        faults = self.state.faults
        generation = faults.latency_generation
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + milliseconds / 1000
        while (left := deadline - loop.time()) > 0:
            if faults.latency_generation != generation:
                return round((loop.time() - started) * 1000, 3)
            await asyncio.sleep(min(left, 0.05))
        return milliseconds

    # -------------------------------------------------------------------------------------- answers

    def _ok(self, realm: RealmStore, payload: dict, rows: int = 0) -> Answer:
        return json_answer(payload, self.state.clock.now(), realm.tz, rows=rows)

    def _fault(self, fault: QboFault, realm: RealmStore | None) -> Answer:
        return fault_answer(fault, self.state.clock.now(), realm.tz if realm else None)

    def _throttle(self, detail: str, realm: RealmStore | None) -> Answer:
        xml = self.state.limits.settings.xml_throttle_body
        return throttle_answer(detail, self.state.clock.now(), realm.tz if realm else None, xml=xml)

    def _present(self, realm: RealmStore, entity: str, rows: list[dict]) -> list[dict]:
        """Rows as served: with any injected malformation applied."""
        faults = self.state.faults
        if not faults.has_malformations:
            return rows
        served = []
        for row in rows:
            damage = faults.malformation(realm.realm_id, entity, str(row.get("Id")))
            if damage is not None:
                self.state.counters.add("malformed_served")
                row = damage.apply(row)
            served.append(row)
        return served

    # --------------------------------------------------------------------------------------- work

    def _query(self, realm: RealmStore, text: str) -> Answer:
        if not text:
            raise query_parser_error("no query statement was sent")
        query = parse_query(text)
        result = realm.query(query)
        if query.count:
            return self._ok(realm, {"QueryResponse": {"totalCount": result.total}})
        return self._ok(realm, {"QueryResponse": self._query_response(realm, query.entity, result.rows,
                                                                      query.start_position)},
                        rows=len(result.rows))

    def _query_response(self, realm: RealmStore, entity: str, rows: list[dict], start: int) -> dict:
        if not rows:
            return {}
        return {entity: self._present(realm, entity, rows), "startPosition": start, "maxResults": len(rows)}

    def _read(self, realm: RealmStore, entity: str, entity_id: str) -> Answer:
        spec = require_spec(entity)
        if spec.name == "CompanyInfo":
            # Read as /companyinfo/{realmId}; the object itself has Id "1", as in QBO.
            row = realm.row("CompanyInfo", "1") if entity_id in (realm.realm_id, "1") else None
        else:
            row = realm.row(spec.name, entity_id)
        if row is None:
            raise object_not_found(spec.name, entity_id)
        return self._ok(realm, {spec.name: self._present(realm, spec.name, [row])[0]}, rows=1)

    def _write(self, realm: RealmStore, entity: str, operation: str, raw: bytes, void_style: str | None) -> Answer:
        # Faults are rendered here, inside the requestid guard, so a repeated request gets them too.
        try:
            spec = require_spec(entity)
            if void_style == "include":
                if operation != "update":
                    raise invalid_value("operation", "include=void voids with operation=update")
                operation = "void"
            if void_style is not None:
                check_void_request(spec.name, void_style)
            result = realm.write(spec.name, operation, _json_body(raw))
            return self._ok(realm, {spec.name: self._present(realm, spec.name, [result])[0]}, rows=1)
        except QboFault as fault:
            return self._fault(fault, realm)

    def _pdf(self, realm: RealmStore, entity: str, entity_id: str, accept: str) -> Answer:
        spec = require_spec(entity)
        if spec.name not in PDF_ENTITIES:
            raise unsupported_operation(f"PDF for {spec.name}")
        if not _accepts_pdf(accept):
            raise invalid_value("Accept", f"A PDF is served as {PDF}: send Accept: {PDF}")
        row = realm.row(spec.name, entity_id)
        if row is None:
            raise object_not_found(spec.name, entity_id)
        company = realm.row("CompanyInfo", "1") or {}
        return Answer(200, render_sales_form_pdf(spec.name, row, company.get("CompanyName", realm.company_name),
                                                 voided=realm.is_voided(spec.name, entity_id)),
                      rows=1, content_type=PDF)

    def _send(self, realm: RealmStore, invoice_id: str, send_to: str | None) -> Answer:
        try:
            row = realm.send_invoice(invoice_id, send_to)
            return self._ok(realm, {"Invoice": self._present(realm, "Invoice", [row])[0]}, rows=1)
        except QboFault as fault:
            return self._fault(fault, realm)

    def _cdc(self, realm: RealmStore, entities: str | None, changed_since: str | None) -> Answer:
        if not entities:
            raise required_param_missing("entities")
        if not changed_since:
            raise required_param_missing("changedSince")
        try:
            since = parse_instant(changed_since, realm.tz)
        except ValueError:
            raise invalid_value("changedSince", f"Invalid date-time: {changed_since!r}") from None
        names = [name.strip() for name in entities.split(",") if name.strip()]
        responses, total = [], 0
        for name, objects in realm.changes_since(names, since):
            responses.append(self._query_response(realm, name, objects, 1))
            total += len(objects)
        return self._ok(realm, {"CDCResponse": [{"QueryResponse": responses}]}, rows=total)

    def _batch(self, realm: RealmStore, raw: bytes) -> Answer:
        try:
            body = _json_body(raw)
            items = body.get("BatchItemRequest") if isinstance(body, dict) else None
            if not isinstance(items, list) or not items:
                raise required_param_missing("BatchItemRequest")
            if len(items) > MAX_BATCH_ITEMS:
                raise invalid_value("BatchItemRequest", f"A batch holds at most {MAX_BATCH_ITEMS} items")
        except QboFault as fault:
            return self._fault(fault, realm)
        responses, rows = [], 0
        for item in items:
            answer, count = self._batch_item(realm, item)
            responses.append(answer)
            rows += count
        return self._ok(realm, {"BatchItemResponse": responses}, rows=rows)

    def _batch_item(self, realm: RealmStore, item: Any) -> tuple[dict, int]:
        batch_id = item.get("bId") if isinstance(item, dict) else None
        try:
            if not isinstance(item, dict):
                raise invalid_value("BatchItemRequest", "Each batch item must be an object")
            if "Query" in item:
                query = parse_query(str(item["Query"]))
                result = realm.query(query)
                if query.count:
                    return {"bId": batch_id, "QueryResponse": {"totalCount": result.total}}, 0
                response = self._query_response(realm, query.entity, result.rows, query.start_position)
                return {"bId": batch_id, "QueryResponse": response}, len(result.rows)
            names = [key for key in item if find_spec(key) is not None]
            if len(names) != 1:
                raise invalid_value("BatchItemRequest", "Each batch item names exactly one entity or a Query")
            spec = require_spec(names[0])
            operation = item.get("operation")
            if operation not in BATCH_OPERATIONS:
                raise invalid_value("operation", f"Batch operation must be one of {', '.join(BATCH_OPERATIONS)}, "
                                                 f"not {operation!r}")
            options = item.get("optionsData")
            if options not in (None, "", "void"):
                raise invalid_value("optionsData", f"Unsupported optionsData {options!r}")
            if options == "void":
                if operation != "update":
                    raise invalid_value("optionsData", "optionsData void goes with operation update")
                check_void_request(spec.name, "batch")
                operation = "void"
            result = realm.write(spec.name, operation, item[names[0]])
            return {"bId": batch_id, spec.name: self._present(realm, spec.name, [result])[0]}, 1
        except QboFault as fault:
            return {"bId": batch_id, **fault.body()}, 0


def _accepts_pdf(accept: str) -> bool:
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    return bool(types & {PDF, "application/*", "*/*"})


def _json_body(raw: bytes) -> Any:
    try:
        return loads_body(raw or b"{}")
    except ValueError:
        raise invalid_value("", "The request body is not valid JSON") from None
