"""The ``runway`` console script (and ``python -m runway``).

``runway audit ...`` is handed to archguard before any module of the application is imported: the
audit reads the code as source, so it works wherever the other commands' dependencies (a database
driver, settings) would fail, and ``runway audit --help`` shows archguard's real options. Every other
command is the Typer application in ``runway.cli``.

The audit itself is ``runway.audit`` (it imports only archguard).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["audit"]:
        from runway.audit import audit

        return audit(args[1:])
    from runway.cli import app

    return app(args=args, prog_name="runway") or 0


if __name__ == "__main__":
    raise SystemExit(main())
