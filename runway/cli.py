"""The ``runway`` command line (Typer + Rich)."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from domains.core.clock import FixedClock
from domains.core.errors import DomainError, NotFound
from infra.interfaces.records import Entity
from runway import bootstrap, render
from runway.services.console import ConsoleRow

app = typer.Typer(help="Runway: cash runway for the clients of an accounting firm, from QuickBooks Online.",
                  no_args_is_help=True, add_completion=False)


def _stdout_console() -> Console:
    """Piped output (CI logs, `| less`) gets a width that fits the tables instead of Rich's 80 columns.
    Rich colours only a terminal (or FORCE_COLOR) and never when NO_COLOR is set."""
    return Console(width=None if sys.stdout.isatty() else 150)


# Made again when a command starts (``_configure``): the terminal and NO_COLOR are those of that moment.
out = _stdout_console()
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
    seed: int = typer.Option(7, help="Seed of the sandbox's generated companies."),
    companies: int = typer.Option(6, min=1, max=50, help="How many client companies the sandbox serves."),
    size: int = typer.Option(2500, min=50, help="Approximate number of QBO entities per company."),
    client: str | None = typer.Option(None, help="Client whose digest to show (name or id); default: most urgent."),
) -> None:
    """Start the local QBO sandbox, connect its companies, sync them into a fresh SQLite mirror, and print
    the advisor console, the most urgent client's digest and its prep tray."""
    started = time.perf_counter()
    try:
        with out.status("Starting the local QBO sandbox..."):
            sandbox = bootstrap.DemoSandbox(seed=seed, size=size, realms=companies).__enter__()
    except bootstrap.SandboxNotInstalled as exc:
        _fail(str(exc), 2)
    try:
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            path.unlink(missing_ok=True)
        with bootstrap.build_container(sandbox.settings(f"sqlite:///{db}")) as c:
            bootstrap.prepare_database(c)
            businesses = sandbox.connect_all(c)
            out.print(f"Local QBO sandbox at {sandbox.server.base_url}: {len(businesses)} companies connected "
                      f"to [bold]{bootstrap.DEMO_FIRM}[/]")
            results = _sync_with_progress(c, {b.id: b.name for b in businesses})
            rows = sum(r.upserted for r in results)
            out.print(f"Synced {rows:,} rows into [bold]{db}[/] in {time.perf_counter() - started:.1f} s\n")
            for result in results:
                if not result.ok:
                    err.print(f"[yellow]warning:[/] business {result.business_id}: sync incomplete "
                              f"({result.error or ', '.join(e.value for e in result.failed_entities)})")
            rows_console = c.console.console(businesses[0].firm_id)
            out.print(render.console_table(rows_console, title=f"Advisor console: {bootstrap.DEMO_FIRM}"))
            _print_cross_check(c, businesses)
            out.print()
            target = _pick_client(rows_console, client)
            out.print(render.digest_panel(c.runway.weekly_digest(target, live_cash=True)))
            out.print()
            tray = c.tray.prep_tray(target)
            out.print(render.tray_table(tray, c.portfolio.get_business(target).name, limit=TRAY_ROWS))
    finally:
        sandbox.__exit__(None, None, None)


def _print_cross_check(container: bootstrap.Container, businesses: list[Any]) -> None:
    """One line: does every client's mirrored AP and AR aging equal QBO's own aging reports?"""
    differing: list[str] = []
    for business in businesses:
        try:
            result = bootstrap.verify_aging(container, business.id)
        except DomainError as exc:
            differing.append(f"{business.name}: not checked ({exc})")
            continue
        differing += [f"{business.name}: {line}" for line in result.describe_differences()]
    if not differing:
        out.print(f"Cross-check against QBO's AgedPayables and AgedReceivables reports: all {len(businesses)} "
                  "clients' AP and AR aging match, bucket by bucket ([bold]runway verify[/])")
        return
    err.print(f"[bold red]Cross-check against QBO's aging reports: {len(differing)} difference(s)[/]")
    for line in differing:
        err.print(f"  {line}")


