"""Cache files: whole, checked, and safe to share between runs at the same time.

A cache file is ``MAGIC`` + a blake2b hash of the payload + the payload (``marshal`` data: plain values
only, nothing that runs code when read). It is written to a temporary file in the same directory and
renamed over the old one, so a reader sees the old file or the new one, never half of either; the last
writer wins. ``read`` returns None, and says why at debug level, for a file that is missing, truncated,
altered or from another format: the caller starts afresh.

The directory is archguard's (``.archguard_cache`` in the repository root, beside import-linter's
``.import_linter_cache``); it holds a ``.gitignore`` ignoring everything in it.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
from pathlib import Path
from typing import Any

LOG = logging.getLogger("archguard.cache")

DEFAULT_DIRECTORY = ".archguard_cache"
#: Environment variable: where archguard keeps its cache instead of ``.archguard_cache`` in the root
#: (a directory), or ``off`` to keep none (a read-only checkout, a test suite). Command-line options and
#: contract options say otherwise when given.
ENVIRONMENT = "ARCHGUARD_CACHE"
MAGIC = b"archguard-cache-1\n"
_DIGEST = 32
#: A file modified this close to the time a cache recorded its state may have changed again within the
#: same modification time: its content is read again rather than trusted.
RACY_SECONDS = 2.0


def directory(root: Path) -> Path | None:
    """Where the cache of the repository at ``root`` lives (None: no cache), per ``ARCHGUARD_CACHE``."""
    chosen = os.environ.get(ENVIRONMENT, "").strip()
    if chosen.lower() in ("off", "none", "no", "0", "false"):
        return None
    return Path(chosen) if chosen else root / DEFAULT_DIRECTORY


def read(path: Path) -> Any | None:
    """The payload of a cache file, or None (missing, or unusable: said at debug level)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        LOG.debug("cache file %s cannot be read (%s): starting afresh", path, exc)
        return None
    try:
        if not data.startswith(MAGIC):
            raise ValueError("not an archguard cache file")
        digest, payload = data[len(MAGIC):len(MAGIC) + _DIGEST], data[len(MAGIC) + _DIGEST:]
        if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
            raise ValueError("its content does not match its hash: truncated or altered")
        return marshal.loads(payload)
    except (ValueError, EOFError, TypeError) as exc:
        LOG.debug("cache file %s is unusable (%s): ignoring it, it will be rebuilt", path, exc)
        return None


def write(path: Path, value: Any) -> bool:
    """Write ``value`` (plain data) to ``path`` atomically; False (said at debug level) if it cannot be."""
    payload = marshal.dumps(value)
    directory = path.parent
    temporary = directory / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by archguard: its cache, never committed.\n*\n", encoding="utf-8")
        try:
            with temporary.open("xb") as out:
                out.write(MAGIC)
                out.write(hashlib.blake2b(payload, digest_size=_DIGEST).digest())
                out.write(payload)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as exc:
        LOG.debug("cache file %s cannot be written (%s): running without it", path, exc)
        return False
    return True
