"""Runway's HTTP API (FastAPI): ``create_app(services)``; served by ``runway serve``.

Modules: ``app`` (the factory), ``routes`` (ops, reads, actions), ``deps`` (the typed services,
authentication, and the one tenancy check, which asks ``PortfolioService.business_for_firm``),
``idempotency`` (the ``Idempotency-Key`` header and request fingerprints), ``schemas`` (request/response
models; money as strings), ``problems`` (RFC 9457 errors, their codes, and the exception -> status
mapping), ``docs`` (OpenAPI helpers), ``server`` (uvicorn).
"""

from runway.api.app import create_app

__all__ = ["create_app"]
