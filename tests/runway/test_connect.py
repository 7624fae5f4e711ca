"""Connecting QBO companies (``bootstrap.connect_company``): a firm connects a company once; another firm
connecting the same company gets a business and a mirror of its own, on the realm's one grant."""

from __future__ import annotations

from runway import bootstrap
from tests.fixtures.sandbox import SandboxCompany
from tests.infra.jobs.convergence import assert_mirror_matches_sandbox


def test_a_second_firm_connecting_the_same_company_gets_its_own_business_and_mirror(
        sandbox_company: SandboxCompany) -> None:
    container, first = sandbox_company.container, sandbox_company.business
    realm = first.qbo_realm_id
    state = sandbox_company.sandbox.state

    again = bootstrap.connect_company(container, firm_name="Test Firm", business_name="Another name",
                                      realm_id=realm, refresh_token=state.connect_realm(realm))
    second = bootstrap.connect_company(container, firm_name="Second Opinion CPAs", business_name="Sandbox Co",
                                       realm_id=realm, refresh_token=state.connect_realm(realm))

    assert again == first  # the same firm again: its business, unchanged
    assert second.id != first.id and second.firm_id != first.firm_id and second.qbo_realm_id == realm
    synced = bootstrap.sync_now(container, business_ids=[second.id, first.id], full=True)
    assert [r.ok for r in synced] == [True, True], synced
    for business in (first, second):
        assert_mirror_matches_sandbox(container.session_factory, business.id, sandbox_company.store)
