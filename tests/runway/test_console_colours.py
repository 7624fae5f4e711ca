"""The advisor console makes the difference visible at a glance: each runway band in its own colour, most
urgent first; no colour when the output is not a terminal or NO_COLOR is set."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rich.console import Console
from typer.testing import CliRunner

from domains.core.freshness import Freshness
from infra.interfaces.records import BusinessRecord
from runway import render
from runway.cli import app
from runway.figures import compute_runway
from runway.services.console import ConsoleRow

runner = CliRunner()
#: SGR foreground colours as Rich writes them on a 16-colour terminal.
COLOURS = {"critical": "31", "warning": "33", "healthy": "32", "excellent": "36"}
_ANY_COLOUR = re.compile(r"\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|38;[0-9;]+)m")
_STATUS = re.compile(r"│\s*(critical|warning|healthy|excellent)\s*│")
_SGR = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def _plain(text: str) -> str:
    return _SGR.sub("", text)


def _row(rank: int, name: str, burn_per_day: int, cash: int) -> ConsoleRow:
    figures = compute_runway(cash=Decimal(cash), open_ar=Decimal(0), open_ap=Decimal(0),
                             paid_in_window=Decimal(burn_per_day * 90), received_in_window=Decimal(0))
    fresh = Freshness(datetime(2026, 11, 27, tzinfo=UTC), False, None, ())
    return ConsoleRow(rank, BusinessRecord(rank, 1, name, f"realm-{rank}"), figures, fresh)


ROWS = [_row(1, "Ash Cafe", 100, 300), _row(2, "Birch Law", 100, 1_500), _row(3, "Cedar Dental", 100, 6_000),
        _row(4, "Dune Salon", 100, 50_000)]


def _render(**console_options) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=200, **console_options).print(render.console_table(ROWS))
    return buffer.getvalue()


def _colour_of(line: str) -> set[str]:
    return {code.split(";")[-1] for code in re.findall(r"\x1b\[([0-9;]*)m", line)} & set(COLOURS.values())


def test_each_band_has_its_own_colour_on_a_terminal():
    assert [row.runway.status.value for row in ROWS] == ["critical", "warning", "healthy", "excellent"]
    lines = [line for line in _render(force_terminal=True, color_system="standard").splitlines()
             if _STATUS.search(_plain(line))]

    assert len(lines) == 4
    for line, status in zip(lines, COLOURS, strict=True):
        assert _colour_of(line) == {COLOURS[status]}, (status, line)
    assert len(set(COLOURS.values())) == 4  # four bands, four colours


@pytest.mark.parametrize("options", [{}, {"force_terminal": True, "no_color": True}],
                         ids=["not-a-terminal", "NO_COLOR"])
def test_no_colour_off_a_terminal_or_with_no_color(options):
    text = _render(**options)
    assert not _ANY_COLOUR.search(text)
    assert _STATUS.findall(_plain(text)) == ["critical", "warning", "healthy", "excellent"]  # still in words


@pytest.mark.parametrize("env, coloured", [({"FORCE_COLOR": "1"}, True), ({}, False),
                                           ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False)],
                         ids=["terminal", "piped", "terminal-with-NO_COLOR"])
def test_the_console_command_colours_only_a_terminal_without_no_color(seeded_mirror, env, coloured):
    result = runner.invoke(app, ["console", "--now", "2026-11-27T12:00:00+00:00"],
                           env={"RUNWAY_DATABASE_URL": seeded_mirror[0], "NO_COLOR": None, "FORCE_COLOR": None, **env})
    assert result.exit_code == 0, result.output
    assert bool(_ANY_COLOUR.search(result.output)) is coloured


@pytest.mark.slow  # a whole demo run with its default six companies
def test_the_demo_console_shows_all_four_bands_each_in_its_colour_most_urgent_first(tmp_path):
    result = runner.invoke(app, ["demo", "--db", str(tmp_path / "demo.db")],
                           env={"FORCE_COLOR": "1", "NO_COLOR": None})

    assert result.exit_code == 0, result.output
    console = result.output.split("Advisor console:")[1].split("Weekly digest:")[0]
    rows = [line for line in console.splitlines() if _STATUS.search(_plain(line))]
    statuses = [match.group(1) for line in rows if (match := _STATUS.search(_plain(line)))]
    assert set(statuses) == set(COLOURS) and len(statuses) == 6
    urgency = list(COLOURS)
    assert statuses == sorted(statuses, key=urgency.index)  # most urgent first
    for line, status in zip(rows, statuses, strict=True):
        assert _colour_of(line) == {COLOURS[status]}, (status, line)
    assert "all 6 clients' AP and AR aging match" in _plain(result.output)
