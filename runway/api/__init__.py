"""Runway's HTTP API (FastAPI): ``create_app(container)``; served by ``runway serve``.

Modules: ``app`` (the factory), ``routes`` (ops, reads, actions), ``deps`` (authentication and the one
tenancy check), ``schemas`` (request/response models; money as strings), ``problems`` (RFC 9457 errors
and the exception -> status mapping), ``docs`` (OpenAPI helpers), ``server`` (uvicorn).
"""

from runway.api.app import create_app

__all__ = ["create_app"]
