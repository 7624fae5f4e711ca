"""The data-flow checker against plain lint-imports, cold and warm, and on large foreign code.

    uv run python benchmarks/dataflow_checker.py [--sizes 3000,15000,30000] [--repeat 1]
                                                 [--skip-foreign] [--skip-repo] [--keep DIR]
                                                 [--build compiled|pure|source]

The checker timed is what a user installs: archguard's wheel, built from ``packages/archguard`` at the
start (``uv build``: compiled with mypyc) and installed into a scratch virtual environment
(``--build compiled``, the default); ``--build pure`` builds it with ``ARCHGUARD_PURE=1`` (pure Python);
``--build source`` runs the workspace's own (editable, pure) install. The build that ran is printed
(``archguard --version``).

All in one run, so the ratios compare tools under the same load (other work on the machine changes the
absolute figures, not much the ratios; the load average is printed at the start and at the end):

1. Generated trees of 3,000, 15,000 and 30,000 modules with Runway's shape (clean: the checker must follow
   every chain and find nothing). For each, as fresh processes:
   - plain ``lint-imports`` (layers, domains import no HTTP module, domains import no infra implementation;
     ``--no-cache``);
   - the checker cold: ``python -m archguard.dataflow audit`` with an empty cache (which it writes), with
     its automatic worker processes, then with ``--jobs 1``;
   - one service module edited, then the checker warm (the cache of the cold run) and ``lint-imports``
     again (with its own cache, which saves little here); the edit appends a comment (nothing the
     checker records changes: it writes its last report again once it has found so), then a second
     one moves the module's lines (what it records about the module and the modules whose chains pass
     through it changes, in positions only, none of which the text report shows: it derives the results
     kept for the modules whose chains pass through it again, and writes its last report again);
   wall time and the peak memory of the whole process tree (workers included; sampled from /proc); and two
   floors: ``ast.parse`` of every module of the packages the checker reads, each tree freed, in one fresh
   process (what the checker cannot do without, on CPython), and the one-process run divided by the number
   of cores (a perfect share of its work over the workers).
2. This repository: ``lint-imports`` with every contract of ``.importlinter`` against the built-in
   contracts alone (each after a run that fills the caches, as a developer runs it again), and
   ``runway audit`` against ``archguard audit`` (the audit must not import the application first).
3. Django and sympy in full, downloaded from the package index now (``pip download`` into a temporary
   directory), each a domain package whose every module is a service module (the configurations are
   ``benchmarks/dataflow/*.toml``): time, peak memory, operations, distinct unresolved call sites, and
   whether the run ended cleanly (exit status 0 or 1, no traceback).

Child processes may write bytecode (``PYTHONDONTWRITEBYTECODE`` is dropped), and each tool runs once before
it is timed: the figures are those of an installation, not of compiling every import.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import zipfile
from dataclasses import dataclass
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


#: Run in a fresh interpreter (the checker's) in a generated tree: parses every module of the packages named
#: and frees its tree, as the checker does for each module it reads; prints the files and the seconds taken.
PARSE_ONLY = """\
import ast, gc, sys, time
from pathlib import Path
gc.disable()
files = sorted(path for package in sys.argv[1:] for path in Path(package).rglob("*.py"))
started = time.perf_counter()
for path in files:
    tree = ast.parse(path.read_bytes(), str(path))
    del tree
