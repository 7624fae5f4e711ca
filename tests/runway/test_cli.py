"""The ``runway`` CLI end to end: the demo syncs from the in-process sandbox; the Pattern 1 commands
read a real SQLite mirror with every socket blocked."""

import re
import sys

import pytest
from typer.testing import CliRunner

from runway import bootstrap
from runway.cli import app

runner = CliRunner()
SMALL = ["--companies", "3", "--size", "300"]


def test_demo_syncs_the_sandbox_companies_and_prints_the_console_a_digest_and_a_tray(tmp_path):
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db), *SMALL])
    assert result.exit_code == 0, result.output
    assert "3 companies connected to Harbor & Pine Advisors" in result.output
    rows = int(re.search(r"Synced ([\d,]+) rows", result.output).group(1).replace(",", ""))
    assert rows > 500
    assert "Advisor console: Harbor & Pine Advisors" in result.output
    assert "Weekly digest: " in result.output and "Invoices to chase" in result.output
    assert "(live)" in result.output  # the digest read the bank balances live from the sandbox
    assert "Prep tray: " in result.output
    assert db.exists()


@pytest.mark.slow  # two demo runs
def test_demo_is_deterministic_for_a_seed(tmp_path):
    def run(name: str) -> str:
        output = runner.invoke(app, ["demo", "--db", str(tmp_path / name), "--seed", "11", *SMALL]).output
        return re.sub(r"(Local QBO sandbox at \S+|Synced .* s|\d+ more actions)", "", output)

    assert run("a.db") == run("b.db")


@pytest.mark.slow  # a whole demo run
def test_demo_for_an_unknown_client_names_the_clients(tmp_path):
    result = runner.invoke(app, ["demo", "--db", str(tmp_path / "d.db"), "--client", "nobody", *SMALL])
    assert result.exit_code == 2
    assert "no client matches 'nobody'; clients are:" in result.output


@pytest.fixture
def sandbox_not_installed(monkeypatch):
    """As in an environment with only Runway's wheel: importing qbo_sandbox fails."""
    monkeypatch.setitem(sys.modules, "qbo_sandbox", None)  # `import qbo_sandbox` raises ModuleNotFoundError


@pytest.mark.parametrize("command", [["demo", "--db", "{tmp}/demo.db"], ["sandbox", "--port", "0"]],
                         ids=["demo", "sandbox"])
def test_without_the_sandbox_installed_demo_and_sandbox_say_how_to_install_it(command, tmp_path,
                                                                               sandbox_not_installed):
    result = runner.invoke(app, [part.format(tmp=tmp_path) for part in command])

    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "error: the qbo-sandbox package is not installed" in message
    assert "`python3 -m uv run --frozen runway demo` installs it with the dev dependencies" in message
    assert "`pip install ./packages/qbo_sandbox`" in message
    assert not (tmp_path / "demo.db").exists()  # nothing was touched


def test_a_missing_dependency_of_the_sandbox_is_not_reported_as_a_missing_sandbox(monkeypatch, tmp_path):
    broken = tmp_path / "qbo_sandbox"
    broken.mkdir()
    (broken / "__init__.py").write_text("import no_such_dependency_of_the_sandbox\n")
    monkeypatch.delitem(sys.modules, "qbo_sandbox", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_of_the_sandbox"):
        bootstrap.DemoSandbox(seed=1, size=50, realms=1)


def test_console_and_digest_commands_answer_from_the_mirror_with_the_network_blocked(seeded_mirror, no_network):
    url, summary = seeded_mirror
    env = {"RUNWAY_DATABASE_URL": url}
    console = runner.invoke(app, ["console", "--now", "2026-11-27T12:00:00+00:00"], env=env)
    assert console.exit_code == 0, console.output
    for seeded in summary.businesses:
        assert seeded.business.name[:20] in console.output
    digest = runner.invoke(app, ["digest", str(summary.businesses[0].business.id), "--now", "2026-11-27"], env=env)
    assert digest.exit_code == 0, digest.output
    assert "Weekly digest: " in digest.output and "(mirror)" in digest.output


def test_digest_of_an_unknown_business_and_a_bad_date(seeded_mirror):
    url, _ = seeded_mirror
    env = {"RUNWAY_DATABASE_URL": url}
    unknown = runner.invoke(app, ["digest", "999999"], env=env)
    assert unknown.exit_code == 2 and "business 999999 not found" in unknown.output
    bad = runner.invoke(app, ["console", "--now", "yesterday"], env=env)
    assert bad.exit_code == 2 and "--now must be an ISO-8601 date or date-time" in bad.output


def test_sync_without_qbo_configured_says_what_to_set(tmp_path):
    result = runner.invoke(app, ["sync"], env={"RUNWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                                               "RUNWAY_QBO_API_BASE_URL": ""})
    assert result.exit_code == 2
    assert "RUNWAY_QBO_API_BASE_URL" in result.output
