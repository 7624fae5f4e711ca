"""``python -m qbo_sandbox --port 8765 --seed 7 --size 2000 --realms 2``: run a sandbox in the foreground."""

import sys

from .server import main

sys.exit(main())
