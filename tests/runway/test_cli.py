"""The ``runway`` CLI end to end on a real SQLite mirror, with the network blocked throughout."""

import re

from typer.testing import CliRunner

from runway.cli import app

runner = CliRunner()


def test_demo_prints_the_console_and_a_digest_from_thousands_of_seeded_rows(tmp_path, no_network):
    db = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db), "--now", "2026-11-27T12:00:00+00:00"])
    assert result.exit_code == 0, result.output
    rows = int(re.search(r"([\d,]+) rows", result.output).group(1).replace(",", ""))
    assert rows > 5_000
    assert "Advisor console: Harbor & Pine Advisors" in result.output
    for status in ("critical", "warning", "healthy", "excellent"):
        assert status in result.output
    assert "Weekly digest: " in result.output and "Invoices to chase" in result.output
    assert "(stale)" in result.output  # the client whose data is three days old is flagged
    assert db.exists()


def test_demo_is_deterministic_for_a_seed_and_a_date(tmp_path):
    args = ["--now", "2026-11-27T12:00:00+00:00", "--seed", "11"]
    first = runner.invoke(app, ["demo", "--db", str(tmp_path / "a.db"), *args])
    second = runner.invoke(app, ["demo", "--db", str(tmp_path / "b.db"), *args])
    strip = re.compile(r"Demo mirror .*\n")
    assert strip.sub("", first.output) == strip.sub("", second.output)


def test_demo_for_a_named_client_and_for_an_unknown_one(tmp_path):
    db = str(tmp_path / "demo.db")
    named = runner.invoke(app, ["demo", "--db", db, "--client", "dental", "--now", "2026-11-27"])
    assert named.exit_code == 0 and "Weekly digest: Bright Smile Dental" in named.output
    unknown = runner.invoke(app, ["demo", "--db", db, "--client", "nobody", "--now", "2026-11-27"])
    assert unknown.exit_code == 2
    assert "no client matches 'nobody'" in unknown.output


def test_a_bad_date_is_refused_with_a_clear_message(tmp_path):
    result = runner.invoke(app, ["demo", "--db", str(tmp_path / "x.db"), "--now", "yesterday"])
    assert result.exit_code == 2
    assert "--now must be an ISO-8601 date or date-time" in result.output
