"""The pattern map and the findings, rendered as text, JSON, SARIF 2.1.0 or Markdown.

Every path is relative to the repository root (the audit's ``--root``, or the directory lint-imports
runs in), src layouts included (``src/app/domain/services.py``). Text, JSON and Markdown are
deterministic (no times, no absolute paths), so the Markdown can be committed as a pattern map and
checked for being up to date. SARIF names each file relative to the base id ``%SRCROOT%``, which its
``originalUriBaseIds`` resolves to the root's absolute ``file:`` URI: a code-scanning upload then
points at the right files whatever directory the run was made from.

Each renderer yields the report in pieces (``chunks``), written out as they come, so a large report is
never held twice in memory. JSON and SARIF are compact (one line, through the standard library's C
encoder) unless ``pretty`` asks for two-space indentation. An unresolved call site is one finding;
JSON lists the operations whose reach holds it (``operations``, the first
``summaries.NAMED_OPERATIONS`` by name) and counts them (``operation_count``); SARIF puts both in the
result's ``properties``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO
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


def render(report: Report, fmt: str, *, output: str | None = None, pretty: bool = False) -> str:
    """The report in ``fmt``, as one string; ``output`` (the file it is written to) is named in the
    Markdown's header."""
    return "".join(chunks(report, fmt, output=output, pretty=pretty))


def write(report: Report, fmt: str, stream: TextIO, *, output: str | None = None, pretty: bool = False) -> None:
    """Write the report in ``fmt`` to ``stream`` piece by piece."""
    for chunk in chunks(report, fmt, output=output, pretty=pretty):
        stream.write(chunk)