def _sync_with_progress(container: bootstrap.Container, names: dict[int, str], *, full: bool = True,
                        business_ids: list[int] | None = None) -> list[Any]:
    """Run one sync pass with a Rich progress bar per business (rows fetched of rows known); answers
    ``bootstrap.sync_now``'s per-business results."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    seen: dict[int, dict[Entity, tuple[int, int]]] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=out, transient=not out.is_terminal) as bar:
        tasks = {bid: bar.add_task(f"{name[:32]:<32} waiting", total=None) for bid, name in names.items()}

        def progress(business_id: int, entity: Entity, done: int, total: int | None) -> None:
            counts = seen.setdefault(business_id, {})
            counts[entity] = (done, total if total is not None else done)
            bar.update(tasks[business_id], completed=sum(d for d, _ in counts.values()),
                       total=sum(t for _, t in counts.values()),
                       description=f"{names[business_id][:32]:<32} {entity.value:<12}")

        return bootstrap.sync_now(container, business_ids=business_ids or list(names), full=full, progress=progress)


@app.command()
def sync(
    business: int | None = typer.Option(None, "--business", help="Only this business (default: all)."),
    full: bool = typer.Option(False, "--full", help="Read everything again instead of the changes since the cursor."),
) -> None:
    """One sync pass from QBO into the mirror (RUNWAY_DATABASE_URL), with a progress bar."""
    try:
        with bootstrap.build_container() as c:
            bootstrap.build_sync_service(c)  # fails first, and clearly, when QBO is not configured
            businesses = c.portfolio.list_businesses()
            if business is not None:
                businesses = [b for b in businesses if b.id == business]
                if not businesses:
                    _fail(f"no business with id {business}", 2)
            results = _sync_with_progress(c, {b.id: b.name for b in businesses}, full=full)
    except bootstrap.ConfigurationError as exc:
        _fail(str(exc), 2)
    failed = [r for r in results if not r.ok]
    for r in results:
        state = "skipped (another sync holds its lock)" if r.skipped else ("ok" if r.ok else f"FAILED: {r.error or ''}")
        out.print(f"business {r.business_id}: {r.upserted:,} upserted, {r.deleted:,} deleted, "
                  f"{r.quarantined:,} quarantined - {state}")
    if failed:
        raise typer.Exit(1)


@app.command()
def verify(
    business: int = typer.Option(..., "--business", help="The business (client) to check."),
) -> None:
    """Cross-check the mirror's AP and AR aging against QBO's own AgedPayables and AgedReceivables reports,
    both aged to today (RUNWAY_DATABASE_URL, QBO settings); name every bucket that differs. Exit 1 when one
    does."""
    try:
        with bootstrap.build_container() as c:
            result = bootstrap.verify_aging(c, business)
    except bootstrap.ConfigurationError as exc:
        _fail(str(exc), 2)
    except NotFound as exc:
        _fail(str(exc), 2)
    except DomainError as exc:
        _fail(str(exc))
    out.print(render.verification_table(result))
    if result.ok:
        out.print("[bold green]no differences:[/] the mirror's aging equals QBO's reports")
        return
    err.print(f"[bold red]{len(result.describe_differences())} difference(s) with QBO:[/]")
    for line in result.describe_differences():
        err.print(f"  {line}")
    raise typer.Exit(1)


@app.command()
def worker(
    interval: float = typer.Option(900, min=1, help="Seconds between syncs of every business."),
    poll: float = typer.Option(5, min=0.1, help="Seconds between checks of the sync request queue."),
    processes: int = typer.Option(1, min=1, help="Worker processes to run (each syncs several businesses)."),
) -> None:
    """Run the background sync worker until Ctrl+C: every business each interval, requests in between.

    The job engine is configuration: the embedded queue in the mirror database, or Dramatiq on the Redis
    named by RUNWAY_BROKER_URL (then run this on as many machines as needed)."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with bootstrap.build_container() as c:
            engine = c.sync_engine.name if c.sync_engine is not None else "none"
            out.print(f"worker ({engine} engine, {processes} process{'es' if processes > 1 else ''}): syncing "
                      f"every {interval:.0f} s, polling requests every {poll:.0f} s (Ctrl+C stops)")
            try:
                bootstrap.run_worker(c, interval_seconds=interval, poll_seconds=poll, stop_event=stop,
                                     processes=processes)
            except KeyboardInterrupt:
                stop.set()
    except bootstrap.ConfigurationError as exc:
        _fail(str(exc), 2)
    out.print("worker stopped")


