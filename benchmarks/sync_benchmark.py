"""Sync throughput against the local QBO sandbox, with Intuit's latency and limits (a script, not a test).

    uv run python benchmarks/sync_benchmark.py                       # 50,000 entities, then 100 x 5,000
    uv run python benchmarks/sync_benchmark.py --entities 5000 --companies 10 --company-entities 1000

1. A full sync of one company of ``--entities`` entities. The sandbox runs in its own process (so its
   work does not compete with the sync for this process's GIL), answers every request after
   ``--latency-ms`` plus ``--per-row-ms`` per returned object, and enforces Intuit's limits (10 requests
   per second, 500 per minute, 10 in flight and 40 batch calls per minute per company; a request over them
   gets a 429). Printed: rows/s, requests,
   the lower bound ``max(requests / (500/min), total latency / 10 in flight)``, the ratio of the time to
   it (target <= 1.3) and the number of 429s (must be 0: the client's limiter keeps under the limits).
2. An incremental sync after ``--changed`` (1%) of the entities changed (target: < 5% of the full time).
3. ``--companies`` companies of ``--company-entities`` entities synced together (``sync_all``).
4. ``--processes 1,2,4``: the same companies synced by that many ``runway worker`` processes on the Dramatiq
   engine (Redis at ``--redis``), QBO's limits shared through Redis, the mirror on PostgreSQL (``--pg``, a
   fresh schema per run: SQLite serialises writers). Printed per process count: time, rows/s, 429s, the
   speed-up over one process and the ratio to the bound QBO's limits set (every company synced at once:
   the slowest company's ``max(requests / (500/min), latency / 10 in flight)``).

The mirror is a SQLite file in a temporary directory unless ``--db`` names a database URL (its tables
must be empty or absent; it is migrated). The client runs with its production defaults (500/min,
10/s and 10 in flight per realm).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.db.engine import create_engine_for, create_session_factory, sqlite_url  # noqa: E402
from infra.db.migrate import upgrade_to_head  # noqa: E402
from infra.db.writer import MirrorWriter  # noqa: E402
from infra.jobs import BusinessSyncResult, SyncService  # noqa: E402
from infra.jobs.heap import freeze_startup_heap  # noqa: E402
from infra.qbo import OAuthTokens, QboClient, QboClientConfig, RealmLimiterRegistry  # noqa: E402

REQUESTS_PER_MINUTE = 500
MAX_IN_FLIGHT = 10


# -- the sandbox, in a process of its own -------------------------------------------------------------

def _serve(conn, realms: int, size: int, seed: int, latency_ms: float, per_row_ms: float) -> None:
    from qbo_sandbox import LatencySettings, LimitSettings, SandboxConfig, SandboxServer, SandboxState

    config = SandboxConfig(realms=realms, seed=seed, size=size,
                           latency=LatencySettings(fixed_ms=latency_ms, per_row_ms=per_row_ms),
                           limits=LimitSettings(enabled=True, requests_per_minute=REQUESTS_PER_MINUTE,
                                                max_concurrent=MAX_IN_FLIGHT))
    state = SandboxState(config)
    with SandboxServer(state) as server:
        conn.send(server.port)
        conn.recv()  # wait until told to stop
    state.close()


class Sandbox:
    """A sandbox process and its admin API."""

    def __init__(self, realms: int, size: int, seed: int, latency_ms: float, per_row_ms: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, realms, size, seed, latency_ms, per_row_ms),
                                        daemon=True)
        self._process.start()
        if not self._conn.poll(600):
            raise RuntimeError("the sandbox did not start")
        self.port = self._conn.recv()
        self.base = f"http://127.0.0.1:{self.port}"
        self.admin = httpx.Client(base_url=f"{self.base}/_sandbox", timeout=120)

    def stop(self) -> None:
        self.admin.close()
        self._conn.send("stop")
        self._process.join(30)

    def realms(self) -> list[dict]:
        return self.admin.get("/realms").json()

    def connect(self, realm_id: str) -> str:
        return self.admin.post("/connect", json={"realm_id": realm_id}).json()["refresh_token"]

    def counters(self) -> dict:
        return self.admin.get("/counters").json()

    def entities(self, realm_id: str, entity: str) -> list[dict]:
        return json.loads(self.admin.get(f"/realms/{realm_id}/entities/{entity}").content, parse_float=Decimal)

    def mutate(self, realm_id: str, entity: str, operation: str, body: dict) -> dict:
        response = self.admin.post(f"/realms/{realm_id}/mutate",
                                   content=json.dumps({"entity": entity, "operation": operation, "body": body},
                                                      default=str))
        return {**(response.json() if response.content else {}), "_http": response.status_code}


class AdminRealm:
    """What ``tests.infra.jobs.convergence`` reads from a realm, over the admin API."""

    def __init__(self, sandbox: Sandbox, realm_id: str) -> None:
        self.sandbox = sandbox
        self.realm_id = realm_id

    def all_entities(self, entity: str, *, decimal: bool = False) -> list[dict]:
        return self.sandbox.entities(self.realm_id, entity)


# -- measuring ------------------------------------------------------------------------------------------

@dataclass
class Measure:
    seconds: float
    rows: int
    requests: int
    throttled: int
    latency_ms: float
    cpu_seconds: float = 0.0  # this process (the sync), all threads; not measured for worker processes

    @property
    def bound(self) -> float:
        return max(self.requests / (REQUESTS_PER_MINUTE / 60), self.latency_ms / 1000 / MAX_IN_FLIGHT)


def _realm_counts(counters: dict) -> tuple[int, int]:
    realms = counters["realms"].values()
    return sum(r["requests"] for r in realms), sum(r["throttled"] for r in realms)


def measure(sandbox: Sandbox, run) -> tuple[Any, Measure]:
    before = sandbox.counters()
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = sandbox.counters()
    requests = _realm_counts(after)[0] - _realm_counts(before)[0]
    throttled = _realm_counts(after)[1] - _realm_counts(before)[1]
    results = result if isinstance(result, list) else [result]
    rows = sum(r.upserted + r.deleted for r in results)
    latency_ms = after["injected_latency_ms"] - before["injected_latency_ms"]
    return result, Measure(seconds, rows, requests, throttled, latency_ms, cpu)


def mirror(db_url: str | None, workdir: Path):
    url = db_url or sqlite_url(workdir / "mirror.db")
    engine = create_engine_for(url)
    upgrade_to_head(engine)
    return engine, create_session_factory(engine)


def client_for(sandbox: Sandbox, tokens) -> QboClient:
    config = QboClientConfig(api_base_url=f"{sandbox.base}/v3", token_url=f"{sandbox.base}/oauth2/v1/tokens/bearer",
                             client_id="sandbox-client-id", client_secret="sandbox-client-secret",
                             max_connections=200)
    return QboClient(config, tokens, RealmLimiterRegistry.from_config(config))


class Tokens:
    """An in-memory token store (the benchmark has no database-backed one to spare)."""

    def __init__(self) -> None:
        self._tokens: dict[str, OAuthTokens] = {}

    def load(self, realm_id):
        return self._tokens.get(realm_id)

    def save(self, tokens):
        self._tokens[tokens.realm_id] = tokens

    def mark_reconnect_required(self, realm_id, reason):
        self._tokens.pop(realm_id, None)

    def status(self, realm_id):
        from infra.qbo import ConnectionStatus

        connected = realm_id in self._tokens
        return (ConnectionStatus.CONNECTED if connected else ConnectionStatus.NOT_CONNECTED, None)


def change_entities(sandbox: Sandbox, realm_id: str, count: int, rng: random.Random) -> dict[str, int]:
    """``count`` changes through the sandbox's mutation API: updates, payments, voids and deletes."""
    bills = sandbox.entities(realm_id, "Bill")
    invoices = sandbox.entities(realm_id, "Invoice")
    vendors = sandbox.entities(realm_id, "Vendor")
    bank = next(a["Id"] for a in sandbox.entities(realm_id, "Account") if a["AccountType"] == "Bank" and a["Active"])

    def unpaid(row: dict) -> bool:
        return row["Balance"] > 0 and not any(link.get("TxnType") in ("BillPaymentCheck", "Payment")
                                              for link in row.get("LinkedTxn", []))

    open_bills = [b for b in bills if unpaid(b)]
    open_invoices = [i for i in invoices if unpaid(i)]
    rng.shuffle(open_bills)
    rng.shuffle(open_invoices)
    done = {"updated": 0, "paid": 0, "voided": 0, "deleted": 0, "refused": 0}
    for index in range(count):
        kind = (("update",) * 6 + ("pay", "void", "delete", "vendor"))[index % 10]
        if kind == "update":
            row = rng.choice(bills if index % 2 else invoices)
            entity = "Bill" if index % 2 else "Invoice"
            answer = sandbox.mutate(realm_id, entity, "patch", {"Id": row["Id"], "PrivateNote": f"checked {index}"})
        elif kind == "pay" and open_bills:
            bill = open_bills.pop()
            answer = sandbox.mutate(realm_id, "BillPayment", "create", {
                "VendorRef": {"value": bill["VendorRef"]["value"]}, "PayType": "Check",
                "CheckPayment": {"BankAccountRef": {"value": bank}}, "TotalAmt": str(bill["Balance"]),
                "Line": [{"Amount": str(bill["Balance"]), "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}]})
        elif kind == "void" and open_invoices:
            answer = sandbox.mutate(realm_id, "Invoice", "void", {"Id": open_invoices.pop()["Id"]})
        elif kind == "delete" and open_bills:
            answer = sandbox.mutate(realm_id, "Bill", "delete", {"Id": open_bills.pop()["Id"]})
        else:
            vendor = rng.choice(vendors)
            answer = sandbox.mutate(realm_id, "Vendor", "patch", {"Id": vendor["Id"], "CompanyName": f"Co {index}"})
            kind = "vendor"
        key = {"update": "updated", "vendor": "updated", "pay": "paid", "void": "voided", "delete": "deleted"}[kind]
        done["refused" if answer["_http"] >= 400 else key] += 1
    return done


def _line(label: str, m: Measure) -> None:
    rate = m.rows / m.seconds if m.seconds else float("inf")
    print(f"  {label}: {m.seconds:8.2f} s   rows {m.rows:>8,}   {rate:>10,.0f} rows/s   requests {m.requests:>5}   "
          f"429s {m.throttled}   sync CPU {m.cpu_seconds:.1f} s")


# -- the scenarios --------------------------------------------------------------------------------------

THROTTLED: list[int] = []  # 429 answers seen by any scenario (the exit status is 1 if there were any)


def single_company(args: argparse.Namespace, workdir: Path) -> None:
    print(f"\n== one company of ~{args.entities:,} entities: "
          f"latency {args.latency_ms:g} ms + {args.per_row_ms:g} ms/row, "
          f"limits 10/s, {REQUESTS_PER_MINUTE}/min and {MAX_IN_FLIGHT} in flight ==")
    started = time.perf_counter()
    sandbox = Sandbox(1, args.entities, args.seed, args.latency_ms, args.per_row_ms)
    try:
        realm = sandbox.realms()[0]
        realm_id = realm["realm_id"]
        total = sum(count for entity, count in realm["counts"].items() if entity != "CompanyInfo")
        print(f"  sandbox seeded in {time.perf_counter() - started:.1f} s: {total:,} entities {realm['counts']}")
        engine, sessions = mirror(args.db, workdir)
        writer = MirrorWriter(sessions)
        business = writer.create_business(writer.create_firm("Benchmark").id, "Big Co", realm_id).id
        tokens = Tokens()
        tokens.save(OAuthTokens(realm_id=realm_id, refresh_token=sandbox.connect(realm_id)))
        with client_for(sandbox, tokens) as client:
            service = SyncService(sessions, client)
            freeze_startup_heap()  # as the composition root does for a worker (runway.bootstrap.sync)
            result, full = measure(sandbox, lambda: service.sync_business(business))
            assert result.ok, result
            print("  full sync")
            _line("full", full)
            latency_bound = full.latency_ms / 1000 / MAX_IN_FLIGHT
            rate_bound = full.requests / (REQUESTS_PER_MINUTE / 60)
            print(f"  lower bound max(requests / (500/min) = {rate_bound:.2f} s, total latency / 10 in flight = "
                  f"{latency_bound:.2f} s) = {full.bound:.2f} s  ->  "
                  f"ratio {full.seconds / full.bound:.2f} (target <= 1.3)")
            print(f"  (the client's own 10 requests/s per realm alone needs {full.requests / 10:.2f} s)")
            print(f"  429 answers from the sandbox: {full.throttled}" + ("  OK" if full.throttled == 0 else "  FAILED"))
            THROTTLED.append(full.throttled)

            changes = max(1, round(total * args.changed))
            rng = random.Random(args.seed)
            done = change_entities(sandbox, realm_id, changes, rng)
            print(f"  changed {changes:,} entities ({args.changed:.0%}) through the mutation API: {done}")
            inc_result, incremental = measure(sandbox, lambda: service.sync_business(business))
            assert inc_result.ok, inc_result
            THROTTLED.append(incremental.throttled)
            modes = {e.value: r.mode.value for e, r in inc_result.entities.items() if r.mode}
            print(f"  incremental sync (modes {sorted(set(modes.values()))})")
            _line("incremental", incremental)
            share = incremental.seconds / full.seconds
            print(f"  incremental / full = {share:.1%} (target < 5%)   "
                  f"upserted {inc_result.upserted}, deleted {inc_result.deleted}")
            if args.verify:
                from tests.infra.jobs.convergence import mirror_differences

                problems = mirror_differences(sessions, business, AdminRealm(sandbox, realm_id))
                print(f"  mirror == sandbox, field by field: {'yes' if not problems else problems[:5]}")
        engine.dispose()
    finally:
        sandbox.stop()


def portfolio(args: argparse.Namespace, workdir: Path) -> None:
    print(f"\n== {args.companies} companies of ~{args.company_entities:,} entities synced together "
          f"({args.parallel} at a time), same latency and limits per company ==")
    started = time.perf_counter()
    sandbox = Sandbox(args.companies, args.company_entities, args.seed + 1, args.latency_ms, args.per_row_ms)
    try:
        realms = sandbox.realms()
        total = sum(count for realm in realms for entity, count in realm["counts"].items() if entity != "CompanyInfo")
        print(f"  sandbox seeded in {time.perf_counter() - started:.1f} s: {total:,} entities")
        engine, sessions = mirror(args.db, workdir / "portfolio")
        writer = MirrorWriter(sessions)
        firm = writer.create_firm("Portfolio").id
        tokens = Tokens()
        for index, realm in enumerate(realms):
            writer.create_business(firm, f"Client {index}", realm["realm_id"])
            tokens.save(OAuthTokens(realm_id=realm["realm_id"], refresh_token=sandbox.connect(realm["realm_id"])))
        with client_for(sandbox, tokens) as client:
            service = SyncService(sessions, client, max_parallel_businesses=args.parallel)
            freeze_startup_heap()  # as the composition root does for a worker (runway.bootstrap.sync)
            results, m = measure(sandbox, service.sync_all)
        failed: list[BusinessSyncResult] = [r for r in results if not r.ok]
        THROTTLED.append(m.throttled)
        _line("all companies", m)
        print(f"  {len(results) - len(failed)}/{len(results)} companies synced; "
              f"{m.seconds / len(results):.2f} s per company on average; 429 answers: {m.throttled}")
        per_company = max(m.requests / len(results) / (REQUESTS_PER_MINUTE / 60),
                          m.latency_ms / len(results) / 1000 / MAX_IN_FLIGHT)
        print(f"  request floor with {args.parallel} companies at a time: {len(results)} x {per_company:.2f} s / "
              f"{args.parallel} = {len(results) * per_company / args.parallel:.1f} s; beyond that the sync is "
              f"CPU-bound ({m.cpu_seconds:.0f} s of CPU in this process)")
        engine.dispose()
    finally:
        sandbox.stop()


def _schema_url(pg_url: str, schema: str) -> str:
    from tests.infra.db.conftest import with_search_path

    admin = create_engine_for(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    url = with_search_path(pg_url, schema)
    engine = create_engine_for(url)
    upgrade_to_head(engine)
    engine.dispose()
    return url


def _drop_schema(pg_url: str, schema: str) -> None:
    admin = create_engine_for(pg_url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    admin.dispose()


def _mirrored_rows(sessions) -> int:
    from sqlalchemy import text

    tables = ("vendors", "customers", "accounts", "bills", "invoices", "bill_payments", "customer_payments")
    with sessions() as session:
        return sum(session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() for table in tables)


def _worker_run(args: argparse.Namespace, sandbox: Sandbox, realms: list[dict], processes: int) -> Measure:
    """One run: fresh mirror schema and Redis namespace, ``processes`` workers started and serving (their
    start-up is not timed), then every company requested and the time until all are synced."""
    import threading
    import uuid

    from domains.core.clock import SystemClock
    from infra.db.heartbeats import WorkerHeartbeats
    from infra.db.sync_store import SyncStore
    from infra.interfaces.records import Entity
    from runway import bootstrap
    from runway.settings import Settings

    schema = f"sync_bench_{uuid.uuid4().hex[:10]}"
    url = _schema_url(args.pg, schema)
    settings = Settings(_env_file=None, database_url=url, qbo_api_base_url=f"{sandbox.base}/v3",
                        qbo_token_url=f"{sandbox.base}/oauth2/v1/tokens/bearer", qbo_client_id="sandbox-client-id",
                        qbo_client_secret="sandbox-client-secret",
                        token_encryption_key=bootstrap.generate_encryption_key(), broker_url=args.redis,
                        redis_namespace=f"sync-bench-{uuid.uuid4().hex[:10]}")
    try:
        with bootstrap.build_container(settings, clock=SystemClock()) as container:
            ids = [bootstrap.connect_company(container, firm_name="Portfolio", business_name=f"Client {i}",
                                             realm_id=realm["realm_id"],
                                             refresh_token=sandbox.connect(realm["realm_id"])).id
                   for i, realm in enumerate(realms)]
            store = SyncStore(container.session_factory)
            engine = container.sync_engine
            assert engine is not None
            stop = threading.Event()
            worker = threading.Thread(target=bootstrap.run_worker, kwargs={
                "container": container, "interval_seconds": None, "poll_seconds": 0.2, "stop_event": stop,
                "processes": processes}, daemon=True)
            worker.start()
            beats = WorkerHeartbeats(container.session_factory)
            while len([b for b in beats.workers() if b.state == "serving"]) < processes:
                time.sleep(0.1)

            def synced() -> bool:
                """Every entity of every company has a cursor (one query: polling must not steal the CPU)."""
                from sqlalchemy import text

                with container.session_factory() as session:
                    done = session.execute(text("SELECT COUNT(*) FROM sync_state WHERE cursor IS NOT NULL")
                                           ).scalar_one()
                return done >= len(ids) * len(Entity)

            def run() -> list[BusinessSyncResult]:
                for business_id in ids:
                    engine.enqueue(business_id, None, "benchmark", full=True)
                while not synced():
                    time.sleep(0.5)
                return []

            _, m = measure(sandbox, run)
            m.cpu_seconds = float("nan")  # the syncs ran in the worker processes, not here
            stop.set()
            worker.join(120)
            m.rows = _mirrored_rows(container.session_factory)
            failures = [s for business_id in ids for s in store.sync_states(business_id).values() if s.last_error]
            if failures:
                print(f"    {len(failures)} entity failures, e.g. {failures[0].last_error}")
            return m
    finally:
        _drop_schema(args.pg, schema)


def worker_processes(args: argparse.Namespace) -> None:
    """The portfolio synced by N ``runway worker`` processes (Dramatiq on Redis, shared QBO limits)."""
    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    print(f"\n== {args.companies} companies of ~{args.company_entities:,} entities synced by "
          f"{', '.join(map(str, counts))} worker processes (Dramatiq on Redis, QBO limits shared in Redis, "
          f"mirror on PostgreSQL; 4 businesses at a time per process) ==")
    sandbox = Sandbox(args.companies, args.company_entities, args.seed + 1, args.latency_ms, args.per_row_ms)
    first: float | None = None
    try:
        realms = sandbox.realms()
        for processes in counts:
            m = _worker_run(args, sandbox, realms, processes)
            THROTTLED.append(m.throttled)
            bound = max(m.requests / len(realms) / (REQUESTS_PER_MINUTE / 60),
                        m.latency_ms / len(realms) / 1000 / MAX_IN_FLIGHT)
            first = first or m.seconds
            _line(f"{processes} process{'es' if processes > 1 else '  '}", m)
            floor = len(realms) * bound / (4 * processes)  # 4 companies at a time per process
            print(f"    speed-up over the first count {first / m.seconds:.2f}x; floor at 4 companies per process "
                  f"{floor:.1f} s; bound set by QBO's limits (every company at once: {bound:.2f} s) -> ratio "
                  f"{m.seconds / bound:.1f}")
    finally:
        sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=50_000, help="entities of the single company")
    parser.add_argument("--companies", type=int, default=100, help="companies synced together (0: skip)")
    parser.add_argument("--company-entities", type=int, default=5_000, help="entities per company of the portfolio")
    parser.add_argument("--parallel", type=int, default=8, help="companies synced at once in the portfolio run")
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--per-row-ms", type=float, default=0.05)
    parser.add_argument("--changed", type=float, default=0.01, help="share of entities changed before the incremental")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="mirror database URL (default: a SQLite file in a temporary directory)")
    parser.add_argument("--processes", default="",
                        help="comma-separated worker process counts for the Dramatiq run, e.g. 1,2,4 (empty: skip)")
    parser.add_argument("--no-portfolio", dest="portfolio", action="store_false",
                        help="skip the in-process portfolio run (e.g. to measure only the worker processes)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis of the Dramatiq run")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL of the Dramatiq run (a schema of its own is created and dropped)")
    parser.add_argument("--no-verify", dest="verify", action="store_false",
                        help="skip the field-by-field comparison of mirror and sandbox after the single-company run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sync-benchmark-") as tmp:
        workdir = Path(tmp)
        (workdir / "portfolio").mkdir()
        if args.entities > 0:
            single_company(args, workdir)
        if args.companies > 0 and args.portfolio:
            if args.db:
                print("\n(portfolio run skipped: it needs an empty mirror and --db was given)")
            else:
                portfolio(args, workdir)
        if args.processes and args.companies > 0:
            worker_processes(args)
    if any(THROTTLED):
        print(f"\nFAILED: the sandbox answered {sum(THROTTLED)} requests with 429")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
