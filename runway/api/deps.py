"""FastAPI dependencies: the services, the authenticated advisor, and the tenancy check.

``client_business`` is the one dependency every ``/v1/businesses/{business_id}/...`` route uses; it asks
``PortfolioService.business_for_firm``, so tenant isolation is decided in exactly one place and another
firm's business answers the same 404 as one that does not exist.

Read routes (``one_snapshot``) take ``SnapshotCaller`` / ``SnapshotBusiness`` instead: the same checks, made by
``one_snapshot`` inside the answer's read transaction rather than in transactions (and worker threads) of
their own before it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from domains.core.errors import InvalidInput
from infra.interfaces.records import BusinessRecord
from runway.api.limits import ApiLimits
from runway.container import Services
from runway.jsonbounds import parse_json
from runway.services.authentication import Principal, Unauthenticated
from runway.services.operations import NotConfigured

# Ids are PostgreSQL ``integer``s: anything larger cannot name a row (and must not reach the driver).
MAX_ID = 2_147_483_647
# A path id is written one way only: "01", "+1" and "1.0" name nothing.
CANONICAL_ID_PATTERN = r"^[1-9][0-9]{0,9}$"

bearer = HTTPBearer(auto_error=False, scheme_name="ApiToken",
                    description="An API token: `Authorization: Bearer rk_...` (create one with `runway token create`).")


def container(request: Request) -> Services:
    """The services this app was created with (``create_app(services)``)."""
    services = request.app.state.container
    if not isinstance(services, Services):
        raise TypeError(f"app.state.container is {type(services).__name__}, not runway.container.Services")
    return services


def authenticated(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    if credentials is None:
        raise Unauthenticated("an API token is required: send 'Authorization: Bearer rk_...'")
    return container(request).authentication.authenticate(credentials.credentials)


def api_limits(request: Request) -> ApiLimits:
    """The per-request bounds this app was created with."""
    limits = getattr(request.app.state, "limits", None)
    return limits if isinstance(limits, ApiLimits) else ApiLimits()


BusinessIdPath = Annotated[str, Path(pattern=CANONICAL_ID_PATTERN, max_length=10,
                                     description="a client business of your firm (a positive integer, written "
                                                 "without sign or leading zero)", examples=["3"])]


def client_business(request: Request, principal: Annotated[Principal, Depends(authenticated)],
                    business_id: BusinessIdPath) -> BusinessRecord:
    """The business named in the path if it belongs to the caller's firm; 404 otherwise."""
    return _business_of(container(request), principal, business_id)


def _business_of(services: Services, principal: Principal, business_id: str) -> BusinessRecord:
    number = int(business_id)
    if number > MAX_ID:
        raise InvalidInput("business_id", f"business_id must be at most {MAX_ID}")
    return services.portfolio.business_for_firm(principal.firm.id, number)


@dataclass(frozen=True, slots=True)
class _DeferredCaller:
    """A bearer token not yet checked: ``one_snapshot`` authenticates it inside the answer's transaction."""

    token: str


@dataclass(frozen=True, slots=True)
class _DeferredBusiness:
    """A path's business not yet checked: ``one_snapshot`` authenticates the caller, then checks the business
    is a client of the caller's firm, inside the answer's transaction."""

    caller: _DeferredCaller
    business_id: str


async def deferred_caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                          ) -> _DeferredCaller:
    """The token of a read route (no database: a coroutine, so no worker thread either); ``one_snapshot``
    checks it."""
    if credentials is None:
        raise Unauthenticated("an API token is required: send 'Authorization: Bearer rk_...'")
    return _DeferredCaller(credentials.credentials)


async def deferred_business(caller: Annotated[_DeferredCaller, Depends(deferred_caller)],
                            business_id: BusinessIdPath) -> _DeferredBusiness:
    """The path's business of a read route; ``one_snapshot`` checks it (as ``client_business`` does)."""
    return _DeferredBusiness(caller, business_id)