def _pick_client(rows: list[ConsoleRow], client: str | None) -> int:
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
    global out, err
    out, err = _stdout_console(), Console(stderr=True)


@app.command()
def console(firm: int | None = typer.Option(None, help="Firm id (default: every firm)."),
            now: str | None = typer.Option(None, help="Pretend it is this ISO-8601 date-time.")) -> None:
    """Rank the clients in the mirror (RUNWAY_DATABASE_URL) by runway."""
    with bootstrap.build_container(clock=_parse_now(now)) as c, c.read_scope():
        out.print(render.console_table(c.console.console(firm)))


@app.command()
def digest(business: int = typer.Argument(..., help="Business id."),
           now: str | None = typer.Option(None, help="Pretend it is this ISO-8601 date-time.")) -> None:
    """Print one client's weekly digest and prep tray from the mirror (RUNWAY_DATABASE_URL)."""
    with bootstrap.build_container(clock=_parse_now(now)) as c, c.read_scope():  # one snapshot for both
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
    try:
        bootstrap.run_sandbox(host=host, port=port, seed=seed, size=size, realms=realm_arg, limits=limits)
    except bootstrap.SandboxNotInstalled as exc:
        _fail(str(exc), 2)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def audit(ctx: typer.Context) -> None:
    """The data-flow pattern map: each domain operation, its declared pattern, what it reaches, the verdict.

    See `runway audit --help` (archguard's options). The console script hands `audit` to runway.audit before
    importing this module (runway/__main__.py); this command runs the same audit for callers of this app.
    """
    from runway.audit import audit as run_audit

    raise typer.Exit(run_audit(ctx.args))


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


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    migrate_first: bool = typer.Option(False, "--migrate", help="Upgrade the mirror schema before serving."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
    workers: int = typer.Option(0, min=0, max=64, help="Server processes (0: one per CPU; 1: this process)."),
) -> None:
    """Serve the HTTP API (FastAPI + uvicorn) over the mirror (RUNWAY_DATABASE_URL) until Ctrl+C. Several
    worker processes share the database (PostgreSQL, or SQLite in WAL mode); put a reverse proxy with TLS in
    front of it in production (see the README)."""
    workers = workers or os.cpu_count() or 1
    # FastAPI and uvicorn are imported for this command only.
    from runway.bootstrap.api import serve_api, serve_api_workers

    try:
        with bootstrap.build_container() as c:
            if migrate_first:
                bootstrap.prepare_database(c)
            err.print(f"Runway API on http://{host}:{port} (docs: /docs) over {c.settings.database_url}, "
                      f"{workers} worker process{'es' if workers > 1 else ''}")
            if workers == 1:
                serve_api(c, host=host, port=port, log_level=log_level)
                return
        serve_api_workers(host=host, port=port, workers=workers, log_level=log_level)
    except bootstrap.ConfigurationError as exc:
        _fail(str(exc), 2)


payments_app = typer.Typer(help="Bill payments made through Runway.", no_args_is_help=True)
app.add_typer(payments_app, name="payments")


@payments_app.command("settle")
def payments_settle(business: int | None = typer.Option(None, help="Only this business (default: all).")) -> None:
    """Settle pending payments whose answer was lost: each is looked up in QuickBooks by its requestid; found
    ones are recorded as made, ones pending longer than RUNWAY_PENDING_PAYMENT_GIVE_UP_HOURS (24 h) and not
    found were never made and are removed. Every sync does this too; this runs it now."""
    with bootstrap.build_container() as c:
        try:
            reports = bootstrap.settle_payments(c, business_ids=None if business is None else [business])
        except bootstrap.ConfigurationError as exc:
            _fail(str(exc), 2)
    for report in reports:
        line = (f"business {report.business_id}: {len(report.settled)} settled, {len(report.discarded)} removed "
                f"(never made), {len(report.waiting)} still pending")
        out.print(line + (f"; failed: {report.error}" if report.error else ""), highlight=False)
    if any(report.error for report in reports):
        raise typer.Exit(1)


