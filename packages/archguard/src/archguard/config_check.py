"""Checks on ``.importlinter`` itself that import-linter does not make.

Every ``ignore_imports`` entry is a known exception to a rule; the reason for it belongs on the line
above it, as a ``#`` or ``;`` comment, so a reader (and the person who can remove it) knows why it is
there::

    ignore_imports =
        # Legacy report, removed with ticket 123.
        domains.ap.services.bill -> infra.db.session

import-linter accepts whole-line comments between the lines of a multi-line option, so these
comments cost nothing at run time.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

_OPTION = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*[=:]\s*(?P<value>.*)$")
_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*$")
_COMMENT_PREFIXES = ("#", ";")


@dataclass(frozen=True, slots=True)
class IgnoreEntry:
    section: str
    lineno: int
    entry: str
    reason: str | None

    def describe(self) -> str:
        return f"line {self.lineno} [{self.section}]: {self.entry}"


def ignore_entries(text: str) -> list[IgnoreEntry]:
    """Every ``ignore_imports`` entry of an INI import-linter config, with the comment above it."""
    entries: list[IgnoreEntry] = []
    section = ""
    in_ignore = False
    previous: str | None = None  # the last non-blank line before the current one
    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        is_comment = stripped.startswith(_COMMENT_PREFIXES)
        indented = raw[:1].isspace()
        if not is_comment and not indented:
            in_ignore = False
            if match := _SECTION.match(stripped):
                section = match["name"]
            elif (match := _OPTION.match(stripped)) and match["key"] == "ignore_imports":
                in_ignore = True
                if match["value"].strip():
                    entries.append(_entry(section, lineno, match["value"], previous))
        elif in_ignore and not is_comment:
            entries.append(_entry(section, lineno, stripped, previous))
        previous = stripped
    return entries


def uncommented_ignores(text: str) -> list[IgnoreEntry]:
    """The ``ignore_imports`` entries whose line above is not a comment giving the reason."""
    return [entry for entry in ignore_entries(text) if entry.reason is None]


def _entry(section: str, lineno: int, value: str, previous: str | None) -> IgnoreEntry:
    reason = None
    if previous is not None and previous.startswith(_COMMENT_PREFIXES):
        reason = previous.lstrip("#; ").strip() or None
    return IgnoreEntry(section=section, lineno=lineno, entry=value.strip(), reason=reason)


def main(argv: list[str] | None = None) -> int:
    paths = [Path(arg) for arg in (argv if argv is not None else sys.argv[1:])] or [Path(".importlinter")]
    status = 0
    for path in paths:
        for entry in uncommented_ignores(path.read_text(encoding="utf-8")):
            print(f"{path}: {entry.describe()}: add a comment with the reason on the line above")
            status = 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
