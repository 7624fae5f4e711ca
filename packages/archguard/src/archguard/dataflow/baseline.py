"""A baseline of known findings, so a codebase can adopt the rules and only ever shrink the list.

The file is JSON, one entry per finding, keyed by its fingerprint (rule + subject + reached target, no
line numbers) with the finding's text for a human reader::

    {"version": 1, "tool": "archguard-dataflow", "findings": [
      {"fingerprint": "...", "rule": "local-read-reaches-live", "subject": "...", "target": "...",
       "text": "..."}]}

Compared with a run: a finding whose fingerprint is not in the baseline is *new* (it fails if it is a
failing finding); a baseline entry that no longer matches any finding is *stale* (it always fails, so
the baseline is updated as findings are fixed and never keeps room for a regression).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from archguard.dataflow.model import Finding, Kind, Report

BASELINE_VERSION = 1


class BaselineError(ValueError):
    """The baseline file is missing or cannot be read."""


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    rule: str
    subject: str
    target: str
    text: str


@dataclass(frozen=True)
class BaselineComparison:
    new: tuple[Finding, ...]  # every finding not in the baseline
    stale: tuple[BaselineEntry, ...]  # entries no finding matches any more
    known: int  # findings the baseline holds
    strict: bool = False

    @property
    def failing_new(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.new if f.kind is Kind.VIOLATION or self.strict)

    @property
    def ok(self) -> bool:
        return not self.failing_new and not self.stale

    def messages(self, path: Path | str) -> list[str]:
        lines = []
        for finding in self.new:
            failing = finding.kind is Kind.VIOLATION or self.strict
            label = "NEW" if failing else "NEW (not failing: unresolved, strict mode off)"
            lines.append(f"{label} finding, not in the baseline {path}: {finding.text}")
        for entry in self.stale:
            lines.append(f"STALE baseline entry in {path}, no finding matches it any more (fixed? run "
                         f"again with --update-baseline to remove it): {entry.text}")
        return lines

    def summary(self, path: Path | str) -> str:
        return (f"Baseline {path}: {self.known} known finding(s), {len(self.new)} new "
                f"({len(self.failing_new)} failing), {len(self.stale)} stale.")


def entries_of(findings: tuple[Finding, ...] | list[Finding]) -> list[BaselineEntry]:
    entries = {f.fingerprint: BaselineEntry(f.fingerprint, f.rule, f.subject, f.target, f.text) for f in findings}
    return sorted(entries.values(), key=lambda e: (e.subject, e.rule, e.target))


def write(path: Path, report: Report) -> int:
    """Record every finding of ``report``; returns how many."""
    entries = entries_of(report.findings)
    document = {
        "version": BASELINE_VERSION,
        "tool": "archguard-dataflow",
        "findings": [
            {"fingerprint": e.fingerprint, "rule": e.rule, "subject": e.subject, "target": e.target, "text": e.text}
            for e in entries
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return len(entries)


def read(path: Path) -> list[BaselineEntry]:
    if not path.is_file():
        raise BaselineError(f"baseline {path} does not exist; create it with --update-baseline")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("version") != BASELINE_VERSION:
            raise BaselineError(f"baseline {path} has version {document.get('version')!r}, "
                                f"expected {BASELINE_VERSION}")
        return [BaselineEntry(e["fingerprint"], e["rule"], e["subject"], e.get("target", ""), e["text"])
                for e in document["findings"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, BaselineError):
            raise
        raise BaselineError(f"baseline {path} cannot be read: {exc}") from exc


def compare(report: Report, entries: list[BaselineEntry]) -> BaselineComparison:
    known = {e.fingerprint for e in entries}
    current = {f.fingerprint for f in report.findings}
    new = tuple(f for f in report.findings if f.fingerprint not in known)
    stale = tuple(e for e in entries if e.fingerprint not in current)
    return BaselineComparison(new=new, stale=stale, known=len(known & current), strict=report.strict)
