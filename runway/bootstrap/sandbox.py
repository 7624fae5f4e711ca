"""The local QBO sandbox for ``runway sandbox`` and ``runway demo``, when it is installed.

The sandbox (distribution ``qbo-sandbox``, package ``qbo_sandbox``) is a development tool kept out of
Runway's wheel: it is a member of this repository's uv workspace, in the dev dependency group. It is loaded
here, on demand, and only here; without it both commands stop with ``SandboxNotInstalled`` saying how to
install it.
"""

from __future__ import annotations

import importlib
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING

from infra.interfaces.records import BusinessRecord
from runway.bootstrap.container import Container
from runway.bootstrap.errors import ConfigurationError
from runway.bootstrap.qbo import connect_company, generate_encryption_key
from runway.settings import Settings

if TYPE_CHECKING:
    from qbo_sandbox import SandboxServer

SANDBOX_PACKAGE = "qbo_sandbox"
DEMO_FIRM = "Harbor & Pine Advisors"
INSTALL_HINT = ("the local QBO sandbox is a development tool, not part of Runway's wheel. From a clone of the "
                "repository, `python3 -m uv run --frozen runway demo` installs it with the dev dependencies; "
                "into another environment: `pip install ./packages/qbo_sandbox`")


class SandboxNotInstalled(ConfigurationError):
    """``qbo_sandbox`` cannot be imported: the message says how to install it."""


def load_sandbox() -> ModuleType:
    """The ``qbo_sandbox`` package, or ``SandboxNotInstalled``."""
    try:
        return importlib.import_module(SANDBOX_PACKAGE)
    except ModuleNotFoundError as exc:
        if exc.name != SANDBOX_PACKAGE:
            raise  # the sandbox is there but one of its own dependencies is missing: show that
        raise SandboxNotInstalled(f"the qbo-sandbox package is not installed: {INSTALL_HINT}") from None


def run_sandbox(*, host: str, port: int, seed: int, size: int, realms: int | list[str], limits: bool) -> None:
    """Serve the local QBO sandbox in the foreground (``runway sandbox``) until interrupted."""
    sandbox = load_sandbox()
    config = sandbox.SandboxConfig(realms=realms, seed=seed, size=size,
                                   limits=sandbox.LimitSettings(enabled=limits))
    sandbox.serve_forever(config, host, port)


class DemoSandbox:
    """The local QBO sandbox serving the demo companies in this process, for ``runway demo``.

    ``SandboxNotInstalled`` on construction when the sandbox is not installed."""

    def __init__(self, *, seed: int, size: int, realms: int) -> None:
        sandbox = load_sandbox()
        self.server: SandboxServer = sandbox.SandboxServer(sandbox.SandboxConfig(realms=realms, seed=seed, size=size))

    def __enter__(self) -> DemoSandbox:
        self.server.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.server.stop()

    def settings(self, database_url: str) -> Settings:
        """Settings that point the QBO client at this sandbox: the same client code as for Intuit."""
        state = self.server.state
        return Settings(database_url=database_url, qbo_api_base_url=self.server.api_base_url,
                        qbo_token_url=self.server.token_url, qbo_client_id=state.config.client_id,
                        qbo_client_secret=state.config.client_secret,
                        token_encryption_key=generate_encryption_key())

    def connect_all(self, container: Container, firm_name: str = DEMO_FIRM) -> list[BusinessRecord]:
        """Connect every sandbox company as a client of ``firm_name`` (the OAuth step the sandbox skips)."""
        state = self.server.state
        return [connect_company(container, firm_name=firm_name, business_name=state.realm(realm).company_name,
                                realm_id=realm, refresh_token=state.connect_realm(realm))
                for realm in state.realm_ids]
