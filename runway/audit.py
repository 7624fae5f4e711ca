"""``runway audit``: archguard's audit of Runway's code, importing nothing of the application.

Which configuration it uses, first match wins:

1. ``--config FILE`` / ``--root DIR``, as given (exactly ``archguard audit``);
2. the data-flow contract of the current directory (``.importlinter``, ``setup.cfg`` or
   ``pyproject.toml``): in a checkout of Runway, its ``.importlinter``;
3. otherwise, Runway's own ``.importlinter`` (shipped in the wheel as ``runway/importlinter.ini``)
   against the installed ``domains``, ``infra`` and ``runway`` packages: the audit of the code that is
   installed, with paths relative to where it is installed. It keeps no cache there (that would write
   into the installation) unless ``--cache-dir`` says where.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from archguard.dataflow.cli import add_audit_arguments, run_audit
from archguard.dataflow.config import ConfigError, discover

PACKAGED_CONFIG = "importlinter.ini"


def audit(args: Sequence[str]) -> int:
    """``runway audit ARGS``: archguard's audit, with Runway's configuration when none is at hand."""
    parser = argparse.ArgumentParser(
        prog="runway audit",
        description="Runway's data-flow pattern map: each domain operation, the pattern it declares "
                    "(local_read, local_write, live), what it reaches (mirror, QuickBooks, sync) and the "
                    "verdict. Exit 1 when a finding fails, 2 on a configuration error.")
    add_audit_arguments(parser)
    options = parser.parse_args(list(args))
    explicit = options.config is not None or any(a == "--root" or a.startswith("--root=") for a in args)
    if not explicit:
        try:
            discover(options.root)
        except ConfigError:
            installed_root, config = runway_configuration()
            options.root, options.config = installed_root, config
            if config.name == PACKAGED_CONFIG and options.cache_dir is None:
                options.no_cache = True
    return run_audit(options, parser)


def runway_configuration() -> tuple[Path, Path]:
    """The directory holding the installed root packages, and Runway's data-flow configuration."""
    package = Path(__file__).resolve().parent
    packaged = package / PACKAGED_CONFIG
    if packaged.is_file():  # an installed wheel
        return package.parent, packaged
    return package.parent, package.parent / ".importlinter"  # a checkout
