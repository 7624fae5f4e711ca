"""The aging cross-check (``runway verify``) over a sync test's world: the domain's own service, reading the
mirror through the SQL repositories and QBO (the sandbox) through the real client's live gateway."""

from __future__ import annotations

from datetime import date, datetime

from domains.core.freshness import FreshnessReader
from domains.verification.services.aging import AgingVerification, AgingVerificationService
from infra.db.repositories.bills import SqlBillMirror
from infra.db.repositories.businesses import SqlBusinessDirectory
from infra.db.repositories.invoices import SqlInvoiceMirror
from infra.db.repositories.sync_state import SqlSyncStateReader
from infra.qbo import QboLiveGateway
from tests.infra.jobs.conftest import World


class _SandboxTime:
    """The domain's clock on the sandbox's time, so both sides age to the day the sync ran."""

    def __init__(self, world: World) -> None:
        self._world = world

    def now(self) -> datetime:
        return self._world.clock.now()

    def today(self) -> date:
        return self.now().date()


def verify_aging(world: World, business_id: int) -> AgingVerification:
    factory = world.db.session_factory
    service = AgingVerificationService(SqlBusinessDirectory(factory), SqlBillMirror(factory),
                                       SqlInvoiceMirror(factory), FreshnessReader(SqlSyncStateReader(factory)),
                                       _SandboxTime(world), gateway=QboLiveGateway(world.client))
    return service.verify_aging(business_id)


def assert_aging_matches_qbo(world: World, business_id: int) -> AgingVerification:
    """Fail naming every bucket unless the mirror's AP and AR aging equal QBO's aging reports."""
    result = verify_aging(world, business_id)
    assert result.ok, f"business {business_id}: aging differs from QBO's:\n  " + "\n  ".join(
        result.describe_differences())
    return result
