"""Authentication and tenant isolation, over every route the app has (enumerated, not listed by hand)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from runway.cli import app as cli
from tests.runway.api.conftest import app_routes, auth, business_routes

PUBLIC = {"/health", "/ready", "/v1/webhooks/qbo", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
NONEXISTENT = 999_999
# A valid body for each action, so a 404 below cannot come from a body that failed validation.
BODIES = {"payments": {"amount": "1.00", "bank_account_qbo_id": "A1"}, "reminders": {"send_to": "x@y.example"},
          "sync": {"entities": ["Bill"]}}


def _call(client, method: str, path: str, business_id: int, headers: dict[str, str]):
    url = (path.replace("{business_id}", str(business_id)).replace("{bill_qbo_id}", "B1")
           .replace("{invoice_qbo_id}", "I1"))
    kwargs = {"headers": headers}
    if "payment-ready" in path:
        kwargs["params"] = {"cap": "100.00"}
    if method == "POST":
        kwargs["json"] = BODIES[path.rstrip("/").rsplit("/", 1)[-1]]
    return client.request(method, url, **kwargs)


def test_no_business_route_leaks_another_firms_business(api):
    """Every route with {business_id}, called by firm A with firm B's business id, answers exactly what it
    answers for an id that does not exist: 404, same headers, same body but for the id."""
    other = api.portfolio.other_business_id
    routes = business_routes(api.app)
    assert len(routes) >= 13
    for method, path in routes:
        foreign = _call(api.client, method, path, other, api.headers)
        missing = _call(api.client, method, path, NONEXISTENT, api.headers)
        assert foreign.status_code == missing.status_code == 404, (method, path, foreign.text)
        assert foreign.headers["content-type"] == missing.headers["content-type"] == "application/problem+json"
        assert foreign.text.replace(str(other), "ID") == missing.text.replace(str(NONEXISTENT), "ID"), (method, path)
        assert foreign.json()["code"] == "not_found"
    assert api.gateway.calls == []  # nothing reached QuickBooks for another firm's business
    assert api.container.operations is not None
    # ... and the owner does get through on the same routes (so the 404s above are about tenancy)
    for method, path in routes:
        own = _call(api.client, method, path, other, api.other_headers)
        assert own.status_code != 404 or own.json()["detail"] != f"business {other} not found", (method, path)


def test_every_route_but_health_ready_webhook_and_docs_requires_a_token(api):
    own = api.portfolio.business_id
    protected = [(m, p) for m, p in app_routes(api.app) if p not in PUBLIC]
    assert len(protected) >= 14
    bad_credentials = [
        {},  # none at all
        {"Authorization": "Bearer rk_not-a-token"},
        {"Authorization": "Bearer " + api.portfolio.token[:-1] + ("A" if api.portfolio.token[-1] != "A" else "B")},
        {"Authorization": f"Basic {api.portfolio.token}"},  # not the bearer scheme
        {"Authorization": api.portfolio.token},  # no scheme
        auth(api.portfolio.revoked_token),
    ]
    for method, path in protected:
        for headers in bad_credentials:
            response = _call(api.client, method, path, own, headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            body = response.json()
            assert body["code"] == "unauthorized" and body["status"] == 401
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.headers["content-type"] == "application/problem+json"
    assert api.gateway.calls == []


def test_unknown_and_revoked_tokens_read_the_same(api):
    unknown = api.get("/v1/console", headers=auth("rk_" + "x" * 43))
    revoked = api.get("/v1/console", headers=auth(api.portfolio.revoked_token))
    assert unknown.json() == revoked.json()


def test_public_routes_answer_without_a_token(api):
    assert api.client.get("/health").json() == {"status": "ok"}
    assert api.client.get("/ready").status_code == 200
    assert api.client.get("/openapi.json").status_code == 200
    assert api.client.get("/docs").status_code == 200
    webhook = api.client.post("/v1/webhooks/qbo", content=b"{}")
    assert webhook.json()["code"] != "unauthorized"  # judged by its signature, not a bearer token


def test_tokens_are_stored_as_sha256_digests_only(api):
    path = api.container.settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT token_hash, prefix FROM api_tokens").fetchall()
    digests = {h for h, _ in rows}
    assert hashlib.sha256(api.portfolio.token.encode()).hexdigest() in digests
    assert all(len(h) == 64 and len(p) == 10 and p.startswith("rk_") for h, p in rows)
    dump = "\n".join(sqlite3.connect(path).iterdump())
    assert api.portfolio.token not in dump and api.portfolio.token[10:] not in dump


def test_a_valid_token_records_when_it_was_used(api):
    api.get("/v1/console")
    path = api.container.settings.database_url.removeprefix("sqlite:///")
    digest = hashlib.sha256(api.portfolio.token.encode()).hexdigest()
    with sqlite3.connect(path) as conn:
        (used,) = conn.execute("SELECT last_used_at FROM api_tokens WHERE token_hash = ?", (digest,)).fetchone()
    assert used is not None


# -- the CLI ----------------------------------------------------------------------------------------------

runner = CliRunner()
TOKEN = re.compile(r"\brk_[A-Za-z0-9_-]{43}\b")


def test_cli_creates_an_advisor_and_a_token_that_the_api_accepts(make_api, portfolio, tmp_path):
    api = make_api()
    env = {"RUNWAY_DATABASE_URL": api.container.settings.database_url}
    created = runner.invoke(cli, ["advisor", "create", "--firm", portfolio.firm_name, "--email", "Bob@Harbor.example",
                                  "--name", "Bob"], env=env)
    assert created.exit_code == 0, created.output
    assert "<bob@harbor.example>" in created.output
    issued = runner.invoke(cli, ["token", "create", "--advisor", "bob@harbor.example", "--label", "laptop"], env=env)
    assert issued.exit_code == 0, issued.output
    tokens = TOKEN.findall(issued.output)
    assert len(tokens) == 1
    body = api.get("/v1/console", headers=auth(tokens[0])).json()
    assert body["firm"]["id"] == portfolio.firm_id
    again = runner.invoke(cli, ["token", "create", "--advisor", "bob@harbor.example"], env=env)
    assert TOKEN.findall(again.output) != tokens  # a new token each time


@pytest.mark.parametrize(("args", "message"), [
    (["advisor", "create", "--firm", "No Such Firm", "--email", "x@y.example"], "no firm named 'No Such Firm'"),
    (["advisor", "create", "--firm", "Other Firm", "--email", "olga@other.example"], "already exists"),
    (["advisor", "create", "--firm", "Other Firm", "--email", "not-an-address"], "not an e-mail address"),
    (["token", "create", "--advisor", "nobody@nowhere.example"], "advisor nobody@nowhere.example not found"),
])
def test_cli_refuses_what_it_cannot_do(make_api, args, message):
    api = make_api()
    result = runner.invoke(cli, args, env={"RUNWAY_DATABASE_URL": api.container.settings.database_url})
    assert result.exit_code == 2
    assert message in result.output


def test_cli_creates_the_firm_when_asked(make_api):
    api = make_api()
    env = {"RUNWAY_DATABASE_URL": api.container.settings.database_url}
    result = runner.invoke(cli, ["advisor", "create", "--firm", "New Firm", "--email", "n@new.example",
                                 "--create-firm"], env=env)
    assert result.exit_code == 0, result.output
    token = TOKEN.findall(runner.invoke(cli, ["token", "create", "--advisor", "n@new.example"], env=env).output)[0]
    body = api.get("/v1/console", headers=auth(token)).json()
    assert body["firm"]["name"] == "New Firm" and body["clients"] == []


# -- token lifecycle ------------------------------------------------------------------------------------------

def test_a_token_expires_after_its_lifetime(api):
    issued = api.container.advisors.create_token("alice@harbor.example", "short", lifetime=timedelta(days=2))
    assert issued.record.expires_at == api.container.clock.now() + timedelta(days=2)
    assert api.get("/v1/console", headers=auth(issued.token)).status_code == 200
    api.container.clock.advance(days=2)
    body = api.get("/v1/console", headers=auth(issued.token)).json()
    assert body["code"] == "unauthorized" and "expired" not in body["detail"]  # reads like any invalid token


def test_new_tokens_get_the_configured_lifetime(make_api):
    api = make_api(token_lifetime_days=7)
    issued = api.container.advisors.create_token("alice@harbor.example")
    assert issued.record.expires_at == api.container.clock.now() + timedelta(days=7)


def test_cli_lists_and_revokes_tokens(make_api):
    api = make_api()
    env = {"RUNWAY_DATABASE_URL": api.container.settings.database_url}
    issued = runner.invoke(cli, ["token", "create", "--advisor", "alice@harbor.example", "--label", "ci",
                                 "--days", "30"], env=env)
    assert issued.exit_code == 0 and "expires 20" in issued.output, issued.output
    token = TOKEN.findall(issued.output)[0]
    api.get("/v1/console", headers=auth(api.portfolio.token))  # stamps last_used_at
    listed = runner.invoke(cli, ["token", "list", "--advisor", "alice@harbor.example"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line for line in listed.output.splitlines() if line.strip()}
    assert len(lines) == 3 and token[:10] in listed.output and token not in listed.output
    assert sum("revoked" in line for line in lines.values()) == 1 and "ci" in listed.output
    assert "last used 2026-11-27" in listed.output  # the API's clock stamped the tests' token
    new_id = max(lines, key=int)
    revoked = runner.invoke(cli, ["token", "revoke", "--advisor", "alice@harbor.example", "--id", new_id], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert api.get("/v1/console", headers=auth(token)).status_code == 401
    missing = runner.invoke(cli, ["token", "revoke", "--advisor", "olga@other.example", "--id", new_id], env=env)
    assert missing.exit_code == 2  # not her token
