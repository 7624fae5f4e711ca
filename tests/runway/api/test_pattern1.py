"""Pattern 1 endpoints make no live call: every GET but ``/cash`` answers from the mirror.

The container is wired with the ``FakeQboGateway`` as its live port; after every Pattern 1 GET its ``calls``
stay empty (and ``/cash`` is the positive control: it does call it). The same reads are also run with the
network blocked, and inside a ``local_read`` operation with the data-flow guard in raise mode, against a
gateway that checks the guard the way a live adapter must (``guard_live_call``).
"""

from __future__ import annotations

import pytest

from infra.interfaces.patterns import LiveCallInLocalRead, guard_live_call, local_read, set_guard_mode
from tests.fakes.qbo_gateway import FakeQboGateway
from tests.runway.api.conftest import app_routes

LIVE_ROUTES = {"/v1/businesses/{business_id}/cash"}
PARAMS = {"/v1/businesses/{business_id}/bills/payment-ready": {"cap": "2500.00"}}


class GuardedGateway(FakeQboGateway):
    """The fake live port, checking the run-time guard first as ``QboLiveGateway`` does."""

    def _maybe_fail(self, name: str) -> None:
        guard_live_call(f"FakeQboGateway.{name}")
        super()._maybe_fail(name)


def pattern1_gets(app) -> list[str]:
    paths = [p for m, p in app_routes(app) if m == "GET" and p.startswith("/v1/") and p not in LIVE_ROUTES]
    assert "/v1/console" in paths and len(paths) >= 10
    return paths


def _url(path: str, business_id: int) -> str:
    return path.replace("{business_id}", str(business_id))


def read_everything(api, business_ids) -> list:
    responses = []
    for path in pattern1_gets(api.app):
        for business_id in business_ids:
            responses.append(api.get(_url(path, business_id), params=PARAMS.get(path, {})))
    return responses


def test_pattern1_gets_never_call_the_gateway(make_api, no_network):
    api = make_api()
    responses = read_everything(api, api.portfolio.business_ids)
    assert {r.status_code for r in responses} == {200}
    assert api.gateway.calls == []
    # the positive control: the live endpoint does reach the gateway
    assert api.get(_url("/v1/businesses/{business_id}/cash", api.portfolio.business_id)).status_code == 200
    assert api.gateway.calls == ["bank_accounts"]


def test_pattern1_gets_pass_the_guard_in_raise_mode_and_cash_does_not(make_api):
    api = make_api(gateway=GuardedGateway(), raise_server_exceptions=False)
    previous = set_guard_mode("raise")
    try:
        responses = local_read(read_everything)(api, api.portfolio.business_ids[:2])
        assert {r.status_code for r in responses} == {200}
        assert api.gateway.calls == []

        # The guard does see through the HTTP stack: the live endpoint inside a local_read is refused.
        cash = local_read(api.get)(_url("/v1/businesses/{business_id}/cash", api.portfolio.business_id))
        assert cash.status_code == 500 and cash.json()["code"] == "internal_error"
        assert api.gateway.calls == []
        with pytest.raises(LiveCallInLocalRead):
            local_read(api.gateway.bank_accounts)(api.container.portfolio.get_business(api.portfolio.business_id))
    finally:
        set_guard_mode(previous)
