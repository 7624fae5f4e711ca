"""Runway services: what the product answers, built on the domain services, and the HTTP API's own services.

- ``digest`` (runway figures and the weekly digest), ``prep_tray``, ``console``, ``runway.figures``: product
  answers combining the domains' Pattern 1 (and, when asked, Pattern 2) answers;
- ``authentication`` (API tokens), ``advisors``, ``idempotency``, ``operations`` (sync requests, webhooks,
  readiness): the API's bookkeeping over ports (``infra.interfaces.access``) the composition root hands in.

Every one of them is constructed by ``runway.bootstrap.wire``.
"""
