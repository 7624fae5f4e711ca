"""Serving the API with uvicorn: in the foreground (``runway serve``) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


def build_server(app: FastAPI, *, host: str, port: int, log_level: str = "info", access_log: bool = True,
                 loop: str = "auto") -> uvicorn.Server:
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=access_log, loop=loop,
                            proxy_headers=False, server_header=False, timeout_graceful_shutdown=5)
    return uvicorn.Server(config)


@contextmanager
def serving_in_thread(app: FastAPI, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning",
                      startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` from a daemon thread; yields the base URL (``port=0`` picks a free port)."""
    # asyncio's own loop, not uvloop: its sockets are Python sockets, which the tests' network guard sees bound
    # (uvloop binds in C, so a strict run would take this server for the outside world).
    server = build_server(app, host=host, port=port, log_level=log_level, access_log=False, loop="asyncio")
    thread = threading.Thread(target=server.run, name="runway-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    bound = port
    for s in server.servers:
        for sock in s.sockets:
            bound = sock.getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
