"""Imports every module of the given packages in this fresh interpreter and prints, as JSON, every
side effect an import made: database connections, sockets, files opened for writing, processes started.

Run as ``python import_side_effects.py PACKAGE [PACKAGE ...]`` with the packages importable; used by
``test_no_io_at_import.py``. Audit hooks (PEP 578) see these events whatever library makes them.
"""

import importlib
import json
import pkgutil
import sys

WATCHED = {"sqlite3.connect", "socket.connect", "socket.bind", "subprocess.Popen", "os.system"}
events: list[str] = []
importing: list[str] = []


def hook(event, args):
    if not importing:
        return
    if event in WATCHED:
        events.append(f"{importing[-1]}: {event} {args[:2]!r}")
    elif event == "open" and len(args) > 1 and isinstance(args[1], str) and any(m in args[1] for m in "wax+"):
        events.append(f"{importing[-1]}: open for writing {args[0]!r}")


sys.addaudithook(hook)
for package_name in sys.argv[1:]:
    package = importlib.import_module(package_name)
    names = [package_name] + [m.name for m in pkgutil.walk_packages(package.__path__, package_name + ".")]
    for name in names:
        if ".migrations." in name or name.endswith(".__main__"):
            continue  # Alembic loads migration scripts by path at run time; __main__ runs on purpose
        importing.append(name)
        try:
            importlib.import_module(name)
        finally:
            importing.pop()
print(json.dumps(events))
