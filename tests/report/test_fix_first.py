"""Issue 26: per-user findings of the conditional access controls, "Fix first" (ten, by
severity and subjects affected, with names, fix and portal link), the per-product summary and
a sentence splitter that does not break on "U.S.", "e.g.", URLs or code."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main
from auditor.engine.model import ERROR, FAIL, PASS
from auditor.engine.userfindings import user_findings
from auditor.report._common import first_sentence, one_line
from auditor.report.fixfirst import fix_first, who_text
from auditor.report.products import PRODUCTS, portal_link, product_counts, product_of


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("demo")
    assert main(["audit", "--demo", "--format", "json,csv,markdown,html", "--out", str(out), "--quiet"]) == 1
    return json.loads((out / "results.json").read_text()), out


def test_csv_has_one_row_per_uncovered_user_of_the_mfa_control(demo: tuple[dict[str, Any], Path]) -> None:
    doc, out = demo
    rows = [
        r
        for r in csv.DictReader(io.StringIO((out / "findings.csv").read_text()))
        if r["policyId"] == "AAD.MFA.ALL-USERS"
    ]
    assert [r["subject"] for r in rows] == [
        "svc-mailarchiver@contosopharma.com",
        "svc-scanner@contosopharma.com",
    ]
    assert all(r["status"] == "fail" and r["policyStatus"] == "fail" for r in rows)
    assert all("CA001b - Internals - Require MFA" in " ".join(r.values()) for r in rows)
    entry = next(r for r in doc["results"] if r["policyId"] == "AAD.MFA.ALL-USERS")
    # 42 users (3 external stand-ins among them) plus 4 users who do not exist yet (a new member
    # and a new guest of each type), all covered but the two service accounts
    assert entry["status"] == "fail" and entry["subjectCounts"] == {"fail": 2, "pass": 44}
    assert entry["findingsOmitted"] == 44  # covered users are counted, not listed
    gaps = entry["findings"][0]["evidence"]["gaps"]
    assert gaps and {"where", "why"} <= set(gaps[0])
    assert [f["subject"] for f in entry["findings"]] == sorted(f["subject"] for f in entry["findings"])


def test_html_lists_each_uncovered_user(demo: tuple[dict[str, Any], Path]) -> None:
    _, out = demo
    page = (out / "report.html").read_text()
    section = page[page.index('id="p-AAD.MFA.ALL-USERS"') :]
    assert (
        "svc-mailarchiver@contosopharma.com" in section[:20000]
        and "svc-scanner@contosopharma.com" in section[:20000]
    )


class _Policy:
    variables = (("coverage", None),)


def _coverage(failing: list[tuple[str, int]], subjects: int, undetermined: int = 0) -> dict[str, Any]:
    return {
        "subjects": subjects,
        "undetermined": undetermined,
        "uncoveredFindings": [
            {"subject": name, "gaps": [{"where": f"path {i}", "why": f"reason {i}"} for i in range(n)]}
            for name, n in failing
        ],
    }


def test_user_findings_counts_and_messages() -> None:
    findings, counts = user_findings(_Policy(), {"coverage": _coverage([("b@x", 3), ("a@x", 1)], 10, 2)})  # type: ignore[misc]
    assert [f.subject for f in findings] == ["a@x", "b@x"]
    assert all(f.status == FAIL for f in findings)
    assert findings[0].message == "not covered on path 0: reason 0"
    assert findings[1].message.endswith("(and 1 more paths)") and "reason 1" in findings[1].message
    assert counts == {ERROR: 2, FAIL: 2, PASS: 6}
    assert len(findings[1].evidence["gaps"]) == 3


def test_user_findings_only_for_coverage_results() -> None:
    assert user_findings(_Policy(), {"coverage": {"covered": False}}) is None  # type: ignore[arg-type]


def test_user_findings_stay_bounded_per_user_at_scale() -> None:
    """Every failing user is listed (as failing subjects of per-subject policies are), each
    with evidence bounded by the same cap; the gap dicts are shared, not copied."""
    many = [{"where": f"w{i}", "why": "r"} for i in range(50)]
    value = {
        "subjects": 200_000,
        "undetermined": 0,
        "uncoveredFindings": [{"subject": f"u{i:06d}", "gaps": many} for i in range(100_000)],
    }
    findings, counts = user_findings(_Policy(), {"coverage": value})  # type: ignore[misc]
    assert len(findings) == 100_000 and counts == {FAIL: 100_000, PASS: 100_000}
    assert len(findings[0].evidence["gaps"]) == 21  # 20 and a "… and 30 more" marker


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Use e.g. passkeys for U.S. staff. Then rest.", "Use e.g. passkeys for U.S. staff."),
        (
            "Open https://learn.microsoft.com/en-us/entra/a.b now. Later.",
            "Open https://learn.microsoft.com/en-us/entra/a.b now.",
        ),
        ("Run `Set-X -Value 1.5` today. Then.", "Run `Set-X -Value 1.5` today."),
        ("Set AuditDisabled to $false; then check.", "Set AuditDisabled to $false"),
        ("Ask J. Smith to approve. Then.", "Ask J. Smith to approve."),
    ],
)
def test_first_sentence(text: str, first: str) -> None:
    assert first_sentence(text) == first


def test_one_line_cuts_at_a_word_boundary() -> None:
    cut = one_line("adm-skhan@contosopharma.com and beat.meier@contosopharma.com are uncovered", 50)
    assert cut == "adm-skhan@contosopharma.com and…"


def test_products_and_portals() -> None:
    assert product_of("EXO.DKIM.ENABLED").key == "exchange"
    assert product_of("AUDIT.ENTRA-LOGS.STREAMED").key == "entra"
    assert product_of("MY.OWN.CHECK", ["teams"]).key == "teams"
    assert product_of("MY.OWN.CHECK").key == "other"
    assert {p.key for p in PRODUCTS} >= {"entra", "exchange", "defender", "purview", "sharepoint", "teams"}
    assert all(p.url.startswith("https://") for p in PRODUCTS)
    assert (
        portal_link({"policyId": "SPO.SHARING.DOMAIN-RESTRICTED", "tags": []})[0] == "SharePoint admin center"
    )  # type: ignore[typeddict-item]
    assert "ConditionalAccess" in portal_link({"policyId": "AAD.MFA.ADMINS", "tags": []})[1]  # type: ignore[typeddict-item]


def test_fix_first_is_ten_ranked_by_severity_and_subjects(demo: tuple[dict[str, Any], Path]) -> None:
    doc, _ = demo
    items = fix_first(doc)
    assert len(items) == 10 < sum(1 for r in doc["results"] if r["status"] == "fail")
    assert [i.result["severity"] for i in items[:2]] == ["critical", "critical"]
    mfa = next(i for i in items if i.result["policyId"] == "AAD.MFA.ALL-USERS")
    assert who_text(mfa) == "2 affected: svc-mailarchiver@contosopharma.com, svc-scanner@contosopharma.com"
    assert mfa.fix.startswith("Require MFA") and mfa.portal == "Microsoft Entra admin center"


def test_big_failures_rise_but_a_lone_tenant_setting_does_not_beat_a_critical() -> None:
    def result(pid: str, sev: str, failing: int) -> dict[str, Any]:
        return {
            "policyId": pid,
            "title": pid,
            "severity": sev,
            "status": "fail",
            "remediation": "",
            "tags": [],
            "findings": [],
            "subjectCounts": {"fail": failing} if failing else None,
            "fix": f"fix {pid}",
        }

    doc: dict[str, Any] = {
        "results": [
            result("A.HIGH.FEW", "high", 40),
            result("A.CRIT", "critical", 2),
            result("A.HIGH.MANY", "high", 1_000_000),
            result("A.MED.TENANT", "medium", 0),
        ]
    }
    assert [i.result["policyId"] for i in fix_first(doc)] == [
        "A.HIGH.MANY",
        "A.CRIT",
        "A.HIGH.FEW",
        "A.MED.TENANT",
    ]


def test_markdown_has_products_and_fix_first(demo: tuple[dict[str, Any], Path]) -> None:
    doc, out = demo
    md = (out / "summary.md").read_text()
    assert (
        md.index("| Product | Pass | Fail | Error | Policies |")
        < md.index("### Fix first")
        < md.index("| Status |")
    )
    for product, c in product_counts(doc["results"]):
        assert f"| {product.name} | {c.get('pass', 0)} | {c.get('fail', 0)} | {c.get('error', 0)} |" in md
    block = md[md.index("### Fix first") : md.index("| Status |")]
    assert block.count("\n1") >= 2 and "\n10. " in block and "\n11. " not in block
    assert "`AAD.MFA.ALL-USERS`: Require MFA for All users" in block
    assert (
        "[Microsoft Entra admin center](https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess/"
        in block
    )
    assert "2 affected: svc-mailarchiver@contosopharma.com, svc-scanner@contosopharma.com" in block
    assert "Portal:" not in block


def test_html_has_products_and_ten_fixes(demo: tuple[dict[str, Any], Path]) -> None:
    doc, out = demo
    page = (out / "report.html").read_text()
    fix = page[page.index('<section class="fixfirst">') :]
    fix = fix[: fix.index("</section>")]
    assert fix.count("<tr>") == 11  # a header and ten failures, not all of them
    assert '<a href="https://admin.exchange.microsoft.com/" class="portal"' in fix
    assert '<span class="nm">svc-scanner@contosopharma.com</span>' in fix
    products = page[page.index('<section class="products">') :]
    assert "Entra ID" in products and "Teams" in products and "SharePoint and OneDrive" in products
    assert page.index('<section class="products">') < page.index('<section class="fixfirst">')
    assert "AAD.MFA.ALL-USERS" in fix and len(doc["results"]) > 10