print(len(files), time.perf_counter() - started)
"""


FOREIGN = (("django", "5.2"), ("sympy", "1.14.0"))
CONFIGS = Path(__file__).resolve().parent / "dataflow"


def lint_imports() -> list[str]:
    script = Path(sys.executable).with_name("lint-imports")
    return [str(script)] if script.is_file() else [
        sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as m; sys.exit(m())"]


#: The interpreter the checker runs with: the scratch environment holding archguard's wheel (``install``),
#: or this one (``--build source``).
CHECKER_PYTHON = sys.executable


def audit(*options: str) -> list[str]:
    return [CHECKER_PYTHON, "-m", "archguard.dataflow", "audit", *options]


def install(build: str, into: Path) -> str:
    """archguard's wheel built (``ARCHGUARD_PURE=1`` for ``pure``) and installed into a new virtual
    environment under ``into``; that environment's interpreter."""
    # uv: this environment's, else the one on PATH, else the base interpreter's (``uv run`` brings none).
    found = shutil.which("uv")
    uv = ([sys.executable, "-m", "uv"] if importlib.util.find_spec("uv") else [found] if found
          else [shutil.which("python3") or "python3", "-m", "uv"])
    env = {**os.environ, "ARCHGUARD_PURE": "1" if build == "pure" else "0"}
    dist, venv = into / "dist", into / "venv"
    started = time.perf_counter()
    package = str(REPO_ROOT / "packages" / "archguard")
    for command in ([*uv, "build", "--wheel", "--quiet", "--out-dir", str(dist), package],
                    [*uv, "venv", "--quiet", str(venv)]):
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    [wheel] = dist.glob("archguard-*.whl")
    python = str(venv / "bin" / "python")
    done = subprocess.run([*uv, "pip", "install", "--quiet", "--python", python, str(wheel)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"installing {wheel.name} failed:\n{done.stdout}{done.stderr}")
    print(f"archguard's wheel {wheel.name} built and installed in {time.perf_counter() - started:.0f} s")
    return python


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


def child_env(*paths: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([*(str(p) for p in paths), str(REPO_ROOT)])
    env["COLUMNS"] = "200"
    return env


def measure(command: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """One run of ``command``: wall time, and the peak of the summed memory of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(process.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return Run(elapsed, peak[0] / 1024, process.returncode, stdout, stderr)


def best(command: list[str], cwd: Path, env: dict[str, str], repeat: int, before=None) -> Run:
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        runs.append(measure(command, cwd, env))
    return min(runs, key=lambda run: run.seconds)


def _tree_rss_kb(pid: int) -> int:
    """The resident memory of a process and its descendants, from /proc (0 where it cannot be read)."""
    total = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return total


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def check_ok(run: Run, what: str, allowed: tuple[int, ...] = (0,)) -> None:
    if run.returncode not in allowed or "Traceback" in run.stderr:
        print(run.stdout[-3000:], run.stderr[-3000:])
        raise SystemExit(f"{what} failed (exit status {run.returncode})")


# Generated trees -------------------------------------------------------------------------------------


def generated(total: int, repeat: int, keep: Path | None) -> None:
    workdir = (keep / f"tree-{total}") if keep else Path(tempfile.mkdtemp(prefix=f"dataflow-bench-{total}-"))
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    try:
        layout = generate(workdir, total)
        count = sum(1 for _ in workdir.rglob("*.py"))
        (workdir / "standard.ini").write_text(STANDARD_CONTRACTS)
        (workdir / "dataflow.toml").write_text(DATA_FLOW_TOML)
        env = child_env(workdir)
        cache = workdir / ".archguard_cache"
        checker = audit("--root", ".", "--config", "dataflow.toml", "--output", "report.txt", "--statistics")
        plain = [*lint_imports(), "standard.ini", "--no-cache", "--no-logo"]
        lint_cached = [*lint_imports(), "standard.ini", "--no-logo"]
        edited = workdir / "domains/d0/services/svc1.py"

        def empty_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def edit() -> None:
            with edited.open("a") as module:
                module.write(f"# edited at {time.time()}\n")

        def edit_code() -> None:
            # A blank line added at the top: every line number of the module moves, so what the checker
            # records about it (and about the modules whose chains pass through it) changes, in positions.
            text = edited.read_text()
            edited.write_text(text.replace("\n", "\n\n", 1))

        # Warm-ups (bytecode, file system cache), not timed.
        check_ok(measure(plain, workdir, env), "lint-imports")
        measure(audit("--help"), workdir, env)
        lint = best(plain, workdir, env, repeat)
        check_ok(lint, "lint-imports")
        cold = best(checker, workdir, env, repeat, before=empty_cache)
        check_ok(cold, "the checker (cold)")
        single = best([*checker, "--jobs", "1"], workdir, env, repeat, before=empty_cache)
        check_ok(single, "the checker (cold, one process)")
        measure(lint_cached, workdir, env)  # fills import-linter's cache
        warm = best(checker, workdir, env, repeat, before=edit)
        check_ok(warm, "the checker (warm)")
        warm_code = best(checker, workdir, env, repeat, before=edit_code)
        check_ok(warm_code, "the checker (warm, code edited)")
        lint_warm = best(lint_cached, workdir, env, repeat, before=edit)
        check_ok(lint_warm, "lint-imports (its cache)")
        parse = measure([CHECKER_PYTHON, "-c", PARSE_ONLY, "domains", "infra"], workdir, env)
        check_ok(parse, "parsing the tree")
        parsed_files, parse_seconds = parse.stdout.split()
        statistics = next((line for line in warm.stderr.splitlines() if line.startswith("statistics:")), "")
        print(f"\n{count} modules ({layout.domains} domain packages x {layout.services_per_domain} services, "
              f"{layout.domains * layout.services_per_domain * 4} operations):")
        rows = [
            ("plain lint-imports (--no-cache)", lint),
            ("checker cold (empty cache, automatic workers)", cold),
            ("checker cold, one process (--jobs 1)", single),
            ("checker warm, one module's comment edited", warm),
            ("checker warm, one module's lines moved", warm_code),
            ("lint-imports with its cache, after the same edit", lint_warm),
        ]
        for label, run in rows:
            print(f"  {label:50} {run.seconds:7.2f} s {run.peak_mb:8.0f} MB   "
                  f"x{run.seconds / lint.seconds:5.2f} time  x{run.peak_mb / lint.peak_mb:5.2f} memory")
        print(f"  targets: cold <= 2x lint-imports in time and memory: {cold.seconds / lint.seconds:.2f} / "
              f"{cold.peak_mb / lint.peak_mb:.2f}; warm <= 0.25x: {warm.seconds / lint.seconds:.2f} "
              f"(comment edited), {warm_code.seconds / lint.seconds:.2f} (lines moved)")
        # What no change to the checker's own code can go below (the checker reads the domain and infra
        # packages, and parses with CPython's ast; lint-imports scans imports in Rust), and what a perfect
        # share of the one-process run's work over every core would give.
        cores = os.cpu_count() or 1
        print(f"  floors: ast.parse and freeing the trees of the {parsed_files} modules of the packages the checker "
              f"reads, one process: {float(parse_seconds):.2f} s (x{float(parse_seconds) / lint.seconds:.2f}); "
              f"the one-process run shared out over {cores} cores without loss: {single.seconds / cores:.2f} s "
              f"(x{single.seconds / cores / lint.seconds:.2f})")
        print(f"  warm run (comment edited): {statistics.removeprefix('statistics: ')}")
        statistics = next((line for line in warm_code.stderr.splitlines() if line.startswith("statistics:")), "")
        print(f"  warm run (lines moved): {statistics.removeprefix('statistics: ')}")
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


# This repository -------------------------------------------------------------------------------------


def builtin_contracts(config: str) -> str:
    """``.importlinter`` with the custom contract types and their contracts left out."""
    sections = config.split("\n[")
    kept = []
    for i, section in enumerate(sections):
        text = section if i == 0 else "[" + section
        if text.startswith("[importlinter]"):
            lines = text.splitlines()
            out, skipping = [], False
            for line in lines:
                if line.startswith("contract_types"):
                    skipping = True
                    continue
                if skipping and line.startswith((" ", "\t")):
                    continue
                skipping = False
                out.append(line)
            text = "\n".join(out) + "\n"
        elif "\ntype = " in text and text.split("\ntype = ", 1)[1].split()[0] in (
                "forbidden_source_imports", "independent_children", "data_flow"):
            continue
        kept.append(text)
    return "\n".join(kept)


def this_repository(repeat: int) -> None:
    env = child_env()
    scratch = Path(tempfile.mkdtemp(prefix="dataflow-bench-repo-"))
    try:
        builtin = scratch / "builtin.ini"
        builtin.write_text(builtin_contracts((REPO_ROOT / ".importlinter").read_text()))
        every = [*lint_imports(), "--no-logo"]
        only_builtin = [*lint_imports(), str(builtin), "--no-logo"]
        for command in (every, only_builtin):  # fill the caches
            check_ok(measure(command, REPO_ROOT, env), "lint-imports on this repository")
        full = best(every, REPO_ROOT, env, max(repeat, 3))
        base = best(only_builtin, REPO_ROOT, env, max(repeat, 3))
        print("\nThis repository:")
        print(f"  lint-imports, every contract       {full.seconds:6.2f} s   x{full.seconds / base.seconds:5.2f}")
        print(f"  lint-imports, built-in contracts   {base.seconds:6.2f} s   (target: every contract <= 1.5x)")
        runway = [sys.executable, "-m", "runway", "audit", "--output", str(scratch / "a.txt")]
        archguard = [sys.executable, "-m", "archguard", "audit", "--output", str(scratch / "b.txt")]
        for command in (runway, archguard):
            check_ok(measure(command, REPO_ROOT, env), "the audit of this repository")
        runway_run = best(runway, REPO_ROOT, env, max(repeat, 3))
        archguard_run = best(archguard, REPO_ROOT, env, max(repeat, 3))
        print(f"  runway audit                       {runway_run.seconds:6.2f} s   "
              f"x{runway_run.seconds / archguard_run.seconds:5.2f} archguard audit ({archguard_run.seconds:.2f} s)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# Foreign code ----------------------------------------------------------------------------------------


def download(name: str, version: str, into: Path) -> Path:
    """The wheel of ``name==version`` from the package index, unpacked into ``into/name``."""
    wheels = into / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    # The environment's own pip, else the base interpreter's (a uv environment has none of its own).
    base = Path(sys.base_prefix) / "bin" / "python3"
    pips = ([sys.executable, "-m", "pip"], [str(base), "-m", "pip"],
            [shutil.which("python3") or "python3", "-m", "pip"])
    for pip in pips:
        done = subprocess.run([*pip, "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest",
                               str(wheels), f"{name}=={version}"], capture_output=True, text=True)
        if done.returncode == 0:
            break
    else:
        raise SystemExit(f"cannot download {name}=={version}: {done.stderr[-2000:]}")
    [wheel] = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name.lower())]
    target = into / name
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def foreign(repeat: int) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="dataflow-bench-foreign-"))
    try:
        print("\nForeign code, each package in full as the domain (every module a service module):")
        for name, version in FOREIGN:
            root = download(name, version, scratch)
            config = CONFIGS / f"{name}.toml"
            report = scratch / f"{name}.json"
            command = audit("--root", str(root), "--config", str(config), "--format", "json", "--output",
                            str(report), "--statistics")
            env = child_env()
            run = best(command, root, env, repeat, before=lambda r=root: shutil.rmtree(
                r / ".archguard_cache", ignore_errors=True))
            clean = run.returncode in (0, 1) and "Traceback" not in run.stderr
            operations = sites = 0
            if report.is_file():
                document = json.loads(report.read_text())
                operations = len(document["operations"])
                sites = sum(1 for f in document["findings"] if f["rule"] == "unresolved-call")
            statistics = next((line for line in run.stderr.splitlines() if line.startswith("statistics:")), "")
            print(f"  {name} {version}: {run.seconds:6.1f} s, peak {run.peak_mb:6.0f} MB, {operations} operations, "
                  f"{sites} distinct unresolved call sites (each reported once), "
                  f"{'clean exit' if clean else f'FAILED (exit {run.returncode})'}  "
                  f"(targets: < 60 s, < 4096 MB)")
            print(f"    {statistics.removeprefix('statistics: ')}")
            if not clean:
                print(run.stderr[-3000:])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="3000,15000,30000", help="generated tree sizes (modules)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each timed command; the best is kept")
    parser.add_argument("--keep", type=Path, help="generate the trees under this directory and keep them")
    parser.add_argument("--skip-foreign", action="store_true", help="do not download and check Django and sympy")
    parser.add_argument("--skip-repo", action="store_true", help="do not time this repository's contracts")
    parser.add_argument("--build", choices=("compiled", "pure", "source"), default="compiled",
                        help="the checker timed: archguard's wheel as built (compiled with mypyc), a pure wheel, "
                             "or the workspace's editable install (default: compiled)")
    args = parser.parse_args(argv)
    global CHECKER_PYTHON
    scratch = Path(tempfile.mkdtemp(prefix="dataflow-bench-wheel-"))
    try:
        if args.build != "source":
            CHECKER_PYTHON = install(args.build, scratch)
        return _run(args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args: argparse.Namespace) -> int:
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, Python {sys.version.split()[0]}, {load()}")
    version = subprocess.run([CHECKER_PYTHON, "-m", "archguard", "--version"], capture_output=True, text=True)
    print(f"checker: {version.stdout.strip() or version.stderr.strip()} ({CHECKER_PYTHON})")
    if args.build == "compiled" and "(compiled)" not in version.stdout:
        print("  (the wheel was built pure: see the build's warning)")
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        generated(size, args.repeat, args.keep)
    if not args.skip_repo:
        this_repository(args.repeat)
    if not args.skip_foreign:
        foreign(args.repeat)
    print(f"\nAt the end: {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
