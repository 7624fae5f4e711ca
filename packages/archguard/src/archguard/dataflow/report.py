"""The pattern map and the findings, rendered as text, JSON, SARIF 2.1.0 or Markdown.

Every renderer is deterministic (no times, no absolute paths), so the Markdown can be committed as
``docs/architecture/PATTERN_MAP.md`` and checked for being up to date.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from archguard.dataflow.model import RULES, Finding, Hop, Kind, OperationResult, Report

TOOL_NAME = "archguard-dataflow"
TOOL_VERSION = "1.0.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FORMATS = ("text", "json", "sarif", "markdown")
REGENERATE_COMMAND = ("uv run python -m archguard.dataflow audit --format markdown "
                      "--output docs/architecture/PATTERN_MAP.md")


def render(report: Report, fmt: str) -> str:
    renderers: dict[str, Callable[[Report], str]] = {
        "text": render_text, "json": render_json, "sarif": render_sarif, "markdown": render_markdown,
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
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "version": TOOL_VERSION, "rules": rules}},
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
        physical: dict[str, Any] = {"artifactLocation": {"uri": hop.path}}
        if hop.line:
            physical["region"] = {"startLine": hop.line}
        location["physicalLocation"] = physical
    return location


# Markdown ------------------------------------------------------------------------------------------------


def render_markdown(report: Report) -> str:
    lines = [
        "# Data-flow pattern map",
        "",
        f"<!-- Generated from the source by `{REGENERATE_COMMAND}`. Do not edit by hand. -->",
        "",
        "Each public operation of a domain service, the pattern it declares (`@local_read`: Pattern 1, "
        "answers from the mirror; `@live`: Pattern 2, reaches QuickBooks through a live port) and what "
        "the source shows it reaching (`mirror`, `live API`, `sync`, or `nothing`), following calls through "
        "private helpers, injected services and ports. Checked by `archguard.dataflow` "
        "(rules in `archguard/dataflow/model.py`).",
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
