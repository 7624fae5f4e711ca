"""The HTTP API over a container: ``create_api`` (FastAPI), ``serve_api`` (uvicorn in this process,
``runway serve --workers 1``) and ``serve_api_workers`` (several uvicorn worker processes over the same
database, ``runway serve --workers N``; each builds its own container from the environment with
``app_from_environment``)."""

from __future__ import annotations

import socket

from fastapi import FastAPI

from runway.api import create_app
from runway.api.limits import ApiLimits
from runway.api.server import build_server
from runway.bootstrap.container import Container


def create_api(container: Container) -> FastAPI:
    """The HTTP API (FastAPI) over ``container``'s services, with the body limits of its settings."""
    settings = container.settings
    return create_app(container, limits=ApiLimits(webhook_max_body_bytes=settings.webhook_max_body_bytes,
                                                  request_timeout_seconds=settings.request_timeout_seconds,
                                                  live_request_timeout_seconds=settings.live_request_timeout_seconds))


def serve_api(container: Container, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve the HTTP API in the foreground with uvicorn until interrupted."""
    build_server(create_api(container), host=host, port=port, log_level=log_level).run()


def app_from_environment() -> FastAPI:
    """The API over a container built from the environment's settings: the app factory each worker process
    of ``serve_api_workers`` calls (uvicorn ``factory=True``). The container lives as long as the process."""
    from runway.bootstrap.container import build_container

    container = build_container()
    app = create_api(container)
    app.router.on_shutdown.append(container.close)
    return app


def serve_api_workers(*, host: str, port: int, workers: int, log_level: str = "info") -> None:
    """Serve the HTTP API with ``workers`` uvicorn processes sharing the listening socket, until interrupted.
    They share the database named by ``RUNWAY_DATABASE_URL`` (PostgreSQL, or SQLite in WAL mode)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("runway.bootstrap.api:app_from_environment", factory=True, host=host, port=port,
                            workers=workers, log_level=log_level, proxy_headers=False, server_header=False,
                            timeout_graceful_shutdown=5)
    # uvicorn's own socket (``Config.bind_socket``) says protocol 0, and so do the connections the workers
    # accept on it: asyncio then leaves Nagle's algorithm on, and every answer written in two parts (head,
    # body) waits for the client's delayed ACK - about 40 ms a request. A socket that says TCP gets TCP_NODELAY.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    try:
        Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
