"""The pattern map and the findings, rendered as text, JSON, SARIF 2.1.0 or Markdown.

Every path is relative to the repository root (the audit's ``--root``, or the directory lint-imports
runs in), src layouts included (``src/app/domain/services.py``). Text, JSON and Markdown are
deterministic (no times, no absolute paths), so the Markdown can be committed as a pattern map and
checked for being up to date. SARIF names each file relative to the base id ``%SRCROOT%``, which its
``originalUriBaseIds`` resolves to the root's absolute ``file:`` URI: a code-scanning upload then
points at the right files whatever directory the run was made from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from archguard.dataflow.model import RULES, Finding, Hop, Kind, OperationResult, Report

TOOL_NAME = "archguard-dataflow"
TOOL_VERSION = "2.0.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FORMATS = ("text", "json", "sarif", "markdown")
DEFAULT_MAP_PATH = "PATTERN_MAP.md"


def regenerate_command(output: str | None = None) -> str:
    """The command that writes the Markdown pattern map to ``output``."""
    return f"archguard audit --format markdown --output {output or DEFAULT_MAP_PATH}"


def render(report: Report, fmt: str, *, output: str | None = None) -> str:
    """The report in ``fmt``; ``output`` (the file it is written to) is named in the Markdown's header."""
    renderers: dict[str, Callable[[Report], str]] = {
        "text": render_text, "json": render_json, "sarif": render_sarif,
        "markdown": lambda r: render_markdown(r, output=output),
    }
    try:
        return renderers[fmt](report)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def level_of(finding: Finding, report: Report) -> str:
    return "error" if finding.kind is Kind.VIOLATION or report.strict else "warning"


# Text ----------------------------------------------------------------------------------------------------


def render_text(report: Report) -> str:
    lines = [_summary(report), ""]
    rows = [("OPERATION", "DECLARED", "OBSERVED", "VERDICT")]
    rows += [(op.name, op.declared or "-", op.observed, op.verdict) for op in report.operations]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
    if report.findings:
        lines += ["", "Findings:"]
        for finding in report.findings:
            lines.append(f"  {level_of(finding, report)} {finding.rule}: {finding.text}")
    for note in report.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def _summary(report: Report) -> str:
    failing = len(report.failing())
    return (f"Data-flow patterns: {len(report.operations)} operations, {len(report.findings)} findings "
            f"({failing} failing{', strict' if report.strict else ''}).")


# JSON ----------------------------------------------------------------------------------------------------


def render_json(report: Report) -> str:
    return json.dumps(to_json(report), indent=2, sort_keys=False) + "\n"


def to_json(report: Report) -> dict[str, Any]:
    return {
        "tool": TOOL_NAME,
        "version": TOOL_VERSION,
        "strict": report.strict,
        "ok": report.ok,
        "operations": [_operation_json(op) for op in report.operations],
        "findings": [_finding_json(f, report) for f in report.findings],
        "notes": list(report.notes),
    }


def _operation_json(op: OperationResult) -> dict[str, Any]:
    return {
        "name": op.name,
        "path": op.path,
        "line": op.line,
        "declared": op.declared,
        "declared_by": op.declared_by,
        "observed": op.observed,
        "verdict": op.verdict,
        "reaches": [
            {"category": str(r.category), "target": r.target, "display": r.display,
             "chain": [_hop_json(h) for h in r.chain]}
            for r in op.reaches
        ],
        "unresolved_calls": op.unresolved,
        "findings": [f.fingerprint for f in op.findings],
    }


def _finding_json(finding: Finding, report: Report) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "kind": str(finding.kind),
        "level": level_of(finding, report),
        "subject": finding.subject,
        "declared": finding.declared,
        "message": finding.message,
        "target": finding.target,
        "text": finding.text,
        "fingerprint": finding.fingerprint,
        "path": finding.path,
        "line": finding.line,
        "chain": [_hop_json(h) for h in finding.chain],
        **({"operation_count": finding.operation_count, "operations": list(finding.operations)}
           if finding.rule == "unresolved-call" else {}),
    }


def _hop_json(hop: Hop) -> dict[str, Any]:
    return {"name": hop.name, "path": hop.path, "line": hop.line}


# SARIF 2.1.0 ---------------------------------------------------------------------------------------------


