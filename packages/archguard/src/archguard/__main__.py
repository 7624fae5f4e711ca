"""``python -m archguard ...``: the ``archguard`` command (see ``archguard.cli``)."""

from archguard.cli import main

raise SystemExit(main())
