"""archguard: architecture rules for Python codebases, as executable checks.

- ``archguard.patterns``: the data-flow markers (``@local_read``, ``@local_write``, ``@live``,
  ``@local_port``, ``@live_port``, ``@sync_job``) and the run-time guard (``guard_live_call``).
- ``archguard.dataflow``: the call-level data-flow checker (``archguard audit``), its import-linter
  contract type ``data_flow`` and the ``--dataflow-strict`` pytest plugin.
- ``archguard.source_imports``: every import in a module's source, found with ``ast``, including the
  ones an import graph cannot see (``importlib.import_module("x")``, ``__import__(name)``).
- ``archguard.contracts``: import-linter contract types (``forbidden_source_imports``,
  ``independent_children``); they need the ``importlinter`` extra.
- ``archguard.config_check``: checks on an import-linter INI file itself (every ``ignore_imports``
  entry has its reason in a comment on the line above).
- ``archguard.diagram``: a layer diagram drawn from the real import graph (``archguard diagram``).

The core (markers, guard, checker, ``archguard audit``, the pytest plugin) needs only the standard
library. archguard imports nothing of the codebase it checks: it reads it as source.
"""
