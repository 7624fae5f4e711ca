"""``python -m archguard.dataflow audit ...`` (see ``archguard.dataflow.cli``)."""

from archguard.dataflow.cli import main

raise SystemExit(main())
