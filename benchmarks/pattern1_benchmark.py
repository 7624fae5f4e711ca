"""Pattern 1 read latency on a large mirror (a script that prints figures; not a test).

Builds (or reuses) a SQLite mirror of 100 clients, the largest with 50,000 bills and 50,000 invoices,
then times through the real composition root:
- a client's weekly digest (largest client),
- the aging report (largest client),
- the payment-ready selection under a cash cap (largest client),
- the 100-client advisor console.
Prints p50 / p95 / max in milliseconds for each, next to the targets (SQLite: digest p95 < 50 ms on the
largest client, console < 300 ms).

    uv run python benchmarks/pattern1_benchmark.py [--db FILE] [--runs N] [--businesses N] [--largest N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domains.core.clock import FixedClock  # noqa: E402
from runway import bootstrap  # noqa: E402
from runway.settings import Settings  # noqa: E402

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def timed(fn, runs: int) -> list[float]:
    fn()  # warm the page cache and SQLite's statement cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=Path(".benchmarks/pattern1.db"))
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--businesses", type=int, default=100)
    parser.add_argument("--largest", type=int, default=50_000, help="bills and invoices of the largest client")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the mirror even if the file exists")
    args = parser.parse_args(argv)

    args.db.parent.mkdir(parents=True, exist_ok=True)
    fresh = args.rebuild or not args.db.exists()
    if fresh:
        args.db.unlink(missing_ok=True)
    settings = Settings(database_url=f"sqlite:///{args.db}")
    with bootstrap.build_container(settings, clock=FixedClock(NOW)) as c:
        if fresh:
            start = time.perf_counter()
            bootstrap.prepare_database(c)
            from tests.fixtures.portfolio_seed import seed_benchmark_portfolio  # the benchmark's own data set

            summary = seed_benchmark_portfolio(c.session_factory, businesses=args.businesses,
                                               largest_bills=args.largest, largest_invoices=args.largest,
                                               today=NOW.date(), now=NOW)
            print(f"built {args.db}: {summary.total_rows:,} rows in {time.perf_counter() - start:.1f} s")
        businesses = c.portfolio.list_businesses()
        largest = businesses[0]
        cap = c.balances.mirrored_cash_position(largest.id).data.total
        print(f"mirror {args.db}: {len(businesses)} businesses; largest: {largest.name} "
              f"(payment-ready cap = its cash, {cap:,.2f}); {args.runs} runs each\n")
        cases = [
            ("digest (largest client)", lambda: c.runway.weekly_digest(largest.id), 50.0),
            ("aging report (largest client)", lambda: c.collections.aging_report(largest.id), None),
            ("payment-ready under cap (largest)", lambda: c.bills.payment_ready_bills(largest.id, cap), None),
            (f"console ({len(businesses)} clients)", lambda: c.console.console(None), 300.0),
        ]
        print(f"{'operation':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target")
        for name, fn, target in cases:
            samples = timed(fn, args.runs)
            p95 = pct(samples, 0.95)
            verdict = "" if target is None else (f"p95 < {target:.0f} ms: " + ("met" if p95 < target else "MISSED"))
            print(f"{name:<36} {statistics.median(samples):8.2f} {p95:8.2f} {max(samples):8.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
