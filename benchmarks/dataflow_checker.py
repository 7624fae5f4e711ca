"""How long the data-flow checker takes next to plain lint-imports, on a generated three-layer tree.

    uv run python benchmarks/dataflow_checker.py [--modules 15000] [--repeat 1] [--keep DIR]

The tree (in a temporary directory) has Runway's shape: ``runway`` (API modules importing services),
``domains`` (packages of services with typed ports injected through ``__init__``, ``@local_read`` and
``@live`` operations, private helpers, a shared ``FreshnessReader``, peer services, record models) and
``infra`` (Protocol ports marked ``@local_port``/``@live_port``, mirror repositories, live gateways on
httpx, ``@sync_job`` jobs). It is clean: the checker must follow every chain and find nothing.

Timed, each as a fresh process (the way CI runs them), best of ``--repeat``:

1. ``lint-imports`` with the standard contracts only (layers; domains import no HTTP module; domains
   import no infra implementation), no cache;
2. the data-flow checker: ``python -m archguard.dataflow audit`` (reads the source with ``ast``);
3. ``lint-imports`` running only the ``data_flow`` contract (grimp graph + the checker).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

PATTERNS_STUB = '''"""Markers (a stand-in: the checker reads their names only)."""


def _mark(obj):
    return obj


local_read = local_write = live = sync_job = local_port = live_port = _mark
'''

RECORDS = '''"""Records crossing the infra boundary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    record_id: str
    amount: int
    stale: bool = False


@dataclass(frozen=True)
class Freshness:
    age_seconds: int
    stale: bool
