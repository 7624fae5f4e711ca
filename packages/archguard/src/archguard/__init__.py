"""Runway's own architecture tooling.

- ``archguard.source_imports``: finds every import in a module's source with ``ast``, including the
  ones an import graph cannot see (``importlib.import_module("x")``, ``__import__("x")``).
- ``archguard.contracts``: import-linter contract types built on it, registered in ``.importlinter``.
- ``archguard.config_check``: checks on ``.importlinter`` itself (every ``ignore_imports`` entry has
  its reason in a comment on the line above).
- ``archguard.diagram``: the layer diagram in ``docs/architecture/LAYERS.md``, drawn from the real
  import graph (``python -m archguard.diagram --write`` / ``--check``).

This package imports nothing from ``domains``, ``infra`` or ``runway``: it inspects them as source.
"""