def _resolve(services: Services, value: Any, principals: dict[str, Principal]) -> Any:
    """``value`` with a deferred caller authenticated and a deferred business checked (each token once)."""
    if isinstance(value, _DeferredCaller):
        if value.token not in principals:
            principals[value.token] = services.authentication.authenticate(value.token)
        return principals[value.token]
    if isinstance(value, _DeferredBusiness):
        return _business_of(services, _resolve(services, value.caller, principals), value.business_id)
    return value


def _takes_a_deferred_token(dependant: Any) -> bool:
    return any(sub.call is deferred_caller or _takes_a_deferred_token(sub) for sub in dependant.dependencies)


async def deferred_token_refused(request: Request) -> Unauthenticated | None:
    """For a read route whose input failed validation: the refusal of its token, if it is refused.

    ``one_snapshot`` routes check the token inside the answer's transaction, after FastAPI validated the
    path and query; a caller whose token would be refused is answered 401, not told which input is wrong
    (as routes that authenticate in a dependency do). One database read, on the error path only."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not _takes_a_deferred_token(dependant):
        return None
    credentials = await bearer(request)
    if credentials is None:
        return Unauthenticated("an API token is required: send 'Authorization: Bearer rk_...'")
    try:
        await run_in_threadpool(container(request).authentication.authenticate, credentials.credentials)
    except Unauthenticated as refused:
        return refused
    return None


F = TypeVar("F", bound=Callable[..., Any])


def one_snapshot(handler: F) -> F:
    """Run a read route's handler in one read transaction (``Services.read_scope``): every mirror read of
    its answer - figures and freshness alike - comes from one snapshot, over one connection. The handler
    must take ``request: Request``. Its ``SnapshotCaller`` and ``SnapshotBusiness`` parameters are checked
    first, in the same transaction: one transaction and one worker thread per answer, authentication and
    the tenancy check included."""

    @functools.wraps(handler)
    def in_one_transaction(*args: Any, **kwargs: Any) -> Any:
        services = container(kwargs["request"])
        with services.read_scope():
            principals: dict[str, Principal] = {}
            resolved = {name: _resolve(services, value, principals) for name, value in kwargs.items()}
            return handler(*args, **resolved)

    return cast(F, in_one_transaction)


M = TypeVar("M", bound=BaseModel)


def json_body(model: type[M], *, required: bool) -> Callable[..., Awaitable[M | None]]:
    """A dependency reading the request's JSON body as ``model`` *after* the caller is authenticated.

    FastAPI reads and parses a declared body before any dependency runs, so an unauthenticated caller could
    make the server parse whatever it sends; routes take their body through this instead. The body is
    bounded by ``BodyLimitMiddleware`` and parsed by ``parse_json`` (depth capped, duplicate keys refused).
    The route documents it with ``docs.request_body(model)``."""

    async def read_body(request: Request, _caller: Annotated[Principal, Depends(authenticated)]) -> M | None:
        raw = await request.body()
        if not raw.strip():
            if required:
                raise InvalidInput("body", "a JSON body is required")
            return None
        data = parse_json(raw, max_depth=api_limits(request).max_json_depth)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise RequestValidationError([{**error, "loc": ("body", *error["loc"])}
                                          for error in exc.errors(include_url=False)]) from None

    return read_body


def live_qbo(request: Request) -> None:
    """Pattern 2 writes need QuickBooks wired; say so plainly instead of failing inside the domain."""
    if not container(request).live_qbo:
        raise NotConfigured("qbo", "QuickBooks is not configured in this deployment: set RUNWAY_QBO_* to make "
                                   "payments and send reminders")


Caller = Annotated[Principal, Depends(authenticated)]
ClientBusiness = Annotated[BusinessRecord, Depends(client_business)]
# For ``one_snapshot`` routes only: the handler receives the Principal / BusinessRecord, checked by
# ``one_snapshot`` inside the answer's read transaction.
SnapshotCaller = Annotated[Principal, Depends(deferred_caller)]
SnapshotBusiness = Annotated[BusinessRecord, Depends(deferred_business)]
