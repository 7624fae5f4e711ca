"""FastAPI dependencies: the services, the authenticated advisor, and the tenancy check.

``client_business`` is the one dependency every ``/v1/businesses/{business_id}/...`` route uses; it asks
``PortfolioService.business_for_firm``, so tenant isolation is decided in exactly one place and another
firm's business answers the same 404 as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.interfaces.records import BusinessRecord
from runway.container import Services
from runway.services.authentication import Principal, Unauthenticated
from runway.services.operations import NotConfigured

# Ids are PostgreSQL ``integer``s: anything larger cannot name a row (and must not reach the driver).
MAX_ID = 2_147_483_647

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


def client_business(request: Request, principal: Annotated[Principal, Depends(authenticated)],
                    business_id: Annotated[int, Path(ge=1, le=MAX_ID, description="a client business of your firm",
                                                     examples=[3])]) -> BusinessRecord:
    """The business named in the path if it belongs to the caller's firm; 404 otherwise."""
    return container(request).portfolio.business_for_firm(principal.firm.id, business_id)


def live_qbo(request: Request) -> None:
    """Pattern 2 writes need QuickBooks wired; say so plainly instead of failing inside the domain."""
    if not container(request).live_qbo:
        raise NotConfigured("qbo", "QuickBooks is not configured in this deployment: set RUNWAY_QBO_* to make "
                                   "payments and send reminders")


Caller = Annotated[Principal, Depends(authenticated)]
ClientBusiness = Annotated[BusinessRecord, Depends(client_business)]
