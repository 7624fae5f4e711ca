"""``python -m archguard.dataflow audit ...`` (see ``archguard.dataflow.cli``)."""

from archguard.dataflow.cli import exit_now, main

exit_now(main(exiting=True))
