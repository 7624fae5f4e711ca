"""Rich renderings of runway answers for the command line."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from domains.core.freshness import Freshness
from domains.verification.comparison import LEDGER_NAMES, AgingVerification
from runway.services.console import ConsoleRow
from runway.services.digest import WeeklyDigest
from runway.services.prep_tray import PrepTray

#: One colour per runway band, so a console of dozens of clients reads at a glance: red needs action this
#: week, yellow soon, green is fine, cyan has cash to spare. The status is always written out too, so the
#: table says the same without colour (piped output, NO_COLOR: Rich drops colour itself in both cases).
STATUS_STYLE = {"critical": "bold red", "warning": "bold yellow", "healthy": "green", "excellent": "cyan"}
PRIORITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}


def money(value: Decimal) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def _days(value: Decimal | None) -> str:
    return "not burning" if value is None else f"{value:,.1f}"


def _freshness(fresh: Freshness) -> Text:
    return Text(fresh.describe(), style="bold red" if fresh.stale else "dim")


def console_table(rows: list[ConsoleRow], title: str = "Advisor console") -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for name, justify in [("#", "right"), ("Client", "left"), ("Runway (days)", "right"), ("Weeks", "right"),
                          ("Status", "left"), ("Cash", "right"), ("Open AR", "right"), ("Open AP", "right"),
                          ("Net burn / day", "right"), ("Data", "left")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        f = row.runway
        style = STATUS_STYLE[f.status.value]
        weeks = "-" if f.runway_weeks is None else f"{f.runway_weeks:,.1f}"
        # The client, its runway and its status carry the band's colour; the amounts stay plain.
        table.add_row(str(row.rank), Text(row.business.name, style=style), Text(_days(f.runway_days), style=style),
                      Text(weeks, style=style), Text(f.status.value, style=style), money(f.cash),
                      money(f.open_ar), money(f.open_ap), money(f.net_burn_per_day.quantize(Decimal("0.01"))),
                      _freshness(row.freshness))
    return table


def digest_panel(d: WeeklyDigest) -> Panel:
    f = d.runway
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(justify="right")
    weeks = "" if f.runway_weeks is None else f" ({f.runway_weeks} weeks)"
    summary.add_row("Runway", Text(f"{_days(f.runway_days)} days{weeks} - {f.status.value}",
                                   style=STATUS_STYLE[f.status.value]))
    summary.add_row("Cash", f"{money(f.cash)} ({d.cash_source})")
    if d.cash_fallback_reason:
        summary.add_row("", Text(f"fell back to the mirror: {d.cash_fallback_reason}", style="bold yellow"))
    summary.add_row("Open AR", f"{money(d.ar.open_total)} in {d.ar.open_count} invoices, "
                               f"{money(d.ar.overdue_total)} overdue")
    summary.add_row("Open AP", f"{money(d.ap.open_total)} in {d.ap.open_count} bills, "
                               f"{money(d.ap.due_soon_total)} due within 7 days")
    summary.add_row("Last 7 days", f"received {money(d.last_week.received)}, paid {money(d.last_week.paid)}")
    summary.add_row("Net burn", f"{money(f.net_burn_per_day.quantize(Decimal('0.01')))} / day "
                                f"over {f.window_days} days")
    summary.add_row("Data", _freshness(d.freshness))

    bills = Table(title="Bills due this week", title_justify="left", header_style="bold")
    for col in ("Bill", "Vendor", "Due", "Balance"):
        bills.add_column(col, justify="right" if col == "Balance" else "left")
    for b in d.bills_due_this_week:
        bills.add_row(b.doc_number or b.qbo_id, b.vendor_name or b.vendor_qbo_id,
                      b.due_date.isoformat() if b.due_date else "-", money(b.balance))
    chase = Table(title="Invoices to chase", title_justify="left", header_style="bold")
    for col in ("Invoice", "Customer", "Days overdue", "Balance", "Priority"):
        chase.add_column(col, justify="right" if col in ("Days overdue", "Balance") else "left")
    for item in d.invoices_to_chase:
        inv = item.invoice
        chase.add_row(inv.doc_number or inv.qbo_id, inv.customer_name or inv.customer_qbo_id,
                      str(item.days_overdue), money(inv.balance),
                      Text(item.priority.value, style=PRIORITY_STYLE[item.priority.value]))
    return Panel(Group(summary, Text(""), bills, Text(""), chase),
                 title=f"Weekly digest: {d.business.name} ({d.as_of.isoformat()})", title_align="left")


def tray_table(tray: PrepTray, business_name: str, limit: int | None = None) -> Table:
    table = Table(title=f"Prep tray: {business_name} (cash cap for bills {money(tray.cash_cap)}; "
                        f"{tray.freshness.describe()})", title_justify="left", header_style="bold")
    for col in ("Priority", "Action", "Counterparty", "Amount", "Why"):
        table.add_column(col, justify="right" if col == "Amount" else "left")
    shown = tray.actions if limit is None else tray.actions[:limit]
    for a in shown:
        table.add_row(Text(a.priority, style=PRIORITY_STYLE[a.priority]), a.title, a.counterparty or "-",
                      money(a.amount), a.reason)
    if len(shown) < len(tray.actions):
        table.caption = (f"{len(tray.actions) - len(shown)} more actions; to pay {money(tray.to_pay_total)}, "
                         f"to collect {money(tray.to_collect_total)} in all")
    return table


def verification_table(result: AgingVerification) -> Table:
    """The mirror's aging next to QBO's, bucket by bucket, AP then AR; differing buckets in red."""
    table = Table(title=f"Aging cross-check: {result.business.name}, as of {result.as_of.isoformat()} "
                        f"(mirror {result.freshness.describe()})", title_justify="left", header_style="bold")
    for name, justify in [("Ledger", "left"), ("Bucket", "left"), ("Mirror", "right"), ("QBO report", "right"),
                          ("Difference", "right"), ("", "left")]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for bucket in result.buckets:
        difference = "-" if bucket.difference is None else money(bucket.difference)
        verdict = Text("ok", style="green") if bucket.matches else Text("DIFFERS", style="bold red")
        table.add_row(LEDGER_NAMES[bucket.ledger], bucket.bucket,
                      "-" if bucket.mirror is None else money(bucket.mirror),
                      "-" if bucket.qbo is None else money(bucket.qbo), difference, verdict)
    return table
