"""The ``runway`` command line (Typer + Rich)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from domains.core.clock import FixedClock
from domains.core.errors import DomainError, NotFound
from runway import bootstrap, render
from runway.settings import Settings

app = typer.Typer(help="Runway: cash runway for the clients of an accounting firm, from QuickBooks Online.",
                  no_args_is_help=True, add_completion=False)
# Piped output (CI logs, `| less`) gets a width that fits the tables instead of Rich's 80 columns.
out = Console(width=None if sys.stdout.isatty() else 150)
err = Console(stderr=True)
TRAY_ROWS = 15


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _parse_now(value: str | None) -> FixedClock | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"--now must be an ISO-8601 date or date-time, not {value!r}", 2)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return FixedClock(moment.astimezone(UTC))


@app.command()
def demo(
    db: Path = typer.Option(Path("runway-demo.db"), help="SQLite file to create (replaced if it exists)."),
    seed: int = typer.Option(7, help="Seed of the deterministic demo portfolio."),
    client: str | None = typer.Option(None, help="Client whose digest to show (name or id); default: most urgent."),
    now: str | None = typer.Option(None, help="Pretend it is this ISO-8601 date-time (default: now)."),
) -> None:
    """Build a demo mirror of a firm's clients and print the advisor console and one client's digest."""
    clock = _parse_now(now)
    if db.exists():
        db.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    settings = Settings(database_url=f"sqlite:///{db}")
    started = time.perf_counter()
    with bootstrap.build_container(settings, clock=clock) as c:
        with out.status("Creating the mirror schema..."):
            bootstrap.prepare_database(c)
        with out.status("Loading the demo portfolio..."):
            summary = bootstrap.load_demo_data(c, seed=seed)
        rows = sum(b.rows for b in summary.businesses) if hasattr(summary.businesses[0], "rows") else None
        out.print(f"Demo mirror [bold]{db}[/]: {len(summary.businesses)} clients of "
                  f"[bold]{summary.firm.name}[/]" + (f", {rows:,} rows" if rows else "")
                  + f" in {time.perf_counter() - started:.1f} s\n")
        rows_console = c.console.console(summary.firm.id)
        out.print(render.console_table(rows_console, title=f"Advisor console: {summary.firm.name}"))
        out.print()
        target = _pick_client(rows_console, client)
        out.print(render.digest_panel(c.runway.weekly_digest(target)))
        out.print()
        tray = c.tray.prep_tray(target)
        out.print(render.tray_table(tray, c.portfolio.get_business(target).name, limit=TRAY_ROWS))


def _pick_client(rows, client: str | None) -> int:
    if client is None:
        return rows[0].business.id
    for row in rows:
        if client == str(row.business.id) or client.lower() in row.business.name.lower():
            return row.business.id
    names = ", ".join(r.business.name for r in rows)
    _fail(f"no client matches {client!r}; clients are: {names}", 2)
    raise AssertionError  # unreachable: _fail exits


@app.callback()
def _configure() -> None:
    """Runway: cash runway for the clients of an accounting firm, from QuickBooks Online."""


@app.command()
def console(firm: int | None = typer.Option(None, help="Firm id (default: every firm)."),
            now: str | None = typer.Option(None, help="Pretend it is this ISO-8601 date-time.")) -> None:
    """Rank the clients in the mirror (RUNWAY_DATABASE_URL) by runway."""
    with bootstrap.build_container(clock=_parse_now(now)) as c:
        out.print(render.console_table(c.console.console(firm)))


@app.command()
def digest(business: int = typer.Argument(..., help="Business id."),
           now: str | None = typer.Option(None, help="Pretend it is this ISO-8601 date-time.")) -> None:
    """Print one client's weekly digest and prep tray from the mirror (RUNWAY_DATABASE_URL)."""
    with bootstrap.build_container(clock=_parse_now(now)) as c:
        try:
            out.print(render.digest_panel(c.runway.weekly_digest(business)))
            out.print(render.tray_table(c.tray.prep_tray(business), c.portfolio.get_business(business).name))
        except NotFound as exc:
            _fail(str(exc), 2)
        except DomainError as exc:
            _fail(str(exc))


@app.command()
def migrate() -> None:
    """Upgrade the mirror database (RUNWAY_DATABASE_URL) to the newest schema."""
    with bootstrap.build_container() as c:
        bootstrap.prepare_database(c)
        out.print(f"mirror schema is current: {c.settings.database_url}")


@app.command()
def sandbox(
    port: int = typer.Option(8765, help="Port to listen on (127.0.0.1)."),
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    seed: int = typer.Option(7, help="Seed of the generated companies."),
    size: int = typer.Option(2000, min=10, help="Approximate number of entities per company."),
    realms: str = typer.Option("3", help="How many companies, or a comma-separated list of realm ids."),
    limits: bool = typer.Option(True, help="Enforce Intuit's 500/min and 10-in-flight limits."),
) -> None:
    """Serve the local QuickBooks Online v3 sandbox until Ctrl+C."""
    realm_arg: int | list[str] = (int(realms) if realms.isdigit()
                                  else [r.strip() for r in realms.split(",") if r.strip()])
    if realm_arg in (0, []):
        _fail("--realms must name at least one company", 2)
    bootstrap.run_sandbox(host=host, port=port, seed=seed, size=size, realms=realm_arg, limits=limits)


@app.command()
def keygen() -> None:
    """Print a new key for RUNWAY_TOKEN_ENCRYPTION_KEY."""
    out.print(bootstrap.generate_encryption_key(), soft_wrap=True)


@app.command()
def connect(
    realm: str = typer.Option(..., help="The QBO company (realm) id."),
    name: str = typer.Option(..., help="The client business's name."),
    firm: str = typer.Option("My Firm", help="The advisor firm that looks after it."),
    refresh_token: str | None = typer.Option(None, help="A refresh token QBO issued for the realm."),
    code: str | None = typer.Option(None, help="An OAuth authorization code (with --redirect-uri)."),
    redirect_uri: str | None = typer.Option(None, help="The redirect URI the code was issued for."),
) -> None:
    """Connect a QBO company as a client business; its tokens are stored encrypted in the mirror."""
    try:
        with bootstrap.build_container() as c:
            business = bootstrap.connect_company(c, firm_name=firm, business_name=name, realm_id=realm,
                                                 refresh_token=refresh_token, authorization_code=code,
                                                 redirect_uri=redirect_uri)
    except bootstrap.ConfigurationError as exc:
        _fail(str(exc), 2)
    out.print(f"connected realm {realm} as business {business.id} ({business.name})")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