advisor_app = typer.Typer(help="Advisors: the people at a firm who use the API.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (Authorization: Bearer rk_...).", no_args_is_help=True)
app.add_typer(advisor_app, name="advisor")
app.add_typer(token_app, name="token")


@advisor_app.command("create")
def advisor_create(
    firm: str = typer.Option(..., help="The advisor's firm, by name."),
    email: str = typer.Option(..., help="The advisor's e-mail address (their login)."),
    name: str | None = typer.Option(None, help="The advisor's name."),
    create_firm: bool = typer.Option(False, "--create-firm", help="Create the firm if there is none by that name."),
) -> None:
    """Add an advisor to a firm (RUNWAY_DATABASE_URL). They see only that firm's client businesses."""
    with bootstrap.build_container() as c:
        try:
            advisor, firm_record = c.advisors.create_advisor(firm, email, name, create_firm=create_firm)
        except NotFound:
            _fail(f"no firm named {firm!r} (pass --create-firm to create it)", 2)
        except DomainError as exc:
            _fail(str(exc), 2)
    out.print(f"advisor {advisor.id} <{advisor.email}> of firm {firm_record.id} ({firm_record.name})")


@token_app.command("create")
def token_create(
    advisor: str = typer.Option(..., help="The advisor's e-mail address."),
    label: str | None = typer.Option(None, help="A note to tell tokens apart (e.g. 'laptop')."),
    days: int | None = typer.Option(None, min=1, max=3650,
                                    help="Expire after this many days (default: RUNWAY_TOKEN_LIFETIME_DAYS, 90)."),
) -> None:
    """Create an API token for an advisor and print it once: only its SHA-256 digest is stored."""
    with bootstrap.build_container() as c:
        try:
            issued = c.advisors.create_token(advisor, label,
                                             lifetime=None if days is None else timedelta(days=days))
        except DomainError as exc:
            _fail(str(exc), 2)
    err.print(f"token {issued.record.id} ({issued.record.prefix}...) for {issued.advisor.email}; "
              f"expires {_when(issued.record.expires_at)}; it is shown only now - store it safely:")
    print(issued.token)


def _when(at: datetime | None) -> str:
    return "never" if at is None else at.strftime("%Y-%m-%d %H:%M UTC")


@token_app.command("list")
def token_list(advisor: str = typer.Option(..., help="The advisor's e-mail address.")) -> None:
    """An advisor's API tokens: id, prefix, label, when created, last used and expiring, and status."""
    with bootstrap.build_container() as c:
        try:
            tokens = c.advisors.tokens_of(advisor)
        except DomainError as exc:
            _fail(str(exc), 2)
        now = c.clock.now()
    if not tokens:
        out.print(f"no API tokens for {advisor}")
        return
    for t in tokens:
        status = "revoked" if not t.active else ("expired" if not t.usable_at(now) else "active")
        out.print(f"{t.id:>5}  {t.prefix}...  {status:<8} created {_when(t.created_at)}  "
                  f"last used {_when(t.last_used_at) if t.last_used_at else 'never'}  "
                  f"expires {_when(t.expires_at)}  {t.label or ''}".rstrip(), highlight=False)


@token_app.command("revoke")
def token_revoke(
    advisor: str = typer.Option(..., help="The advisor's e-mail address."),
    token_id: int = typer.Option(..., "--id", min=1, help="The token's id (runway token list)."),
) -> None:
    """Revoke one of an advisor's API tokens: it is refused from the next request on."""
    with bootstrap.build_container() as c:
        try:
            c.advisors.revoke_token(advisor, token_id)
        except DomainError as exc:
            _fail(str(exc), 2)
    out.print(f"token {token_id} of {advisor} revoked")


def main() -> None:  # pragma: no cover - the console script is runway.__main__:main
    sys.exit(app())