'''


class Layout:
    """How many modules of each kind make up ``total`` modules (``__init__.py`` files included)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.port_modules = max(2, total // 150)
        self.db_modules = self.port_modules
        self.qbo_modules = self.port_modules
        self.job_modules = max(1, self.port_modules // 2)
        self.core_utils = max(2, total // 300)
        fixed = 20 + self.port_modules + self.db_modules + self.qbo_modules + self.job_modules + self.core_utils
        rest = max(0, total - fixed)
        self.runway_modules = rest // 5
        domain_budget = rest - self.runway_modules
        self.per_domain = 40  # 20 services + 20 models
        self.domains = max(1, domain_budget // (self.per_domain + 2))
        leftover = domain_budget - self.domains * (self.per_domain + 2)
        self.runway_modules += max(0, leftover)
        self.services_per_domain = self.per_domain // 2


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def package(path: Path) -> None:
    write(path / "__init__.py", "")


def generate(root: Path, total: int) -> Layout:
    layout = Layout(total)
    for name in ("runway", "runway/api", "domains", "domains/core", "infra", "infra/interfaces",
                 "infra/interfaces/ports", "infra/db", "infra/qbo", "infra/jobs"):
        package(root / name)
    write(root / "infra/interfaces/patterns.py", PATTERNS_STUB)
    write(root / "infra/interfaces/records.py", RECORDS)
    for k in range(layout.port_modules):
        write(root / f"infra/interfaces/ports/p{k}.py", _ports(k))
        write(root / f"infra/db/repo{k}.py", _repo(k))
        write(root / f"infra/qbo/gateway{k}.py", _gateway(k))
    for k in range(layout.job_modules):
        write(root / f"infra/jobs/sync{k}.py", _job(k, layout.qbo_modules))
    write(root / "domains/core/freshness.py", _freshness())
    write(root / "domains/core/clock.py", _clock())
    for u in range(layout.core_utils):
        write(root / f"domains/core/util{u}.py", _util(u))
    for j in range(layout.domains):
        package(root / f"domains/d{j}")
        package(root / f"domains/d{j}/services")
        for i in range(layout.services_per_domain):
            write(root / f"domains/d{j}/models{i}.py", _model(j, i))
            write(root / f"domains/d{j}/services/svc{i}.py", _service(j, i, layout))
    for r in range(layout.runway_modules):
        j = r % layout.domains
        i = r % layout.services_per_domain
        write(root / f"runway/api/r{r}.py", _api(r, j, i))
    return layout


def _ports(k: int) -> str:
    return textwrap.dedent(f'''\
        """Ports, group {k}."""

        from __future__ import annotations

        from typing import Protocol

        from infra.interfaces.patterns import live_port, local_port
        from infra.interfaces.records import Row


        @local_port
        class RowMirror{k}(Protocol):
            def rows(self, business_id: int, *, limit: int | None = None) -> list[Row]:
                ...

            def get(self, business_id: int, record_id: str) -> Row:
                ...


        @local_port
        class TotalsMirror{k}(Protocol):
            def totals(self, business_id: int) -> dict[str, int]:
                ...


        @local_port
        class SyncStates{k}(Protocol):
            def age_seconds(self, business_id: int) -> int:
                ...


        @live_port
        class Gateway{k}(Protocol):
            def send(self, business_id: int, record_id: str) -> Row:
                ...

            def fetch(self, business_id: int, record_id: str) -> Row:
                ...
        ''')


def _repo(k: int) -> str:
    return textwrap.dedent(f'''\
        """Mirror repository, group {k}."""

        from __future__ import annotations

        from infra.interfaces.records import Row


        class SqlRowMirror{k}:
            def __init__(self, rows: dict[int, list[Row]]) -> None:
                self._rows = rows

            def rows(self, business_id: int, *, limit: int | None = None) -> list[Row]:
                found = self._rows.get(business_id, [])
                return found[:limit] if limit else found

            def get(self, business_id: int, record_id: str) -> Row:
                return next(r for r in self._rows[business_id] if r.record_id == record_id)
        ''')


def _gateway(k: int) -> str:
    return textwrap.dedent(f'''\
        """Live gateway, group {k}."""

        from __future__ import annotations

        import httpx

        from infra.interfaces.records import Row


        class LiveGateway{k}:
            def __init__(self, base_url: str) -> None:
                self._http = httpx.Client(base_url=base_url)

            def send(self, business_id: int, record_id: str) -> Row:
                body = self._http.post(f"/{{business_id}}/send/{{record_id}}").json()
                return Row(body["id"], body["amount"])

            def fetch(self, business_id: int, record_id: str) -> Row:
                body = self._http.get(f"/{{business_id}}/{{record_id}}").json()
                return Row(body["id"], body["amount"])
        ''')


def _job(k: int, gateways: int) -> str:
    g = k % gateways
    return textwrap.dedent(f'''\
        """Background sync job {k}."""

        from __future__ import annotations

        from infra.interfaces.patterns import sync_job
        from infra.qbo.gateway{g} import LiveGateway{g}


        @sync_job
        class RowSync{k}:
            def __init__(self, gateway: LiveGateway{g}) -> None:
                self._gateway = gateway

            def run(self, business_id: int) -> None:
                self._gateway.fetch(business_id, "all")
        ''')


def _freshness() -> str:
    return textwrap.dedent('''\
        """How fresh a local answer is."""

        from __future__ import annotations

        from domains.core.clock import Clock
        from infra.interfaces.ports.p0 import SyncStates0
        from infra.interfaces.records import Freshness


        class FreshnessReader:
            def __init__(self, states: SyncStates0, clock: Clock) -> None:
                self._states = states
                self._clock = clock

            def of(self, business_id: int) -> Freshness:
                age = self._states.age_seconds(business_id)
                return Freshness(age, age > self._clock.max_age())
        ''')


def _clock() -> str:
    return textwrap.dedent('''\
        """Time as the domain sees it."""

        from __future__ import annotations

        from typing import Protocol


        class Clock(Protocol):
            def max_age(self) -> int:
                ...
        ''')


def _util(u: int) -> str:
    return textwrap.dedent(f'''\
        """Helpers {u}."""

        from __future__ import annotations

        from decimal import Decimal


        def normalise{u}(key: str) -> str:
            return key.strip().lower()


        def to_amount{u}(value: int) -> Decimal:
            return Decimal(value).quantize(Decimal("0.01"))
        ''')


def _model(j: int, i: int) -> str:
    return textwrap.dedent(f'''\
        """Domain model {j}.{i}."""

        from __future__ import annotations

        from dataclasses import dataclass
        from decimal import Decimal


        @dataclass(frozen=True)
        class Item{i}:
            record_id: str
            amount: Decimal

            def label(self) -> str:
                return f"{{self.record_id}}: {{self.amount}}"
        ''')


def _service(j: int, i: int, layout: Layout) -> str:
    k = (j * layout.services_per_domain + i) % layout.port_modules
    u = (j + i) % layout.core_utils
    peer_import = f"from domains.d{j}.services.svc{i - 1} import Service{i - 1}\n" if i else ""
    peer_param = f", peer: Service{i - 1}" if i else ""
    peer_assign = "        self._peer = peer\n" if i else ""
    peer_call = f"        extra = len(self._peer.list{i - 1}(business_id))\n" if i else "        extra = 0\n"
    return (
        f'"""Generated service {j}.{i}."""\n\n'
        "from __future__ import annotations\n\n"
        "from domains.core.freshness import FreshnessReader\n"
        f"from domains.core.util{u} import normalise{u}, to_amount{u}\n"
        f"from domains.d{j}.models{i} import Item{i}\n"
        f"{peer_import}"
        "from infra.interfaces.patterns import live, local_read\n"
        f"from infra.interfaces.ports.p{k} import Gateway{k}, RowMirror{k}, TotalsMirror{k}\n"
        "from infra.interfaces.records import Row\n\n\n"
        f"class Service{i}:\n"
        f"    def __init__(self, rows: RowMirror{k}, totals: TotalsMirror{k}, gateway: Gateway{k},\n"
        f"                 freshness: FreshnessReader{peer_param}) -> None:\n"
        "        self._rows = rows\n"
        "        self._totals = totals\n"
        "        self._gateway = gateway\n"
        "        self._freshness = freshness\n"
        f"{peer_assign}\n"
        "    @local_read\n"
        f"    def list{i}(self, business_id: int, limit: int | None = None) -> list[Item{i}]:\n"
        "        rows = self._rows.rows(business_id, limit=limit)\n"
        "        return self._items(business_id, rows)\n\n"
        "    @local_read\n"
        f"    def summary{i}(self, business_id: int) -> dict[str, int]:\n"
        "        totals = self._totals.totals(business_id)\n"
        f"{peer_call}"
        f"        return {{normalise{u}(key): value + extra for key, value in totals.items()}}\n\n"
        "    @local_read\n"
        f"    def get{i}(self, business_id: int, record_id: str) -> Item{i}:\n"
        "        row = self._rows.get(business_id, record_id)\n"
        "        return self._items(business_id, [row])[0]\n\n"
        "    @live\n"
        f"    def push{i}(self, business_id: int, record_id: str) -> Item{i}:\n"
        "        sent = self._gateway.send(business_id, record_id)\n"
        f"        return Item{i}(sent.record_id, to_amount{u}(sent.amount))\n\n"
        f"    def _items(self, business_id: int, rows: list[Row]) -> list[Item{i}]:\n"
        "        fresh = self._freshness.of(business_id)\n"
        f"        items = [Item{i}(r.record_id, to_amount{u}(r.amount)) for r in rows]\n"
        "        return items if not fresh.stale else sorted(items, key=lambda item: item.label())\n"
    )


def _api(r: int, j: int, i: int) -> str:
    return textwrap.dedent(f'''\
        """API module {r}."""

        from __future__ import annotations

        from domains.d{j}.services.svc{i} import Service{i}


        def handle{r}(service: Service{i}, business_id: int) -> int:
            return len(service.list{i}(business_id))
        ''')


STANDARD_CONTRACTS = """\
[importlinter]
root_packages =
    domains
    infra
    runway
include_external_packages = True

[importlinter:contract:layers]
name = Layers
type = layers
layers =
    runway
    domains
    infra

[importlinter:contract:domains-no-http]
name = Domains import no HTTP client
type = forbidden
source_modules =
    domains
forbidden_modules =
    httpx
    requests
allow_indirect_imports = true

[importlinter:contract:domains-infra-interfaces-only]
name = Domains import no infra implementation
type = forbidden
source_modules =
    domains
forbidden_modules =
    infra.db
    infra.qbo
    infra.jobs
"""

DATA_FLOW_CONTRACT = """\
[importlinter]
root_packages =
    domains
    infra
    runway
include_external_packages = True
contract_types =
    data_flow: archguard.dataflow.contract.DataFlowContract

[importlinter:contract:data-flow]
name = Data-flow patterns
type = data_flow
domain_packages =
    domains
infra_packages =
    infra
port_modules =
    infra.interfaces.ports
live_packages =
    infra.qbo
local_packages =
    infra.db
jobs_packages =
    infra.jobs
strict = true
"""

DATA_FLOW_TOML = """\
[dataflow]
domain_packages = ["domains"]
infra_packages = ["infra"]
port_modules = ["infra.interfaces.ports"]
live_packages = ["infra.qbo"]
local_packages = ["infra.db"]
jobs_packages = ["infra.jobs"]
strict = true
"""


def lint_imports() -> list[str]:
    script = Path(sys.executable).with_name("lint-imports")
    return [str(script)] if script.is_file() else [
        sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as m; sys.exit(m())"]


def timed(command: list[str], cwd: Path, repeat: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(cwd), str(REPO_ROOT))), "COLUMNS": "200"}
    best = float("inf")
    completed: subprocess.CompletedProcess[str] | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        best = min(best, time.perf_counter() - started)
    assert completed is not None
    return best, completed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=15000, help="modules to generate (default 15000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each tool; the best is reported")
    parser.add_argument("--keep", type=Path, help="generate the tree here and keep it")
    parser.add_argument("--skip-contract", action="store_true", help="do not time the data_flow contract run")
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="dataflow-bench-"))
    if args.keep and workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        layout = generate(workdir, args.modules)
        count = sum(1 for _ in workdir.rglob("*.py"))
        print(f"Generated {count} modules in {time.perf_counter() - started:.1f} s: {layout.domains} domain packages x "
              f"{layout.services_per_domain} services ({layout.domains * layout.services_per_domain * 4} operations), "
              f"{layout.port_modules} port modules, {layout.runway_modules} runway modules.")
        (workdir / "standard.ini").write_text(STANDARD_CONTRACTS)
        (workdir / "dataflow.ini").write_text(DATA_FLOW_CONTRACT)
        (workdir / "dataflow.toml").write_text(DATA_FLOW_TOML)

        plain, run = timed([*lint_imports(), "standard.ini", "--no-cache", "--no-logo"], workdir, args.repeat)
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:])
            raise SystemExit("lint-imports failed on the generated tree")
        audit = [sys.executable, "-m", "archguard.dataflow", "audit", "--root", ".", "--config", "dataflow.toml",
                 "--format", "json", "--output", "report.json"]
        flow, run = timed(audit, workdir, args.repeat)
        if run.returncode != 0:
            print(run.stderr[-3000:])
            raise SystemExit("the data-flow checker found something on the generated (clean) tree")
        single, _ = timed([*audit, "--jobs", "1"], workdir, args.repeat)
        cpus = os.cpu_count() or 1
        print(f"lint-imports, standard contracts only:   {plain:6.2f} s")
        print(f"data-flow checker (audit, own process):  {flow:6.2f} s  (worker processes: automatic, {cpus} CPUs)")
        print(f"data-flow checker, one process:          {single:6.2f} s")
        print(f"ratio data-flow / lint-imports:          {flow / plain:6.2f}  (one process: {single / plain:.2f})")
        if not args.skip_contract:
            contract, run = timed([*lint_imports(), "dataflow.ini", "--no-cache", "--no-logo"], workdir, args.repeat)
            if run.returncode != 0:
                print(run.stdout[-3000:])
                raise SystemExit("the data_flow contract failed on the generated tree")
            print(f"lint-imports, data_flow contract only:   {contract:6.2f} s  (grimp graph + checker)")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
