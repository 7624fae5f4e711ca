"""FastAPI dependencies: the container, the authenticated advisor, and the tenancy check.

``client_business`` is the one dependency every ``/v1/businesses/{business_id}/...`` route uses; it asks
``AccessService.business_for``, so tenant isolation is decided in exactly one place and another firm's
business answers the same 404 as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domains.access.errors import NotConfigured
from domains.access.services.access import Principal
from domains.core.records import BusinessRecord

# Ids are PostgreSQL ``integer``s: anything larger cannot name a row (and must not reach the driver).
MAX_ID = 2_147_483_647

bearer = HTTPBearer(auto_error=False, scheme_name="ApiToken",
                    description="An API token: `Authorization: Bearer rk_...` (create one with `runway token create`).")


def container(request: Request) -> Any:
    """The composition root's container this app was created with."""
    return request.app.state.container


def authenticated(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    token = credentials.credentials if credentials is not None else None
    return container(request).access.authenticate(token)


def client_business(request: Request, principal: Annotated[Principal, Depends(authenticated)],
                    business_id: Annotated[int, Path(ge=1, le=MAX_ID, description="a client business of your firm",
                                                     examples=[3])]) -> BusinessRecord:
    """The business named in the path if it belongs to the caller's firm; 404 otherwise."""
    return container(request).access.business_for(principal.advisor, business_id)


def live_qbo(request: Request) -> None:
    """Pattern 2 writes need QuickBooks wired; say so plainly instead of failing inside the domain."""
    if container(request).gateway is None:
        raise NotConfigured("qbo", "QuickBooks is not configured in this deployment: set RUNWAY_QBO_* to make "
                                   "payments and send reminders")


Caller = Annotated[Principal, Depends(authenticated)]
ClientBusiness = Annotated[BusinessRecord, Depends(client_business)]