def render_sarif(report: Report) -> str:
    return json.dumps(to_sarif(report), indent=2) + "\n"


def to_sarif(report: Report) -> dict[str, Any]:
    rule_ids = list(RULES)
    rules = [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.description.split(". ")[0].rstrip(".") + "."},
            "fullDescription": {"text": rule.description},
            "defaultConfiguration": {
                "level": "error" if rule.kind is Kind.VIOLATION or report.strict else "warning"},
            "properties": {"tags": ["architecture", "data-flow", str(rule.kind)]},
        }
        for rule in RULES.values()
    ]
    results = []
    for finding in report.findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": rule_ids.index(finding.rule),
            "level": level_of(finding, report),
            "kind": "fail",
            "message": {"text": finding.text},
            "locations": [],
            "partialFingerprints": {"archguardDataflow/v1": finding.fingerprint},
        }
        if finding.path:
            location = _sarif_location(Hop(finding.subject, finding.path, finding.line))
            location["logicalLocations"] = [{"fullyQualifiedName": finding.subject, "kind": "function"
                                             if finding.rule != "undeclared-port" else "type"}]
            result["locations"].append(location)
        if len(finding.chain) > 1:
            result["codeFlows"] = [{
                "message": {"text": finding.message},
                "threadFlows": [{
                    "locations": [
                        {"location": _sarif_location(hop), "nestingLevel": depth, "executionOrder": depth + 1}
                        for depth, hop in enumerate(finding.chain)
                    ],
                }],
            }]
        results.append(result)
    run: dict[str, Any] = {"tool": {"driver": {"name": TOOL_NAME, "version": TOOL_VERSION, "rules": rules}}}
    if report.root:
        run["originalUriBaseIds"] = {SRCROOT: {
            "uri": Path(report.root).as_uri().rstrip("/") + "/",
            "description": {"text": "The repository root: every artifact location is relative to it."},
        }}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            **run,
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "strict": report.strict,
                "patternMap": [
                    {"operation": op.name, "declared": op.declared or "undeclared", "observed": op.observed,
                     "verdict": op.verdict}
                    for op in report.operations
                ],
            },
        }],
    }


def _sarif_location(hop: Hop) -> dict[str, Any]:
    location: dict[str, Any] = {"message": {"text": hop.name}}
    if hop.path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(hop.path), "uriBaseId": SRCROOT}}
        if hop.line:
            physical["region"] = {"startLine": hop.line}
        location["physicalLocation"] = physical
    return location


# Markdown ------------------------------------------------------------------------------------------------


def render_markdown(report: Report, *, output: str | None = None) -> str:
    words = report.vocabulary
    lines = [
        "# Data-flow pattern map",
        "",
        f"<!-- Generated from the source by `{regenerate_command(output)}`. Do not edit by hand. -->",
        "",
        "Each public operation of a domain service module (a method of a service class or a module-level "
        f"function), the pattern it declares (`local_read`: Pattern 1, reads the {words.local} store; "
        f"`local_write`: Pattern 1, writes the {words.local} store's own records; `live`: Pattern 2, reaches "
        f"the {words.live} system through a live port) and what the source shows it reaching "
        f"(`{words.local}`, `{words.live}`, `{words.sync}`, `unresolved`, or `nothing`), following calls "
        "through private helpers, injected services, callbacks and ports. Checked by `archguard audit` "
        "(the rules: `archguard.dataflow.model.RULES`).",
        "",
        f"{len(report.operations)} operations; {len(report.findings)} findings.",
        "",
        "| operation | declared | observed | reaches | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for op in report.operations:
        reaches = ", ".join(sorted({r.display for r in op.reaches})) or "-"
        lines.append(f"| `{op.name}` | {op.declared or 'undeclared'} | {op.observed} | {_md(reaches)} | "
                     f"{op.verdict} |")
    if report.findings:
        lines += ["", "## Findings", ""]
        for finding in report.findings:
            lines.append(f"- **{finding.rule}** ({level_of(finding, report)}): {_md(finding.text)}")
    lines.append("")
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _uri(path: str) -> str:
    """A relative path as a URI reference (percent-encoded; SARIF locations are URIs, not paths)."""
    return quote(path, safe="/")
