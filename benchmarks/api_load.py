"""HTTP load on the API: the console and a client's digest at 1, 8 and 32 concurrent clients (a script, not
a test).

Builds a mirror of the seeded six-client portfolio (``tests/fixtures/portfolio_seed.py``; ``--scale small``
for a tenth of the documents) on SQLite, and also on PostgreSQL when ``--postgres URL`` is given (in a
dedicated schema, dropped at the end), creates an advisor and an API token, and starts ``runway serve
--workers N`` as a separate process on a free loopback port: the figures are those of the real server. Each
client is a thread with one keep-alive connection (``http.client``: the load generator should cost as little
CPU as it can, since it shares the machine). For each database, endpoint and client count it runs
``--duration`` seconds after a warm-up and prints p50 / p95 / p99 latency in milliseconds and requests per
second, then the targets.

    uv run python benchmarks/api_load.py [--workers 2] [--clients 1,8,32] [--duration 10] [--scale full|small]
                                         [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
                                         [--no-vacuum]

On PostgreSQL the loaded mirror is vacuumed and analysed before the runs, as autovacuum would have done within a
minute of the load (``--no-vacuum`` measures it never vacuumed, as on a server with autovacuum off).

Targets (issue 13): at 32 clients with ``--workers 2``, digest p95 < 400 ms and console p95 < 250 ms on both
databases; throughput at 8 clients at least 1.6x that at 1 client.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runway import bootstrap  # noqa: E402
from runway.settings import Settings  # noqa: E402
from tests.fixtures.portfolio_seed import seed_container  # noqa: E402

ADVISOR = "bench@harbor.example"
DIGEST_P95_TARGET_MS = 400.0
CONSOLE_P95_TARGET_MS = 250.0
SCALING_TARGET = 1.6


@dataclass
class Result:
    database: str
    endpoint: str
    clients: int
    latencies_ms: list[float]
    errors: int
    wall_s: float

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.wall_s if self.wall_s else 0.0


def prepare(database_url: str, scale: str) -> tuple[str, list[int]]:
    """Migrate and seed the mirror; answers an API token for an advisor of the seeded firm and the client ids."""
    with bootstrap.build_container(Settings(database_url=database_url)) as container:
        bootstrap.prepare_database(container)
        summary = seed_container(container, scale=scale)
        container.advisors.create_advisor(summary.firm.name, ADVISOR, "Benchmark")
        token = container.advisors.create_token(ADVISOR, "api_load").token
        return token, [b.business.id for b in summary.businesses]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "RUNWAY_DATABASE_URL": database_url}
    server = subprocess.Popen([sys.executable, "-m", "runway", "serve", "--port", str(port), "--workers",
                               str(workers), "--log-level", "warning"], env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def fire(port: int, token: str, paths: list[str], clients: int, duration: float) -> tuple[list[float], int, float]:
    """``clients`` threads, each GETting ``paths`` in turn over one keep-alive connection for ``duration``."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}
    start_line = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(index: int) -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        n = index
        start_line.wait()
        while time.monotonic() < stop_at[0]:
            path = paths[n % len(paths)]
            n += 1
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append((time.perf_counter() - began) * 1000)
            failed += 0 if ok else 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + duration
    started = time.perf_counter()
    start_line.wait()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def vacuum_analyze(database_url: str) -> None:
    """``VACUUM (ANALYZE)`` every table of the mirror: what autovacuum does within a minute of a bulk load (its
    insert threshold), done here because a test server may run with autovacuum off. Without it PostgreSQL
    plans with no statistics and every index-only scan also reads the table (no visibility map)."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # Named one by one: a bare VACUUM would process every table of the database, other schemas' too.
            tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
            for (table,) in tables.all():
                conn.execute(text(f'VACUUM (ANALYZE) "{table}"'))
    finally:
        engine.dispose()


def run_database(name: str, database_url: str, args: argparse.Namespace) -> list[Result]:
    print(f"[{name}] migrating and seeding the portfolio ({args.scale})...", flush=True)
    started = time.perf_counter()
    token, business_ids = prepare(database_url, args.scale)
    if name == "postgresql" and not args.no_vacuum:
        vacuum_analyze(database_url)
    print(f"[{name}] ready in {time.perf_counter() - started:.1f} s; runway serve --workers {args.workers}...",
          flush=True)
    server, port = start_server(database_url, args.workers)
    endpoints = {"console": ["/v1/console"],
                 "digest": [f"/v1/businesses/{b}/digest" for b in business_ids]}
    results = []
    try:
        for label, paths in endpoints.items():
            for clients in args.clients:
                fire(port, token, paths, clients, args.warmup)  # warm caches, pools and every worker
                latencies, errors, wall = fire(port, token, paths, clients, args.duration)
                result = Result(name, label, clients, latencies, errors, wall)
                results.append(result)
                print(f"[{name}] {label} x{clients}: {len(latencies)} requests, p95 {result.pct(0.95):.0f} ms, "
                      f"{result.rps:.1f} req/s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def postgres_schema(url: str) -> tuple[str, str, object]:
    """A new schema on the server at ``url``; answers its name, a URL using it and the admin engine."""
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"runway_api_load_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    separator = "&" if "?" in url else "?"
    return name, f"{url}{separator}options={quote(f'-csearch_path={name}')}", admin


def verdicts(results: list[Result], workers: int) -> list[str]:
    lines = []
    by = {(r.database, r.endpoint, r.clients): r for r in results}
    for (database, endpoint, clients), r in by.items():
        if clients == 32 and workers == 2:
            target = DIGEST_P95_TARGET_MS if endpoint == "digest" else CONSOLE_P95_TARGET_MS
            verdict = "met" if r.pct(0.95) < target else "MISSED"
            lines.append(f"{database} {endpoint}: p95 at 32 clients {r.pct(0.95):.0f} ms (target < {target:.0f}): "
                         f"{verdict}")
        if clients == 8 and (database, endpoint, 1) in by:
            one = by[(database, endpoint, 1)]
            ratio = r.rps / one.rps if one.rps else float("nan")
            verdict = "met" if ratio >= SCALING_TARGET else "MISSED"
            lines.append(f"{database} {endpoint}: 8 clients give {ratio:.2f}x the req/s of 1 "
                         f"(target >= {SCALING_TARGET}x): {verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    parser.add_argument("--clients", default="1,8,32", help="client counts, comma-separated (default 1,8,32)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up before each measurement")
    parser.add_argument("--scale", choices=["full", "small"], default="full")
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL (a temporary schema there)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--no-vacuum", action="store_true",
                        help="PostgreSQL: measure the freshly loaded mirror as it is (no VACUUM ANALYZE after the "
                             "load; matters only where autovacuum is off)")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]

    results: list[Result] = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="runway-api-load-") as tmp:
            results += run_database("sqlite", f"sqlite:///{Path(tmp) / 'mirror.db'}", args)
    if args.postgres:
        schema, url, admin = postgres_schema(args.postgres)
        try:
            results += run_database("postgresql", url, args)
        finally:
            with admin.begin() as conn:  # type: ignore[attr-defined]
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()  # type: ignore[attr-defined]
            print(f"[postgresql] dropped schema {schema}")

    print(f"\nrunway serve --workers {args.workers}, {args.duration:g} s per run, {args.scale} portfolio, "
          f"{os.cpu_count()} CPUs, load generator on the same machine\n")
    print(f"{'database':<11} {'endpoint':<8} {'clients':>7} {'requests':>8} {'errors':>6} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}")
    for r in results:
        print(f"{r.database:<11} {r.endpoint:<8} {r.clients:>7} {len(r.latencies_ms):>8} {r.errors:>6} "
              f"{r.pct(0.50):>8.1f} {r.pct(0.95):>8.1f} {r.pct(0.99):>8.1f} {r.rps:>8.1f}")
    print()
    for line in verdicts(results, args.workers):
        print(line)
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
