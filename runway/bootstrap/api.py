"""The HTTP API over a container: ``create_api`` (FastAPI) and ``serve_api`` (uvicorn, ``runway serve``)."""

from __future__ import annotations

from fastapi import FastAPI

from runway.api import create_app
from runway.api.limits import ApiLimits
from runway.api.server import build_server
from runway.bootstrap.container import Container


def create_api(container: Container) -> FastAPI:
    """The HTTP API (FastAPI) over ``container``'s services, with the body limits of its settings."""
    settings = container.settings
    return create_app(container, limits=ApiLimits(webhook_max_body_bytes=settings.webhook_max_body_bytes,
                                                  request_timeout_seconds=settings.request_timeout_seconds))


def serve_api(container: Container, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve the HTTP API in the foreground with uvicorn until interrupted."""
    build_server(create_api(container), host=host, port=port, log_level=log_level).run()