def chunks(report: Report, fmt: str, *, output: str | None = None, pretty: bool = False) -> Iterator[str]:
    """The report in ``fmt``, in pieces."""
    if fmt == "text":
        return _lines(text_lines(report))
    if fmt == "json":
        return json_chunks(report, pretty=pretty)
    if fmt == "sarif":
        return sarif_chunks(report, pretty=pretty)
    if fmt == "markdown":
        return _lines(markdown_lines(report, output=output))
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _lines(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        yield line + "\n"


def level_of(finding: Finding, report: Report) -> str:
    return "error" if finding.kind is Kind.VIOLATION or report.strict else "warning"


# Text ----------------------------------------------------------------------------------------------------


def render_text(report: Report) -> str:
    return render(report, "text")


def text_lines(report: Report) -> Iterator[str]:
    yield _summary(report)
    yield ""
    header = ("OPERATION", "DECLARED", "OBSERVED")
    widths = [max([len(header[0]), *(len(op.name) for op in report.operations)]),
              max([len(header[1]), *(len(op.declared or "-") for op in report.operations)]),
              max([len(header[2]), *(len(op.observed) for op in report.operations)])]
    yield f"{header[0].ljust(widths[0])}  {header[1].ljust(widths[1])}  {header[2].ljust(widths[2])}  VERDICT"
    for op in report.operations:
        yield (f"{op.name.ljust(widths[0])}  {(op.declared or '-').ljust(widths[1])}  "
               f"{op.observed.ljust(widths[2])}  {op.verdict}")
    if report.findings:
        yield ""
        yield "Findings:"
        for finding in report.findings:
            yield f"  {level_of(finding, report)} {finding.rule}: {finding.text}"
    for note in report.notes:
        yield f"note: {note}"


def _summary(report: Report) -> str:
    failing = len(report.failing())
    return (f"Data-flow patterns: {len(report.operations)} operations, {len(report.findings)} findings "
            f"({failing} failing{', strict' if report.strict else ''}).")


# JSON ----------------------------------------------------------------------------------------------------


def render_json(report: Report, *, pretty: bool = False) -> str:
    return render(report, "json", pretty=pretty)


def to_json(report: Report) -> dict[str, Any]:
    """The JSON document as a dictionary (what ``json_chunks`` writes, piece by piece)."""
    return json.loads(render_json(report))


def json_chunks(report: Report, *, pretty: bool = False) -> Iterator[str]:
    encode = _encoder(pretty)
    yield from _object([
        ("tool", encode(TOOL_NAME)), ("version", encode(TOOL_VERSION)), ("strict", encode(report.strict)),
        ("ok", encode(report.ok)),
        ("operations", _array((encode(_operation_json(op)) for op in report.operations), pretty, 1)),
        ("findings", _array((encode(_finding_json(f, report)) for f in report.findings), pretty, 1)),
        ("notes", encode(list(report.notes))),
    ], pretty, 0)
    yield "\n"


def _encoder(pretty: bool) -> Callable[[Any], str]:
    """A value as JSON: compact through the C encoder, or indented (each nested level by two spaces)."""
    if pretty:
        encoder = json.JSONEncoder(indent=2)
        return encoder.encode
    return json.JSONEncoder(separators=(",", ":")).encode


def _object(members: list[tuple[str, str | Iterator[str]]], pretty: bool, depth: int) -> Iterator[str]:
    """A JSON object whose member values are encoded text or streams of it (already at ``depth + 1``)."""
    inner = "\n" + "  " * (depth + 1) if pretty else ""
    yield "{"
    for i, (name, value) in enumerate(members):
        yield ("," if i else "") + inner + json.dumps(name) + (": " if pretty else ":")
        if isinstance(value, str):
            yield _indented(value, pretty, depth + 1)
        else:
            yield from value
    yield ("\n" + "  " * depth if pretty else "") + "}"


def _array(items: Iterable[str], pretty: bool, depth: int) -> Iterator[str]:
    inner = "\n" + "  " * (depth + 1) if pretty else ""
    yield "["
    empty = True
    for i, item in enumerate(items):
        empty = False
        yield ("," if i else "") + inner + _indented(item, pretty, depth + 1)
    yield "]" if empty else ("\n" + "  " * depth if pretty else "") + "]"


def _indented(encoded: str, pretty: bool, depth: int) -> str:
    return encoded.replace("\n", "\n" + "  " * depth) if pretty and depth else encoded


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


def render_sarif(report: Report, *, pretty: bool = False) -> str:
    return render(report, "sarif", pretty=pretty)


def to_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log as a dictionary (what ``sarif_chunks`` writes, piece by piece)."""
    return json.loads(render_sarif(report))


def sarif_chunks(report: Report, *, pretty: bool = False) -> Iterator[str]:
    encode = _encoder(pretty)
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
    run: list[tuple[str, str | Iterator[str]]] = [
        ("tool", encode({"driver": {"name": TOOL_NAME, "version": TOOL_VERSION, "rules": rules}}))]
    if report.root:
        run.append(("originalUriBaseIds", encode({SRCROOT: {
            "uri": Path(report.root).as_uri().rstrip("/") + "/",
            "description": {"text": "The repository root: every artifact location is relative to it."},
        }})))
    rule_ids = {rule_id: i for i, rule_id in enumerate(RULES)}
    run += [
        ("columnKind", encode("unicodeCodePoints")),
        ("results", _array((encode(_sarif_result(f, report, rule_ids)) for f in report.findings), pretty, 3)),
        ("properties", _object([
            ("strict", encode(report.strict)),
            ("patternMap", _array((encode({"operation": op.name, "declared": op.declared or "undeclared",
                                           "observed": op.observed, "verdict": op.verdict})
                                   for op in report.operations), pretty, 4)),
        ], pretty, 3)),
    ]
    yield from _object([
        ("$schema", encode(SARIF_SCHEMA)),
        ("version", encode("2.1.0")),
        ("runs", _runs(_object(run, pretty, 2), pretty)),
    ], pretty, 0)
    yield "\n"


def _runs(run: Iterator[str], pretty: bool) -> Iterator[str]:
    yield "[" + ("\n    " if pretty else "")
    yield from run
    yield ("\n  " if pretty else "") + "]"


def _sarif_result(finding: Finding, report: Report, rule_ids: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_ids[finding.rule],
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
    if finding.rule == "unresolved-call":
        result["properties"] = {"operationCount": finding.operation_count,
                                "operations": list(finding.operations)}
    return result


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
    return render(report, "markdown", output=output)


def markdown_lines(report: Report, *, output: str | None = None) -> Iterator[str]:
    words = report.vocabulary
    yield from [
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
        yield (f"| `{op.name}` | {op.declared or 'undeclared'} | {op.observed} | {_md(reaches)} | "
               f"{op.verdict} |")
    if report.findings:
        yield from ["", "## Findings", ""]
        for finding in report.findings:
            yield f"- **{finding.rule}** ({level_of(finding, report)}): {_md(finding.text)}"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _uri(path: str) -> str:
    """A relative path as a URI reference (percent-encoded; SARIF locations are URIs, not paths)."""
    return quote(path, safe="/")
