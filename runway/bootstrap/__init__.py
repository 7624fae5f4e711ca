"""The composition root: the one place that knows both the domains and infra's implementations.

Every service is constructed by ``wire(ports, clock)`` (``wiring``) from the ports it is handed:
``build_container(settings)`` (``container``) hands it the SQL repositories over the mirror database and,
when QBO is configured, the QBO client's live gateway (``adapters`` builds them); the tests' world hands it
in-memory fakes. Nothing here runs at import time; the CLI, the API server, the tests and the benchmarks
call these functions.

Modules: ``wiring`` (``Ports``, ``wire``), ``adapters`` (infra's implementations of the ports),
``container`` (``Container``, ``build_container``, ``prepare_database``), ``qbo`` (connecting QBO
companies), ``sync`` (one sync pass, the worker), ``verify`` (the aging cross-check against QBO's reports),
``settlement`` (settling pending payments on demand),
``sandbox`` (the local QBO sandbox, loaded only when it is installed), ``api`` (the HTTP API; imported by
``runway serve`` only, so other commands skip FastAPI).
"""

from runway.bootstrap.container import Container, build_container, prepare_database
from runway.bootstrap.errors import ConfigurationError
from runway.bootstrap.qbo import connect_company, generate_encryption_key
from runway.bootstrap.sandbox import DEMO_FIRM, DemoSandbox, SandboxNotInstalled, run_sandbox
from runway.bootstrap.settlement import settle_payments
from runway.bootstrap.sync import build_sync_service, run_worker, sync_now
from runway.bootstrap.verify import verify_aging
from runway.bootstrap.wiring import Ports, wire

__all__ = [
    "DEMO_FIRM",
    "ConfigurationError",
    "Container",
    "DemoSandbox",
    "Ports",
    "SandboxNotInstalled",
    "build_container",
    "build_sync_service",
    "connect_company",
    "generate_encryption_key",
    "prepare_database",
    "run_sandbox",
    "run_worker",
    "settle_payments",
    "sync_now",
    "verify_aging",
    "wire",
]
