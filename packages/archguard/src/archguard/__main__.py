"""``python -m archguard ...``: the ``archguard`` command (see ``archguard.cli``)."""

from archguard.cli import main
from archguard.dataflow.cli import exit_now

exit_now(main(exiting=True))
