"""``runway verify``: the mirror's AP and AR aging cross-checked against QBO's own aging reports."""

from __future__ import annotations

from datetime import date

from domains.verification.comparison import AgingVerification
from runway.bootstrap.container import Container
from runway.bootstrap.errors import ConfigurationError


def verify_aging(container: Container, business_id: int, *, as_of: date | None = None) -> AgingVerification:
    """The container's ``AgingVerificationService`` over its mirror and its live QBO gateway (Pattern 2).
    ``ConfigurationError`` when QBO is not configured: the check needs QBO's reports."""
    if not container.live_qbo:
        raise ConfigurationError("verifying needs QBO: set RUNWAY_QBO_API_BASE_URL, RUNWAY_QBO_CLIENT_ID, "
                                 "RUNWAY_QBO_CLIENT_SECRET and RUNWAY_TOKEN_ENCRYPTION_KEY")
    return container.verification.verify_aging(business_id, as_of)
