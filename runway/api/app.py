"""``create_app(services)``: the FastAPI application over the ``Services`` that ``runway.bootstrap`` wires.

No globals and no settings are read here: everything the routes use comes from the services handed in
(kept in ``app.state.container``, read back typed by ``runway.api.deps.container``). The API layer imports
domains, runway services and infra's interfaces (records, errors), never infra's implementation.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from runway.api import problems
from runway.api.docs import add_body_schemas, require_header, use_problem_media_type
from runway.api.idempotency import KEY_HEADER
from runway.api.limits import ApiLimits, BodyLimitMiddleware, DeadlineMiddleware
from runway.api.routes import actions, ops, reads
from runway.container import Services

API_VERSION = "1.0.0"
DESCRIPTION = """Cash runway for the clients of an accounting firm, from QuickBooks Online.

**Authentication.** Every `/v1` route except the QBO webhook takes `Authorization: Bearer rk_...`
(`runway token create --advisor EMAIL`). You see only your firm's client businesses: any other business id
answers 404, exactly like an id that does not exist.

**Money** is a string with two decimals (`"1250.00"`), never a float.

**Freshness.** Reads answer from the mirror of QuickBooks (they never wait for QuickBooks) and say how fresh
it is in `freshness`; stale data is answered and flagged, never hidden. `/cash` reads QuickBooks live and
says when it fell back to the mirror.

**Limits.** Action bodies are at most a few kilobytes and the webhook's body has a configured limit (413
`body_too_large` beyond); JSON bodies may not repeat a key or nest deeply. Payments require an
`Idempotency-Key` header.

**Errors** are RFC 9457 problem details (`application/problem+json`) with a stable `code`.
"""

TAGS = [
    {"name": "console", "description": "All clients of your firm."},
    {"name": "client", "description": "One client: digest, prep tray, runway, cash."},
    {"name": "bills", "description": "Accounts payable (Pattern 1)."},
    {"name": "invoices", "description": "Accounts receivable (Pattern 1)."},
    {"name": "actions", "description": "Writes through QuickBooks (Pattern 2) and sync requests."},
    {"name": "operations", "description": "Liveness, readiness, QBO webhooks."},
]


def create_app(services: Services, *, limits: ApiLimits | None = None) -> FastAPI:
    """The API over ``services`` (``runway.bootstrap.build_container`` or ``runway.bootstrap.wire``), with
    the per-request bounds ``limits`` (body sizes, JSON depth; the defaults when None)."""
    if not isinstance(services, Services):
        raise TypeError(f"create_app takes runway.container.Services, not {type(services).__name__}: "
                        "build it with runway.bootstrap.build_container")
    limits = limits or ApiLimits()
    # redirect_slashes=False: "/v1/console/" is a 404, not a redirect whose Location echoes the Host header.
    app = FastAPI(title="Runway API", version=API_VERSION, description=DESCRIPTION, openapi_tags=TAGS,
                  redirect_slashes=False)
    app.state.container = services
    app.state.limits = limits
    # Outermost: a body over its route's limit is refused before any other work, authentication included.
    app.add_middleware(DeadlineMiddleware, limits=limits, answer=problems.render_timeout)
    app.add_middleware(BodyLimitMiddleware, limits=limits, refusal=problems.render_body_too_large)
    problems.install(app)
    app.include_router(ops.router)
    app.include_router(reads.router)
    app.include_router(actions.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes, tags=app.openapi_tags)
            app.openapi_schema = require_header(add_body_schemas(use_problem_media_type(schema)), KEY_HEADER)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
