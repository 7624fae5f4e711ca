"""The pattern map as text, JSON, SARIF 2.1.0 and Markdown, and the `audit` command line."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from archguard.dataflow import RULES, Report
from archguard.dataflow.cli import main
from archguard.dataflow.report import render, to_sarif
from tests.dataflow.support import COLLECTIONS, OP, check_planted, planted_tree

SARIF_SUBSET = Path(__file__).with_name("sarif-2.1.0-subset.schema.json")
HELPER_CHAIN = (
    f"CollectionsService.aging_report ({COLLECTIONS}:17) -> CollectionsService._remind ({COLLECTIONS}:21) -> "
    f"CollectionsService._send ({COLLECTIONS}:24) -> QboGateway.send_invoice (infra/interfaces/ports.py:24)"
)


@pytest.fixture
def report(tmp_path: Path) -> Report:
    return check_planted("private-helper", tmp_path)


def test_text_lists_each_operation_and_each_finding(report: Report) -> None:
    text = render(report, "text")

    assert text.splitlines() == [
        "Data-flow patterns: 1 operations, 1 findings (1 failing).",
        "",
        "OPERATION" + " " * 56 + "DECLARED    OBSERVED      VERDICT",
        f"{OP}.aging_report  local_read  local + live  violation",
        "",
        "Findings:",
        f"  error local-reaches-live: {OP}.aging_report [local_read] reaches live port QboGateway: "
        + HELPER_CHAIN,
    ]


def test_json_holds_the_map_the_findings_and_their_chains(report: Report) -> None:
    document = json.loads(render(report, "json"))

    assert document["ok"] is False
    [operation] = document["operations"]
    assert (operation["name"], operation["declared"], operation["observed"], operation["verdict"]) == (
        f"{OP}.aging_report", "local_read", "local + live", "violation")
    [finding] = document["findings"]
    assert finding["rule"] == "local-reaches-live"
    assert finding["kind"] == "violation"
    assert finding["text"].endswith(HELPER_CHAIN)
    assert [hop["line"] for hop in finding["chain"]] == [17, 21, 24, 24]
    assert operation["findings"] == [finding["fingerprint"]]


def test_sarif_validates_against_the_sarif_2_1_0_schema(report: Report, tmp_path: Path) -> None:
    schema = json.loads(SARIF_SUBSET.read_text())
    unresolved = check_planted("unresolved-call", tmp_path / "more")
    clean = check_planted("base", tmp_path / "clean")

    for sarif in (to_sarif(report), to_sarif(unresolved), to_sarif(clean), json.loads(render(report, "sarif"))):
        jsonschema.validate(sarif, schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_schema_subset_refuses_what_sarif_refuses(report: Report) -> None:
    """The vendored subset is strict where the official schema is (so validating against it means something)."""
    schema = json.loads(SARIF_SUBSET.read_text())
    sarif = to_sarif(report)
    bad_level = json.loads(json.dumps(sarif))
    bad_level["runs"][0]["results"][0]["level"] = "fatal"
    bad_line = json.loads(json.dumps(sarif))
    bad_line["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    unknown_key = json.loads(json.dumps(sarif))
    unknown_key["runs"][0]["results"][0]["severity"] = "high"
    no_driver_name = json.loads(json.dumps(sarif))
    del no_driver_name["runs"][0]["tool"]["driver"]["name"]

    for broken in (bad_level, bad_line, unknown_key, no_driver_name):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


def test_sarif_result_names_rule_message_location_and_chain(report: Report) -> None:
    run = to_sarif(report)["runs"][0]
    [result] = run["results"]
    rules = run["tool"]["driver"]["rules"]

    assert [rule["id"] for rule in rules] == list(RULES)
    assert all(rule["shortDescription"]["text"] and rule["fullDescription"]["text"] for rule in rules)
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "local-reaches-live"
    assert result["level"] == "error"
    assert result["message"]["text"].endswith(HELPER_CHAIN)
    physical = result["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": COLLECTIONS, "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 15}}
    flow = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [(step["location"]["physicalLocation"]["region"]["startLine"]) for step in flow] == [17, 21, 24, 24]
    assert result["partialFingerprints"]["archguardDataflow/v1"] == report.findings[0].fingerprint


def test_sarif_locations_are_relative_to_the_root_named_by_a_base_id(tmp_path: Path) -> None:
    """A code-scanning upload resolves %SRCROOT% to the repository root, wherever the audit ran."""
    tree = planted_tree("private-helper", tmp_path / "repo")
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    output = elsewhere / "dataflow.sarif"

    status = main(["audit", "--root", str(tree), "--format", "sarif", "--output", str(output)])

    run = json.loads(output.read_text())["runs"][0]
    assert status == 1
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tree.resolve().as_uri() + "/"
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert locations == [{"uri": COLLECTIONS, "uriBaseId": "%SRCROOT%"}]
    flow = run["results"][0]["codeFlows"][0]["threadFlows"][0]["locations"]
    assert {step["location"]["physicalLocation"]["artifactLocation"]["uriBaseId"] for step in flow} == {"%SRCROOT%"}


def test_an_unresolved_site_is_one_result_naming_the_operations_it_affects(tmp_path: Path) -> None:
    """Issue 10, item 1: a call the checker cannot follow in a helper two operations share is one finding
    in every format, listing both operations (JSON, SARIF) and counting them; each operation counts it."""
    report = check_planted("shared-unresolved-site", tmp_path)
    both = [f"{OP}.aging_report", f"{OP}.send_invoice"]

    document = json.loads(render(report, "json"))
    [finding] = document["findings"]
    assert (finding["rule"], finding["subject"], finding["target"]) == (
        "unresolved-call", f"{OP}._record", "self._audit.write()")
    assert (finding["operation_count"], finding["operations"]) == (2, both)
    assert (finding["path"], finding["line"]) == (COLLECTIONS, 29)  # the call itself
    assert [(op["name"], op["unresolved_calls"], op["verdict"]) for op in document["operations"]] == [
        (both[0], 1, "unresolved"), (both[1], 1, "unresolved")]
    [result] = to_sarif(report)["runs"][0]["results"]
    assert result["properties"] == {"operationCount": 2, "operations": both}
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 29}
    jsonschema.validate(to_sarif(report), json.loads(SARIF_SUBSET.read_text()))
    assert [line for line in render(report, "text").splitlines() if "unresolved-call" in line] == [
        f"  warning unresolved-call: {finding['text']}"]


def test_json_and_sarif_are_compact_unless_pretty(report: Report) -> None:
    for fmt in ("json", "sarif"):
        compact, pretty = render(report, fmt), render(report, fmt, pretty=True)

        assert compact.count("\n") == 1 and compact.endswith("}\n")
        assert pretty.startswith("{\n  ") and json.loads(compact) == json.loads(pretty)
        assert pretty == json.dumps(json.loads(compact), indent=2) + "\n"


def test_unresolved_calls_are_sarif_warnings_unless_strict(tmp_path: Path) -> None:
    relaxed = to_sarif(check_planted("unresolved-call", tmp_path / "a"))
    strict = to_sarif(check_planted("unresolved-call", tmp_path / "b", strict=True))

    assert {r["level"] for r in relaxed["runs"][0]["results"]} == {"warning"}
    assert {r["level"] for r in strict["runs"][0]["results"]} == {"error"}


def test_markdown_is_the_pattern_map(report: Report) -> None:
    markdown = render(report, "markdown")

    assert markdown.startswith("# Data-flow pattern map\n")
    assert (f"| `{OP}.aging_report` | local_read | local + live | live port QboGateway, local port "
            "InvoiceMirror | violation |") in markdown
    assert "## Findings" in markdown
    assert render(report, "markdown") == markdown  # deterministic


# The command line ---------------------------------------------------------------------------------------


def test_audit_prints_the_report_and_fails_on_a_violation(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("private-helper", tmp_path / "tree")

    status = main(["audit", "--root", str(tree), "--format", "json"])

    out, err = capsys.readouterr()
    assert status == 1
    assert json.loads(out)["findings"][0]["text"].endswith(HELPER_CHAIN)
    assert "1 failing data-flow finding(s)." in err


def test_audit_passes_on_a_clean_tree(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("base", tmp_path / "tree")

    assert main(["audit", "--root", str(tree)]) == 0
    assert "2 operations, 0 findings (0 failing)" in capsys.readouterr().out


def test_audit_writes_and_checks_the_markdown_map(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("base", tmp_path / "tree")
    output = tmp_path / "docs" / "PATTERN_MAP.md"

    assert main(["audit", "--root", str(tree), "--format", "markdown", "--output", str(output)]) == 0
    assert main(["audit", "--root", str(tree), "--format", "markdown", "--output", str(output), "--check"]) == 0
    (tree / "domains/ar/services/collections.py").write_text(
        (tree / "domains/ar/services/collections.py").read_text().replace("@live\n", "@local_read\n"))
    capsys.readouterr()
    assert main(["audit", "--root", str(tree), "--format", "markdown", "--output", str(output), "--check"]) == 1

    err = capsys.readouterr().err
    assert f"{output} is out of date. Regenerate it with:" in err
    assert f"+| `{OP}.send_invoice` | local_read | live | live port QboGateway | violation |" in err


def test_audit_reads_a_toml_configuration(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    tree = planted_tree("unresolved-call", tmp_path / "tree")
    config = tmp_path / "dataflow.toml"
    config.write_text((tree / "pyproject.toml").read_text().replace("[tool.archguard.dataflow]", "[dataflow]")
                      + "strict = true\n")

    assert main(["audit", "--root", str(tree)]) == 0  # unresolved calls do not fail by default
    assert main(["audit", "--root", str(tree), "--config", str(config)]) == 1
    assert main(["audit", "--root", str(tree), "--strict"]) == 1


def test_audit_reports_configuration_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = tmp_path / "dataflow.toml"
    config.write_text('[dataflow]\nnot_an_option = 1\n')

    assert main(["audit", "--root", str(tmp_path), "--config", str(config)]) == 2
    assert "unknown data-flow option(s): not_an_option" in capsys.readouterr().err
