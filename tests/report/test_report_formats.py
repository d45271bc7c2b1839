"""The file report formats: structure, counts, escaping, determinism."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_builders import XSS, passing_doc, results_doc

from auditor.report import FILE_FORMATS, FORMATS, extract_results
from auditor.report.csvfmt import HEADER, SUBJECT_REMEDIATION, cell, guard_cell
from auditor.report.markdown import MAX_BYTES
from auditor.report.sarif import FINGERPRINT_KEY, build_sarif, fingerprint
from auditor.results import dumps, seal, validate_results
from auditor.vocab import TRIAGE_ORDER

EXPECTED_FILES = {
    "json": "results.json",
    "sarif": "results.sarif",
    "junit": "results.junit.xml",
    "markdown": "summary.md",
    "csv": "findings.csv",
    "html": "report.html",
    "oscal": "results.oscal.json",
    "xlsx": "action-plan.xlsx",
    "ocsf": "results.ocsf.json",
}


def big_doc(n_policies: int = 400, n_findings: int = 300) -> dict[str, Any]:
    """Many failing policies with long text: exercises truncation. Each lists 12 of its
    failing subjects (the engine may omit the rest: ``findingsOmitted``)."""
    doc = results_doc(sealed=False)
    template = doc["results"][0]
    results = []
    for i in range(n_policies):
        r = copy.deepcopy(template)
        r["policyId"] = f"AAD.BULK.P{i:04d}"
        r["message"] = "x" * 500
        r["remediation"] = "step\n" * 200
        r["findings"] = [
            {"subject": f"user{j:05d}@contoso.com", "status": "fail", "message": "m" * 100, "waiver": None}
            for j in range(min(n_findings, 12))
        ]
        r["subjectCounts"] = {"pass": 0, "fail": n_findings, "error": 0}
        r["findingsOmitted"] = n_findings - len(r["findings"])
        results.append(r)
    doc["results"] = results
    validate_results(doc)
    return seal(doc)


def test_registry_lists_every_file_format_in_order() -> None:
    assert FILE_FORMATS == ("json", "sarif", "junit", "markdown", "csv", "html")
    assert list(FORMATS) == [*FILE_FORMATS, "oscal", "xlsx", "ocsf"]  # the last three on request only
    assert {name: fmt.filename for name, fmt in FORMATS.items()} == EXPECTED_FILES
    assert all(fmt.name == name for name, fmt in FORMATS.items())


@pytest.mark.parametrize("name", FILE_FORMATS)
def test_every_format_is_deterministic(name: str) -> None:
    doc = results_doc()
    first = FORMATS[name].render(doc)
    assert isinstance(first, bytes) and first
    assert FORMATS[name].render(copy.deepcopy(doc)) == first
    first.decode("utf-8")


def test_builder_documents_are_valid() -> None:
    validate_results(results_doc())
    validate_results(big_doc(3, 3))


def test_json_is_the_results_file_form() -> None:
    doc = results_doc()
    out = FORMATS["json"].render(doc)
    assert out == dumps(doc)
    assert json.loads(out) == doc


# --- SARIF -----------------------------------------------------------------------------------

#: the parts of the SARIF 2.1.0 schema that consumers (GitHub code scanning) rely on
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs", "$schema"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool", "results"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name", "rules"],
                                "properties": {
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "shortDescription", "fullDescription", "help"],
                                            "properties": {
                                                "defaultConfiguration": {
                                                    "properties": {
                                                        "level": {
                                                            "enum": ["none", "note", "warning", "error"]
                                                        }
                                                    }
                                                }
                                            },
                                        },
                                    }
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["ruleId", "message", "locations", "partialFingerprints"],
                            "properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "message": {"type": "object", "required": ["text"]},
                                "locations": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["physicalLocation"],
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "required": ["artifactLocation", "region"],
                                                "properties": {
                                                    "artifactLocation": {"required": ["uri"]},
                                                    "region": {"properties": {"startLine": {"minimum": 1}}},
                                                },
                                            }
                                        },
                                    },
                                },
                                "partialFingerprints": {
                                    "type": "object",
                                    "additionalProperties": {"type": "string"},
                                },
                                "suppressions": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["kind"],
                                        "properties": {"kind": {"enum": ["inSource", "external"]}},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_structure_rules_and_results() -> None:
    doc = results_doc()
    log = json.loads(FORMATS["sarif"].render(doc))
    jsonschema.validate(log, SARIF_SUBSET)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "auditor" and driver["version"] == "0.1.0"
    assert [r["id"] for r in driver["rules"]] == [r["policyId"] for r in doc["results"]]
    rule = driver["rules"][0]
    assert rule["shortDescription"]["text"] == "Admins registered phishing-resistant MFA"
    assert rule["fullDescription"]["text"] == "Admins use phishing-resistant MFA."
    assert rule["help"]["text"].startswith("1. Register FIDO2.")
    assert rule["properties"]["severity"] == "critical"
    assert rule["properties"]["frameworks"] == {"cisa-scuba": ["MS.AAD.3.1v1"], "nist-800-53": ["IA-2"]}
    assert rule["defaultConfiguration"]["level"] == "error"
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for res in run["results"]:
        by_rule.setdefault(res["ruleId"], []).append(res)
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
    # two failing subjects (the passing one is not emitted), one policy-level result each for
    # the subject-less fail, error and waived policies; nothing for pass, manual, n/a
    assert sorted(by_rule) == [
        "AAD.ADMINS.MFA-REGISTERED",
        "AAD.LEGACY-AUTH.BLOCKED",
        "AAD.PIM.ELIGIBLE-ONLY",
        "AUDIT.UAL.ENABLED",
    ]
    assert len(by_rule["AAD.ADMINS.MFA-REGISTERED"]) == 2
    levels = {rid: [r["level"] for r in rs] for rid, rs in by_rule.items()}
    assert levels == {
        "AAD.ADMINS.MFA-REGISTERED": ["error", "error"],
        "AAD.LEGACY-AUTH.BLOCKED": ["error"],
        "AAD.PIM.ELIGIBLE-ONLY": ["error"],
        "AUDIT.UAL.ENABLED": ["error"],
    }
    waived = by_rule["AAD.LEGACY-AUTH.BLOCKED"][0]
    assert waived["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Printers move to modern auth in CHG-1234",
        }
    ]
    assert "suppressions" not in by_rule["AUDIT.UAL.ENABLED"][0]  # expired waiver: not suppressed
    assert by_rule["AAD.PIM.ELIGIBLE-ONLY"][0]["message"]["text"].startswith("Not evaluated")
    loc = by_rule["AAD.ADMINS.MFA-REGISTERED"][0]["locations"][0]["physicalLocation"]
    assert loc == {"artifactLocation": {"uri": "policies/aad/admins-mfa.yaml"}, "region": {"startLine": 1}}
    fallback = by_rule["AAD.PIM.ELIGIBLE-ONLY"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert fallback["uri"] == "policies/AAD.PIM.ELIGIBLE-ONLY.yaml"


def test_sarif_levels_follow_severity() -> None:
    doc = results_doc(sealed=False)
    for r, sev in zip(
        doc["results"], ["medium", "low", "info", "critical", "high", "low", "high"], strict=True
    ):
        r["severity"] = sev
    run = build_sarif(doc)["runs"][0]
    got = {res["ruleId"]: res["level"] for res in run["results"]}
    assert got == {
        "AAD.ADMINS.MFA-REGISTERED": "warning",
        "AAD.LEGACY-AUTH.BLOCKED": "note",
        "AAD.PIM.ELIGIBLE-ONLY": "error",
        "AUDIT.UAL.ENABLED": "error",
    }


def test_sarif_fingerprints_are_stable_and_derived_from_policy_and_subject() -> None:
    doc = results_doc()
    run = build_sarif(doc)["runs"][0]
    fps = {
        (r["ruleId"], r["properties"]["subject"]): r["partialFingerprints"][FINGERPRINT_KEY]
        for r in run["results"]
    }
    subject = "bob@contoso.com"
    assert (
        fps[("AAD.ADMINS.MFA-REGISTERED", subject)]
        == hashlib.sha256(b"AAD.ADMINS.MFA-REGISTERED\x00bob@contoso.com").hexdigest()
    )
    assert fps[("AUDIT.UAL.ENABLED", "")] == fingerprint("AUDIT.UAL.ENABLED", "")
    # another run: other time, other message, other evidence: same identities
    later = results_doc(sealed=False)
    later["generatedAt"] = "2027-01-01T00:00:00Z"
    later["results"][0]["findings"][2]["message"] = "something else"
    later["results"][0]["findings"][2]["evidence"] = {"changed": True}
    run2 = build_sarif(later)["runs"][0]
    fps2 = {
        (r["ruleId"], r["properties"]["subject"]): r["partialFingerprints"][FINGERPRINT_KEY]
        for r in run2["results"]
    }
    assert fps2 == fps
    assert len(set(fps.values())) == len(fps)


# --- JUnit -----------------------------------------------------------------------------------


def test_junit_counts_and_elements() -> None:
    doc = results_doc()
    root = ET.fromstring(FORMATS["junit"].render(doc))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1 and suites[0].get("name") == "auditor"
    suite = suites[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "7",
        "2",
        "1",
        "3",
    )
    cases = suite.findall("testcase")
    assert len(cases) == 7
    kinds = {c.get("name", "").split(" ")[0]: [child.tag for child in c] for c in cases}
    assert kinds == {
        "AAD.ADMINS.MFA-REGISTERED": ["failure"],
        "AAD.AUTHZ.GUEST-INVITES": [],
        "AAD.LEGACY-AUTH.BLOCKED": ["skipped"],
        "AAD.PIM.ELIGIBLE-ONLY": ["error"],
        "AAD.SECURITY-DEFAULTS.OFF": ["skipped"],
        "AUDIT.LOG.REVIEWED": ["skipped"],
        "AUDIT.UAL.ENABLED": ["failure"],
    }
    first = cases[0]
    assert first.get("classname") == "AAD.ADMINS"
    assert first.get("name") == "AAD.ADMINS.MFA-REGISTERED Admins registered phishing-resistant MFA"
    failure = first.find("failure")
    assert failure is not None and failure.text is not None
    assert "bob@contoso.com" in failure.text and "Remediation:" in failure.text and XSS in failure.text
    waived = next(c for c in cases if c.get("name", "").startswith("AAD.LEGACY-AUTH"))
    assert "Printers move" in (waived.find("skipped").get("message") or "")  # type: ignore[union-attr]


def test_junit_survives_control_characters() -> None:
    doc = results_doc(sealed=False)
    doc["results"][0]["message"] = "bad \x01\x1b byte & <tag>"
    root = ET.fromstring(FORMATS["junit"].render(doc))
    failure = root.find(".//failure")
    assert failure is not None and "& <tag>" in (failure.get("message") or "")


# --- Markdown --------------------------------------------------------------------------------


def test_markdown_summary_content_and_escaping() -> None:
    md = FORMATS["markdown"].render(results_doc()).decode()
    assert md.splitlines()[0] == "## ❌ auditor: gate FAILED (exit 1, fail-on high)"
    assert "| 2 | 1 | 1 | 1 | 1 | 1 |" in md  # counts in fail, error, waived, manual, n/a, pass order
    row = next(
        line for line in md.splitlines() if line.startswith("|") and "`AAD.ADMINS.MFA-REGISTERED`" in line
    )
    assert "2 of 3 admins \\| lack MFA see list" in row and row.count(" | ") == 5
    assert "AAD.AUTHZ.GUEST-INVITES" not in md  # passing policies are not listed
    assert "<details>" in md and "1. Register FIDO2." in md
    assert "roleEligibilitySchedules" in md and "Collections not collected" in md
    assert "Expired waivers" in md
    assert XSS not in md and "&lt;script&gt;" in md


def test_markdown_stays_under_the_size_limit() -> None:
    md = FORMATS["markdown"].render(big_doc()).decode()
    assert len(md.encode()) <= MAX_BYTES
    assert "and 320 more" in md  # table rows beyond the limit
    assert "and 290 more (the full list is in findings.csv and results.json)" in md  # 10 listed
    assert "more failing policies is in the full report" in md


# --- CSV -------------------------------------------------------------------------------------


def test_csv_rows_quoting_and_formula_guard() -> None:
    doc = results_doc(sealed=False)
    doc["results"][3]["message"] = 'line one\nline "two", three'
    raw = FORMATS["csv"].render(doc)
    assert b"\r\n" in raw
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads accented names correctly
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == HEADER
    body = [dict(zip(HEADER, r, strict=True)) for r in rows[1:]]
    assert len(body) == sum(max(1, len(r["findings"])) for r in doc["results"]) == 9
    subjects = [b["subject"] for b in body if b["policyId"] == "AAD.ADMINS.MFA-REGISTERED"]
    # failing subjects before passing ones within a policy
    statuses = [b["status"] for b in body if b["policyId"] == "AAD.ADMINS.MFA-REGISTERED"]
    assert statuses == sorted(statuses, key=lambda st: ["fail", "error", "pass"].index(st))
    assert sorted(subjects) == ["'=cmd|' /C calc'!A0", "alice@contoso.com", "bob@contoso.com"]
    err = next(b for b in body if b["policyId"] == "AAD.PIM.ELIGIBLE-ONLY")
    assert err["message"] == 'line one\nline "two", three' and err["subject"] == ""
    waived = next(b for b in body if b["policyId"] == "AAD.LEGACY-AUTH.BLOCKED")
    assert (waived["waiverReason"], waived["waiverExpires"]) == (
        "Printers move to modern auth in CHG-1234",
        "2027-03-31",
    )
    expired = next(b for b in body if b["policyId"] == "AUDIT.UAL.ENABLED")
    assert expired["waiverReason"].startswith("[expired, not applied]")
    assert body[0]["frameworks"] == "cisa-scuba:MS.AAD.3.1v1;nist-800-53:IA-2"
    for text in (c for r in rows for c in r):
        assert not text.startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+49", "'+49"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
        (None, ""),
        ("", ""),
    ],
)
def test_csv_guard_cell(value: object, expected: str) -> None:
    assert guard_cell(value) == expected


# --- HTML ------------------------------------------------------------------------------------


def test_html_escapes_untrusted_text_and_embeds_the_document() -> None:
    doc = results_doc()
    page = FORMATS["html"].render(doc).decode()
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "alert(2)" in page and "</script><script>alert(2)" not in page
    assert page.count("<script") == 2  # the embedded JSON and the filter script, nothing else
    assert extract_results(page) == doc
    assert 'href="javascript:' not in page
    assert 'href="https://learn.microsoft.com/entra/"' in page


def test_html_is_self_contained() -> None:
    page = FORMATS["html"].render(results_doc()).decode()
    assert not re.search(
        r"<(script|img|iframe|link|source|video|audio|object|embed)[^>]*\s(src|href)=", page, re.IGNORECASE
    )
    assert "@import" not in page and "url(" not in page
    external = re.findall(r'(?:src|href)="(https?://[^"]*)"', page)
    anchors = re.findall(r'<a href="(https?://[^"]*)"', page)
    assert external == anchors  # the only external URLs are links: policy references, admin portals
    assert "Content-Security-Policy" in page and "default-src &#x27;none&#x27;" in page


def test_html_shows_summary_coverage_sources_and_hashes() -> None:
    doc = results_doc()
    page = FORMATS["html"].render(doc).decode()
    assert "Gate FAILED" in page and "exit code 1" in page
    assert doc["snapshot"]["sha256"] in page and doc["integrity"]["value"] in page
    assert doc["baseline"]["sha256"] in page and "rollout-gate" in page
    for key in ("cisa-scuba", "cis-m365-v7", "nist-800-53"):
        assert f"<b>{key}</b>" in page
    # cis-m365-v7: 3 controls; 5.2.2.3 waived, 3.1.1 fails, 5.1.6.2 passes
    row = re.search(r"<tr><td><b>cis-m365-v7</b><div class=\"small\">(.*?)</div>.*?</td>(.*?)</tr>", page)
    assert row is not None
    # the packaged catalogue lists every CIS v7 recommendation, so the total is known
    assert row.group(1) == "3/160 controls automated"
    assert re.findall(r'<td class="num">(\d+)</td>', row.group(2)) == ["1", "0", "1", "0", "0", "1"]
    scuba = re.search(r"<tr><td><b>cisa-scuba</b><div class=\"small\">(.*?)</div>", page)
    assert scuba is not None and re.fullmatch(r"\d+/109 controls automated(, \d+ manual)?", scuba.group(1))
    assert "roleEligibilitySchedules" in page and "Authorization_RequestDenied" in page
    assert "EXPIRED" in page and "expired waiver(s) were not applied" in page
    assert "1. Register FIDO2." in page  # remediation
    # evidence as a table with the raw JSON on demand, for subjects that need attention only
    assert (
        '<table class="evidence"><tr><th scope="row">m</th><td><div class="v"><span class="muted">none</span>'
        in page
    )
    assert "&quot;m&quot;: []" in page
    assert "fido2" not in page.split('id="auditor-results"')[0]  # alice passes: counted, not listed
    assert "1 subject passes." in page
    assert page.count('class="result ') == len(doc["results"])


def test_extract_results_rejects_pages_without_a_document() -> None:
    from auditor.errors import InputError

    with pytest.raises(InputError, match="no embedded results document"):
        extract_results("<html><body>hello</body></html>")


@pytest.mark.parametrize("name", ["html", "markdown", "junit", "sarif"])
def test_untrusted_tenant_name_never_appears_raw_in_markup(name: str) -> None:
    doc = results_doc(sealed=False)
    doc["snapshot"]["tenant"]["displayName"] = XSS
    out = FORMATS[name].render(doc).decode()
    if name == "sarif":  # JSON: carried as data, parsed back intact
        assert json.loads(out)["runs"][0]["properties"]["tenant"]["displayName"] == XSS
    else:
        assert XSS not in out


def test_sarif_groups_a_large_policy_into_one_result_with_first_offenders_and_count() -> None:
    doc = results_doc(sealed=False)
    doc["results"][0]["findings"] = [
        {"subject": f"user{i:06d}@contoso.com", "status": "fail", "message": "m", "waiver": None}
        for i in range(5000)
    ]
    doc["results"][0]["findingsOmitted"] = 295_000
    log = json.loads(FORMATS["sarif"].render(doc))
    _sarif_validator().validate(log)
    results = log["runs"][0]["results"]
    mine = [r for r in results if r["ruleId"] == "AAD.ADMINS.MFA-REGISTERED"]
    assert len(mine) == 1
    text = mine[0]["message"]["text"]
    assert text.startswith("300000 subjects fail: user000000@contoso.com, user000001@contoso.com")
    assert "and 299980 more" in text
    assert mine[0]["properties"]["subjectCount"] == 300_000
    assert len(mine[0]["properties"]["subjects"]) == 20
    assert len({r["partialFingerprints"][FINGERPRINT_KEY] for r in results}) == len(results)
    assert len(results) <= 25_000


def _sarif_validator() -> Any:
    from jsonschema import Draft7Validator, FormatChecker

    schema = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0-trimmed.schema.json").read_text())
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=FormatChecker())


def test_sarif_validates_against_the_sarif_schema() -> None:
    validator = _sarif_validator()
    for doc in (results_doc(), passing_doc()):
        log = json.loads(FORMATS["sarif"].render(doc))
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    # the validator does catch what code scanning would reject
    bad = json.loads(FORMATS["sarif"].render(results_doc()))
    bad["runs"][0]["results"][0]["level"] = "critical"
    assert not validator.is_valid(bad)


def test_sarif_results_anchor_to_the_recorded_file_of_the_scanned_repository() -> None:
    doc = results_doc(sealed=False)
    doc.setdefault("invocation", {})["reportAnchor"] = "tenant/baseline.yaml"
    log = json.loads(FORMATS["sarif"].render(doc))
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
        for loc in r["locations"]
    }
    assert uris == {"tenant/baseline.yaml"}
    assert all("policyFile" in r["properties"] for r in log["runs"][0]["results"])


def test_csv_sorted_by_severity_with_remediation_tenant_and_date_per_row() -> None:
    doc = results_doc(sealed=False)
    doc["snapshot"]["tenant"]["displayName"] = "Société Générale Ärzte"
    rows = list(csv.DictReader(io.StringIO(FORMATS["csv"].render(doc).decode("utf-8-sig"), newline="")))
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    sev = [ranks[r["severity"]] for r in rows]
    assert sev == sorted(sev, reverse=True) and len(set(sev)) > 1
    for r in rows:
        assert r["tenant"] == "Société Générale Ärzte"
        assert r["tenantId"] == doc["snapshot"]["tenant"]["id"]
        assert r["collectedAt"] == doc["snapshot"]["collectedAt"]
    for r in rows:
        res = next(x for x in doc["results"] if x["policyId"] == r["policyId"])
        full = " ".join(str(res["remediation"]).split())
        if r["subject"] and len(full) > SUBJECT_REMEDIATION:  # a subject's row: the start, marked
            assert r["remediation"].endswith("… (full text: report.html, results.json)")
            assert full.startswith(r["remediation"].split(" … (full text")[0])
        else:
            assert r["remediation"] == full
    assert all(r["new"] == "" for r in rows)  # nothing is new without --since


def test_junit_honours_fail_on() -> None:
    """With fail-on critical, the high failure and the high error do not fail the gate, so
    they are not <failure>/<error>: the CI test tab agrees with the exit code."""
    doc = results_doc(sealed=False)
    doc["summary"]["failOn"] = "critical"
    doc["baseline"]["failOn"] = "critical"
    suite = ET.fromstring(FORMATS["junit"].render(doc)).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("errors")) == ("1", "0")
    cases = {c.get("name", "").split(" ")[0]: c for c in suite.findall("testcase")}
    assert [ch.tag for ch in cases["AAD.ADMINS.MFA-REGISTERED"]] == ["failure"]
    for pid in ("AUDIT.UAL.ENABLED", "AAD.PIM.ELIGIBLE-ONLY"):
        children = [ch.tag for ch in cases[pid]]
        assert children == ["system-out"], pid
        assert "below fail-on critical" in (cases[pid].find("system-out").text or "")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    ["", "plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", '",', " lead", "tab\tx", "é—漢"],
)
def test_csv_cell_quotes_exactly_as_the_csv_module(text: str) -> None:
    """The writer quotes cells itself (once per policy for the long constant ones); the
    result must be what csv.writer with QUOTE_MINIMAL writes, and read back unchanged."""
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerow(["x", text])
    assert "x," + cell(text) + "\r\n" == buf.getvalue()
    assert next(csv.reader(io.StringIO("x," + cell(text), newline=""))) == ["x", text]


def test_csv_streamed_rows_are_in_the_order_a_full_sort_gives() -> None:
    """Rows are merged in order as they are written (no list of every row is built): the
    order must equal sorting all rows by severity, status rank, policy ID and subject."""
    doc = big_doc(n_policies=100, n_findings=30)
    for i, res in enumerate(doc["results"]):  # mixed severities, and statuses inside each policy
        res["severity"] = ("critical", "high", "medium", "low", "info")[i % 5]
        for k, f in enumerate(res["findings"]):
            f["status"] = ("fail", "pass", "error")[(i + k) % 3]
    out = io.BytesIO()
    FORMATS["csv"].write(doc, out)  # type: ignore[attr-defined]
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    order = [str(s) for s in TRIAGE_ORDER]

    def key(r: dict[str, str]) -> tuple[int, int, str, str]:
        return (-ranks[r["severity"]], order.index(r["status"]), r["policyId"], r["subject"])

    assert len(rows) == sum(len(r["findings"]) or 1 for r in doc["results"]) > 1000
    assert [key(r) for r in rows] == sorted(key(r) for r in rows)
    assert out.getvalue() == FORMATS["csv"].render(doc)
    # 200 lines of remediation: each subject's row carries the start of it, marked as cut
    assert all(len(r["remediation"]) < SUBJECT_REMEDIATION + 60 for r in rows)
    assert all(r["remediation"].startswith("step step") for r in rows)
