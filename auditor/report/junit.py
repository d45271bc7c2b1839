"""``results.junit.xml``: JUnit XML, the one test-report format every CI system renders.

One ``testsuite`` named ``auditor`` with one ``testcase`` per policy, so a CI test
tab lists every control: ``failure`` for ``fail``, ``error`` for ``error``, and
``skipped`` (with the reason) for ``not_applicable``, ``manual`` and ``waived``.
The test tab must agree with the exit code, so only a result that decides the gate is a
``failure`` or ``error``: one below ``--fail-on`` (or, with ``--since``, a failure that
was already there) is a passing test case whose ``system-out`` says what failed.
``classname`` is the policy's area (first two ID segments) so CI groups related
controls. XML is built with ElementTree, which escapes text and attributes; text
that XML 1.0 cannot carry at all (control characters in tenant data) is replaced.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from auditor.report._common import (
    Doc,
    Result,
    counts,
    counts_toward_gate,
    fail_on,
    failing_findings,
    id_prefix,
    is_new,
    one_line,
    sev_rank,
    waiver_text,
)

#: characters XML 1.0 forbids even when escaped
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_LISTED_FINDINGS = 200


def _x(text: object) -> str:
    return _XML_ILLEGAL.sub("\ufffd", "" if text is None else str(text))


def _failure_text(r: Result) -> str:
    lines = [str(r["message"])]
    bad = failing_findings(r)
    if bad:
        lines.append("")
        lines.append("Findings:")
        lines.extend(
            f"  - [{f['status']}] {f['subject']}: {one_line(f['message'])}" for f in bad[:MAX_LISTED_FINDINGS]
        )
        more = len(bad) - MAX_LISTED_FINDINGS + int(r.get("findingsOmitted", 0) or 0)
        if more > 0:
            lines.append(f"  ... and {more} more")
    if r["remediation"]:
        lines += ["", "Remediation:", str(r["remediation"]).rstrip()]
    return "\n".join(lines)


def _skip_reason(r: Result) -> str:
    status = r["status"]
    if status == "waived":
        w = r["waiver"] or next((f.get("waiver") for f in r["findings"] if f.get("waiver")), None)
        return f"waived: {waiver_text(w) or one_line(r['message'])}"
    if status == "manual":
        return f"manual review: {one_line(r.get('manual') or r['message'])}"
    return f"not applicable: {one_line(r['message'])}"


def build_junit(doc: Doc) -> ET.Element:
    """The ``testsuites`` element (exposed for tests)."""
    c = counts(doc)
    results = list(doc["results"])
    gating = [r for r in results if counts_toward_gate(doc, r)]
    totals = {
        "tests": str(len(results)),
        "failures": str(sum(1 for r in gating if r["status"] == "fail")),
        "errors": str(sum(1 for r in gating if r["status"] == "error")),
        "skipped": str(c["waived"] + c["manual"] + c["not_applicable"]),
        "time": "0",
    }
    root = ET.Element("testsuites", {"name": "auditor", **totals})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": "auditor",
            **totals,
            "timestamp": _x(doc["generatedAt"]),
            "hostname": _x((doc["snapshot"]["tenant"] or {}).get("id", "")),
        },
    )
    props = ET.SubElement(suite, "properties")
    snapshot = doc["snapshot"]
    for key, value in (
        ("tool.version", doc["tool"]["version"]),
        ("snapshot.sha256", snapshot["sha256"]),
        ("snapshot.collectedAt", snapshot["collectedAt"]),
        ("baseline", doc["baseline"]["name"] or ""),
        ("failOn", doc["summary"].get("failOn") or doc["baseline"]["failOn"]),
        ("gate", doc["summary"]["gate"]),
    ):
        ET.SubElement(props, "property", {"name": key, "value": _x(value)})
    for r in results:
        pid = str(r["policyId"])
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": _x(id_prefix(pid, 2)),
                "name": _x(f"{pid} {r['title']}"),
                "time": "0",
            },
        )
        status = r["status"]
        message = _x(one_line(r["message"], 500))
        if status in ("fail", "error") and not counts_toward_gate(doc, r):
            below = sev_rank(str(r["severity"])) < sev_rank(fail_on(doc))
            why = f"below fail-on {fail_on(doc)}" if below else "not new since the earlier results"
            out = ET.SubElement(case, "system-out")
            out.text = _x(f"{status} ({r['severity']}, {why}: does not fail the gate)\n{_failure_text(r)}")
        elif status == "fail":
            label = "NEW " if is_new(doc, pid) else ""
            el = ET.SubElement(case, "failure", {"message": _x(label) + message, "type": _x(r["severity"])})
            el.text = _x(_failure_text(r))
        elif status == "error":
            el = ET.SubElement(case, "error", {"message": message, "type": "NotEvaluated"})
            el.text = _x(_failure_text(r))
        elif status in ("waived", "manual", "not_applicable"):
            ET.SubElement(case, "skipped", {"message": _x(_skip_reason(r))})
    return root


class JunitFormat:
    """JUnit XML with an XML declaration, UTF-8, indented."""

    name = "junit"
    filename = "results.junit.xml"

    def render(self, doc: Doc) -> bytes:
        root = build_junit(doc)
        ET.indent(root, space="  ")
        # typeshed types tostring() with a named encoding as Any; with "utf-8" it is bytes
        xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return xml + b"\n"
