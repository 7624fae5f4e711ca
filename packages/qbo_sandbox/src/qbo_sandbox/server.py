"""Running the sandbox: ``SandboxServer`` (a background thread, for tests and tools) and
``serve_forever`` (the foreground, for ``runway sandbox``).

    with SandboxServer(SandboxConfig(realms=2, seed=7)) as server:
        refresh_token = server.state.connect_realm(server.state.realm_ids[0])
        httpx.post(server.token_url, ...); httpx.get(f"{server.api_base_url}/company/{realm}/query", ...)

The server listens on 127.0.0.1 (port 0 picks a free one) with uvicorn's h11 protocol, extended so the
app can drop connections on demand (see ``app.py``). ``start()`` returns once the port accepts
connections.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .app import TRANSPORT_ABORT_KEY, create_sandbox_app
from .config import LimitSettings, SandboxConfig
from .oauth_api import DISCOVERY_PATH, TOKEN_PATH
from .state import SandboxState


class _AbortableH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, handing the app a way to abort the connection (scope["state"])."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # uvicorn writes the status line and the body separately; without TCP_NODELAY, Nagle's algorithm
        # holds the body until the client's delayed ACK (~40 ms per request). asyncio only sets it for
        # sockets created with proto=IPPROTO_TCP, which a pre-bound listening socket may not be.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # uvicorn copies app_state into every request scope's "state"; this copy is per connection.
        self.app_state = {**self.app_state, TRANSPORT_ABORT_KEY: transport.abort}


def _uvicorn_config(state: SandboxState, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(create_sandbox_app(state), host=host, port=port, http=_AbortableH11Protocol,
                          lifespan="off", log_level=log_level, access_log=False, timeout_graceful_shutdown=2)


class SandboxServer:
    """A sandbox served from a daemon thread. Also a context manager (start on enter, stop on exit).

    ``state`` may be a ready ``SandboxState``, a ``SandboxConfig`` (a state is built from it) or None
    (defaults). A state built here is closed by ``stop()``; one passed in is left to its owner.
    """

    def __init__(self, state: SandboxState | SandboxConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, log_level: str = "warning") -> None:
        self._owns_state = not isinstance(state, SandboxState)
        self.state = state if isinstance(state, SandboxState) else SandboxState(state)
        self.host = host
        self.port = port
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    # ------------------------------------------------------------------------------------------ URLs

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """What python-quickbooks calls ``api_url_v3``: ``{base_url}/v3``."""
        return f"{self.base_url}/v3"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}{TOKEN_PATH}"

    @property
    def discovery_url(self) -> str:
        """Pass as intuitlib's ``AuthClient(environment=...)``."""
        return f"{self.base_url}{DISCOVERY_PATH}"

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 10.0) -> SandboxServer:
        if self._thread is not None:
            raise RuntimeError("the sandbox server is already running")
        # Bind here rather than in uvicorn so port 0 is resolved before the thread starts.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        self._server = server = uvicorn.Server(_uvicorn_config(self.state, self.host, self.port, self.log_level))
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name=f"qbo-sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox server did not start on {self.base_url}")
            time.sleep(0.01)
        with socket.create_connection((self.host, self.port), timeout=timeout):
            pass  # accepting connections
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        if self._owns_state:
            self.state.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def serve_forever(config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 8765,
                  *, log_level: str = "info") -> None:
    """Serve a sandbox in the foreground until interrupted (Ctrl+C). Prints where it listens."""
    state = SandboxState(config)
    base = f"http://{host}:{port}"
    print(f"QBO sandbox on {base}  (API {base}/v3, discovery {base}{DISCOVERY_PATH}, admin {base}/_sandbox)")
    for realm_id in state.realm_ids:
        realm = state.realm(realm_id)
        print(f"  realm {realm_id}  {realm.company_name!r} ({realm.profile})  "
              f"refresh_token={state.connect_realm(realm_id)}")
    print(f"  client_id={state.config.client_id}  client_secret={state.config.client_secret}")
    try:
        uvicorn.Server(_uvicorn_config(state, host, port, log_level)).run()
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl+C after its graceful shutdown; that is the normal way out
    finally:
        state.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m qbo_sandbox [--host H] [--port P] [--seed S] [--size N] [--realms R]``."""
    parser = argparse.ArgumentParser(prog="qbo-sandbox", description="Run a local QuickBooks Online sandbox.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=500, help="approximate number of entities per realm")
    parser.add_argument("--realms", default="1",
                        help="how many realms (a number up to 999), or a comma-separated list of realm ids")
    parser.add_argument("--no-limits", action="store_true", help="do not enforce Intuit's throttling limits")
    args = parser.parse_args(argv)
    realms: int | list[str] = (int(args.realms) if args.realms.isdigit() and len(args.realms) <= 3
                               else [realm.strip() for realm in args.realms.split(",") if realm.strip()])
    config = SandboxConfig(realms=realms, seed=args.seed, size=args.size,
                           limits=LimitSettings(enabled=not args.no_limits))
    serve_forever(config, args.host, args.port)
    return 0
