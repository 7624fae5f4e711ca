"""The unit of work of one answer: ``read_scope(session_factory)`` (defined beside ``SessionScoped`` in
``infra.db._base``, whose ``transaction()`` joins it). The composition root hands it to the services as
``Services.read_scope``; the API runs each read route in one, the CLI each answer."""

from __future__ import annotations

from infra.db._base import read_scope

__all__ = ["read_scope"]
