"""The API served by uvicorn on a loopback port (what ``runway serve`` runs), and the ``serve`` command."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from runway.api import create_app
from runway.api.server import serving_in_thread
from runway.bootstrap import api as bootstrap_api
from runway.cli import app as cli
from tests.runway.api.conftest import auth
from tests.runway.api.served import served_api


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
    result = CliRunner().invoke(cli, ["serve", "--host", "127.0.0.1", "--port", "8123", "--migrate", "--workers", "1"],
                                env={"RUNWAY_DATABASE_URL": api.container.settings.database_url})
    assert result.exit_code == 0, result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123
    assert served["url"] == api.container.settings.database_url
    assert "/v1/console" in served["app"].openapi()["paths"]


def test_serve_with_several_workers_runs_them_over_the_same_database(make_api, monkeypatch):
    api = make_api()
    served = {}
    monkeypatch.setattr(bootstrap_api, "serve_api_workers", lambda **kwargs: served.update(kwargs))
    monkeypatch.setattr(bootstrap_api, "serve_api", lambda *a, **k: pytest.fail("served in-process"))
    env = {"RUNWAY_DATABASE_URL": api.container.settings.database_url}
    result = CliRunner().invoke(cli, ["serve", "--port", "8124", "--workers", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert served == {"host": "127.0.0.1", "port": 8124, "workers": 3, "log_level": "info"}
    defaulted = CliRunner().invoke(cli, ["serve", "--port", "8124"], env=env)
    assert defaulted.exit_code == 0, defaulted.output
    if (os.cpu_count() or 1) > 1:
        assert served["workers"] == os.cpu_count()  # one per CPU by default


@pytest.mark.slow
def test_two_worker_processes_answer_over_one_sqlite_database(portfolio, tmp_path):
    with served_api(portfolio.path, tmp_path, workers=2) as served:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: httpx.get(f"{served.base_url}/v1/console",
                                                         headers=auth(portfolio.token), timeout=30).status_code,
                                    range(40)))
        assert answers == [200] * 40
        children = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) == served.process.pid]
        assert len(children) >= 2  # the worker processes


def _ppid(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
