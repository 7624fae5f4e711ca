"""HTTP load on the API: concurrent requests to the console and a client's digest (a script, not a test).

Builds a mirror of the seeded six-client portfolio (``tests/fixtures/portfolio_seed.py``; ``--scale small``
for a tenth of the documents) on SQLite, and also on PostgreSQL when ``--postgres URL`` is given (in a
dedicated schema, dropped at the end), creates an advisor and an API token, serves the API with uvicorn from a
thread on a free loopback port (what ``runway serve`` runs), and fires ``--requests`` requests per endpoint
from ``--concurrency`` client threads (bounded by ``--time-limit`` seconds per endpoint). Prints p50 / p95 /
p99 latency in milliseconds and requests per second, per endpoint and database.

    uv run python benchmarks/api_load.py [--requests 1000] [--concurrency 12] [--scale full|small]
                                         [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

The client threads share the process (and the GIL) with the server, so the figures are a floor on what a
separate server process would do; the database work per request is the same.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runway import bootstrap  # noqa: E402
from runway.api import create_app  # noqa: E402
from runway.api.server import serving_in_thread  # noqa: E402
from runway.settings import Settings  # noqa: E402
from tests.fixtures.portfolio_seed import seed_container  # noqa: E402

ADVISOR = "bench@harbor.example"


@dataclass
class Result:
    database: str
    endpoint: str
    latencies_ms: list[float]
    errors: int
    wall_s: float

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0


def prepare(database_url: str, scale: str) -> tuple[object, str, list[int]]:
    """A container over a migrated, seeded mirror, and an API token for an advisor of the seeded firm."""
    container = bootstrap.build_container(Settings(database_url=database_url))
    bootstrap.prepare_database(container)
    summary = seed_container(container, scale=scale)
    container.advisors.create_advisor(summary.firm.name, ADVISOR, "Benchmark")
    token = container.advisors.create_token(ADVISOR, "api_load").token
    return container, token, [b.business.id for b in summary.businesses]


def fire(base_url: str, token: str, paths: list[str], requests: int, concurrency: int, time_limit: float
         ) -> tuple[list[float], int, float]:
    """``requests`` GETs cycling through ``paths`` from ``concurrency`` threads; stops early at the time limit."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + time_limit
    headers = {"Authorization": f"Bearer {token}"}

    def worker(_: int) -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        with httpx.Client(base_url=base_url, headers=headers, timeout=30.0) as client:
            while time.monotonic() < deadline:
                n = next(counter)
                if n >= requests:
                    break
                start = time.perf_counter()
                try:
                    response = client.get(paths[n % len(paths)])
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                mine.append((time.perf_counter() - start) * 1000)
                failed += 0 if ok else 1
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    return latencies, errors, time.perf_counter() - started


def run_database(name: str, database_url: str, args: argparse.Namespace) -> list[Result]:
    print(f"[{name}] migrating and seeding the portfolio ({args.scale})...", flush=True)
    started = time.perf_counter()
    container, token, business_ids = prepare(database_url, args.scale)
    print(f"[{name}] ready in {time.perf_counter() - started:.1f} s; serving...", flush=True)
    results = []
    try:
        with serving_in_thread(create_app(container)) as base_url:
            endpoints = {
                "GET /v1/console": ["/v1/console"],
                "GET /v1/businesses/{id}/digest": [f"/v1/businesses/{b}/digest" for b in business_ids],
            }
            for label, paths in endpoints.items():
                fire(base_url, token, paths, args.warmup, args.concurrency, args.time_limit)  # warm caches, pools
                latencies, errors, wall = fire(base_url, token, paths, args.requests, args.concurrency,
                                               args.time_limit)
                results.append(Result(name, label, latencies, errors, wall))
                print(f"[{name}] {label}: {len(latencies)} requests in {wall:.1f} s", flush=True)
    finally:
        container.close()
    return results


def postgres_schema(url: str) -> tuple[str, str, object]:
    """A new schema on the server at ``url``; answers its name, a URL using it and the admin engine."""
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"runway_api_load_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in url else "?"
    return name, f"{url}{separator}options={quote(f'-csearch_path={name}')}", admin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint (default 1000)")
    parser.add_argument("--concurrency", type=int, default=12, help="client threads (default 12)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per endpoint at most")
    parser.add_argument("--warmup", type=int, default=50, help="requests per endpoint before measuring")
    parser.add_argument("--scale", choices=["full", "small"], default="full")
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL (a temporary schema there)")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)

    results: list[Result] = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="runway-api-load-") as tmp:
            results += run_database("sqlite", f"sqlite:///{Path(tmp) / 'mirror.db'}", args)
    if args.postgres:
        schema, url, admin = postgres_schema(args.postgres)
        try:
            results += run_database("postgresql", url, args)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
            print(f"[postgresql] dropped schema {schema}")

    print(f"\n{args.concurrency} concurrent clients, {args.requests} requests per endpoint, {args.scale} portfolio, "
          f"{os.cpu_count()} CPUs\n")
    print(f"{'database':<11} {'endpoint':<31} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'req/s':>8}")
    for r in results:
        print(f"{r.database:<11} {r.endpoint:<31} {len(r.latencies_ms):>8} {r.errors:>6} {r.pct(0.50):>8.1f} "
              f"{r.pct(0.95):>8.1f} {r.pct(0.99):>8.1f} {r.rps:>8.1f}")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
