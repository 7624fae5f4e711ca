"""The ``/_sandbox/`` admin API: drive a running sandbox from outside the process (or from tests).

No authentication: the sandbox is a local developer tool and must never be exposed. Admin requests
are not counted, limited or faulted. Bodies and answers are JSON.

    GET    /_sandbox/realms                          realm ids, company names, profiles, offsets, entity counts
    POST   /_sandbox/reset          {seed?, size?}   re-seed every realm
    POST   /_sandbox/connect        {realm_id}       new connection: {realm_id, refresh_token, access_token, ...}
    POST   /_sandbox/authorization-code {realm_id, redirect_uri, scope?, client_id?}
                                                     {realm_id, code} for grant_type=authorization_code
    POST   /_sandbox/clock          {advance_seconds} move a ManualClock forward; answers {now}
    GET    /_sandbox/faults                          current switches and limits
    POST   /_sandbox/faults         {...}            set switches (keys below); answers like GET
    DELETE /_sandbox/faults                          all switches off
    GET    /_sandbox/counters                        SandboxCounters.snapshot()
    POST   /_sandbox/counters/reset
    GET    /_sandbox/outbox                          invoices sent by e-mail
    POST   /_sandbox/webhooks       {url, verifier_token?}  (url null: off)
    POST   /_sandbox/webhooks/flush                  wait for queued webhook deliveries
    GET    /_sandbox/realms/{realm}/entities/{Entity}  every row as served (inactive included)
    POST   /_sandbox/realms/{realm}/mutate {entity, operation, body}
           operation: create | update | delete | void | patch | send; no SyncToken needed.

``POST /_sandbox/faults`` keys (all optional): ``latency`` {fixed_ms, per_row_ms}; ``throttle_next`` n or
{count, realm_id, target}; ``fail_next`` {count, status, realm_id, target, after_processing};
``fail_randomly`` {probability, status, realm_id, target}; ``drop_next`` {count, after_processing, realm_id,
target}; ``drop_randomly`` {probability, realm_id, target}; ``expire_access_tokens`` true;
``expire_refresh_tokens`` true or {realm_id}; ``malform`` {realm_id, entity, id, set_fields, drop_fields};
``limits`` {enabled, requests_per_minute, window_seconds, max_concurrent, xml_throttle_body}; ``clear`` true.
``clear`` is applied first, the rest in the order given (the first matching rule is the one a request meets).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .auth import ACCOUNTING_SCOPE, InvalidScope, parse_scopes
from .errors import QboFault
from .responses import plain_json
from .state import SandboxState, UnknownRealm

PREFIX = "/_sandbox"


class AdminRequestError(ValueError):
    """A malformed admin request (answered 400 with the message)."""


class AdminApi:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        endpoints = [
            ("/realms", self.realms, ["GET"]),
            ("/reset", self.reset, ["POST"]),
            ("/connect", self.connect, ["POST"]),
            ("/authorization-code", self.authorization_code, ["POST"]),
            ("/clock", self.clock, ["POST"]),
            ("/faults", self.faults, ["GET", "POST", "DELETE"]),
            ("/counters", self.counters, ["GET"]),
            ("/counters/reset", self.reset_counters, ["POST"]),
            ("/outbox", self.outbox, ["GET"]),
            ("/webhooks", self.webhooks, ["POST"]),
            ("/webhooks/flush", self.flush_webhooks, ["POST"]),
            ("/realms/{realm_id}/entities/{entity}", self.entities, ["GET"]),
            ("/realms/{realm_id}/mutate", self.mutate, ["POST"]),
        ]
        return [Route(PREFIX + path, _guarded(handler), methods=methods) for path, handler, methods in endpoints]

    # ------------------------------------------------------------------------------------ endpoints

    async def realms(self, request: Request) -> Response:
        state = self.state
        return plain_json([{"realm_id": realm_id, "company_name": state.realm(realm_id).company_name,
                            "profile": state.realm(realm_id).profile, "utc_offset": state.realm(realm_id).utc_offset,
                            "counts": state.realm(realm_id).counts()}
                           for realm_id in state.realm_ids])

    async def reset(self, request: Request) -> Response:
        body = await _body(request)
        # Seeding a large company takes seconds: keep the event loop free meanwhile.
        await run_in_threadpool(lambda: self.state.reset(seed=body.get("seed"), size=body.get("size")))
        return await self.realms(request)

    async def connect(self, request: Request) -> Response:
        realm_id = _required(await _body(request), "realm_id")
        tokens = self.state.issue_tokens(str(realm_id))
        return plain_json({"realm_id": tokens.realm_id, **tokens.as_response()})

    async def authorization_code(self, request: Request) -> Response:
        body = await _body(request)
        realm_id = str(_required(body, "realm_id"))
        try:
            scopes = parse_scopes(body.get("scope", ACCOUNTING_SCOPE))
        except InvalidScope as bad:
            raise AdminRequestError(str(bad)) from bad
        code = self.state.issue_authorization_code(realm_id, redirect_uri=str(_required(body, "redirect_uri")),
                                                   client_id=body.get("client_id"), scopes=scopes)
        return plain_json({"realm_id": realm_id, "code": code})

    async def clock(self, request: Request) -> Response:
        seconds = _required(await _body(request), "advance_seconds")
        try:
            self.state.advance_clock(float(seconds))
        except (TypeError, ValueError) as exc:
            raise AdminRequestError(str(exc)) from exc
        return plain_json({"now": self.state.clock.now().astimezone(UTC).isoformat()})

    async def faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.faults.clear()
        elif request.method == "POST":
            self._apply_faults(await _body(request))
        return plain_json({**self.state.faults.describe(),
                           "limits": dataclasses.asdict(self.state.limits.settings)})

    async def counters(self, request: Request) -> Response:
        return plain_json(self.state.counters.snapshot())

    async def reset_counters(self, request: Request) -> Response:
        self.state.counters.reset()
        return plain_json(self.state.counters.snapshot())

    async def outbox(self, request: Request) -> Response:
        return plain_json([{"realm_id": mail.realm_id, "invoice_id": mail.invoice_id, "doc_number": mail.doc_number,
                            "to": mail.to, "sent_at": mail.sent_at.astimezone(UTC).isoformat()}
                           for mail in self.state.outbox()])

    async def webhooks(self, request: Request) -> Response:
        body = await _body(request)
        if "url" not in body:
            raise AdminRequestError("url is required (null turns webhooks off)")
        self.state.webhooks.configure(url=body["url"], verifier_token=body.get("verifier_token"))
        return plain_json({"url": self.state.webhooks.url})

    async def flush_webhooks(self, request: Request) -> Response:
        done = await run_in_threadpool(self.state.webhooks.flush, 10.0)
        return plain_json({"flushed": done})

    async def entities(self, request: Request) -> Response:
        realm = self.state.realm(request.path_params["realm_id"])
        return plain_json(realm.all_entities(request.path_params["entity"], decimal=True))

    async def mutate(self, request: Request) -> Response:
        realm = self.state.realm(request.path_params["realm_id"])
        body = await _body(request)
        entity, operation = str(_required(body, "entity")), str(_required(body, "operation"))
        payload = body.get("body") or {}
        if not isinstance(payload, dict):
            raise AdminRequestError("body must be an object")
        entity_id = str(payload.get("Id", ""))
        if operation == "create":
            result = realm.create(entity, payload)
        elif operation == "update":
            result = realm.update(entity, payload)
        elif operation == "delete":
            result = realm.delete(entity, entity_id, payload.get("SyncToken"))
        elif operation == "void":
            result = realm.void(entity, entity_id, payload.get("SyncToken"))
        elif operation == "patch":
            result = realm.patch(entity, entity_id, {k: v for k, v in payload.items() if k != "Id"})
        elif operation == "send":
            result = realm.send_invoice(entity_id, payload.get("sendTo"))
        else:
            raise AdminRequestError(f"unknown operation {operation!r}")
        return plain_json(result)

    # ---------------------------------------------------------------------------------------- faults

    def _apply_faults(self, body: dict) -> None:
        """Apply the switches in the order given ("clear" first): rule order decides which one a request meets."""
        state, faults = self.state, self.state.faults

        def counted(method):  # accepts n or {"count": n, ...}
            return lambda spec: method(**(spec if isinstance(spec, dict) else {"count": spec}))

        def expire_refresh(spec):
            state.auth.expire_refresh_tokens(spec.get("realm_id") if isinstance(spec, dict) else None)

        def malform(spec):
            spec = dict(spec)
            faults.malform(str(spec.pop("realm_id")), str(spec.pop("entity")), str(spec.pop("id")), **spec)

        switches = {
            "latency": lambda spec: faults.set_latency(**spec),
            "throttle_next": counted(faults.throttle_next),
            "fail_next": counted(faults.fail_next),
            "fail_randomly": lambda spec: faults.fail_randomly(**spec),
            "drop_next": counted(faults.drop_next),
            "drop_randomly": lambda spec: faults.drop_randomly(**spec),
            "expire_access_tokens": lambda spec: spec and state.auth.expire_access_tokens(),
            "expire_refresh_tokens": lambda spec: spec and expire_refresh(spec),
            "malform": malform,
            "limits": lambda spec: state.limits.configure(**spec),
        }
        unknown = sorted(set(body) - set(switches) - {"clear"})
        if unknown:
            raise AdminRequestError(f"unknown fault switches: {', '.join(unknown)}")
        try:
            if body.get("clear"):
                faults.clear()
            for key, spec in body.items():
                if key != "clear":
                    switches[key](spec)
        except (TypeError, KeyError, ValueError) as exc:
            raise AdminRequestError(f"bad fault switch: {exc}") from exc


def _guarded(handler: Any) -> Any:
    """Turn the admin API's expected errors into 400/404 JSON answers."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except AdminRequestError as exc:
            return plain_json({"error": str(exc)}, 400)
        except UnknownRealm as exc:
            return plain_json({"error": f"unknown realm {exc}"}, 404)
        except QboFault as fault:
            return plain_json(fault.body(), fault.status)

    endpoint.__name__ = handler.__name__
    return endpoint


async def _body(request: Request) -> dict:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError as exc:
        raise AdminRequestError("the body must be JSON") from exc
    if not isinstance(body, dict):
        raise AdminRequestError("the body must be a JSON object")
    return body


def _required(body: dict, key: str) -> Any:
    if body.get(key) in (None, ""):
        raise AdminRequestError(f"{key} is required")
    return body[key]
