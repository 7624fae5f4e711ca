"""The API served by uvicorn on a loopback port (what ``runway serve`` runs), and the ``serve`` command."""

from __future__ import annotations

import httpx
from typer.testing import CliRunner

from runway.api import create_app
from runway.api.server import serving_in_thread
from runway.bootstrap import api as bootstrap_api
from runway.cli import app as cli
from tests.runway.api.conftest import auth


def test_the_api_answers_over_http_from_uvicorn(api):
    with serving_in_thread(api.app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        assert client.get("/health").json() == {"status": "ok"}
        console = client.get("/v1/console", headers=auth(api.portfolio.token))
        assert console.status_code == 200 and len(console.json()["clients"]) == len(api.portfolio.business_ids)
        denied = client.get("/v1/console")
        assert denied.status_code == 401 and denied.headers["content-type"] == "application/problem+json"


def test_serve_builds_the_container_from_the_environment_and_serves_it(make_api, monkeypatch):
    api = make_api()
    served = {}

    def fake_serve(container, *, host, port, log_level):
        served.update(host=host, port=port, log_level=log_level, url=container.settings.database_url,
                      app=create_app(container))

    monkeypatch.setattr(bootstrap_api, "serve_api", fake_serve)
    result = CliRunner().invoke(cli, ["serve", "--host", "127.0.0.1", "--port", "8123", "--migrate"],
                                env={"RUNWAY_DATABASE_URL": api.container.settings.database_url})
    assert result.exit_code == 0, result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123
    assert served["url"] == api.container.settings.database_url
    assert "/v1/console" in served["app"].openapi()["paths"]
