"""report.html as a browser renders it: headless Chromium on desktop, phone and paper.

These tests need Chromium (``.ci/run`` installs it); they skip only when no Chromium
binary is installed. Screenshots and the PDF are left in the test's temporary folder
(and copied to ``$AUDITOR_SCREENSHOTS`` when set) so a person can look at them.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from auditor.cli import main

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
PROBE = (
    "<script>document.body.setAttribute('data-probe', JSON.stringify({"
    "overflow: document.documentElement.scrollWidth - window.innerWidth,"
    "fixTop: document.querySelector('.fixfirst') ? document.querySelector('.fixfirst').getBoundingClientRect().top : -1,"
    "resultsTop: document.querySelector('.results').getBoundingClientRect().top,"
    "foldsOpen: document.querySelectorAll('details.fold[open]').length,"
    "fixRows: document.querySelectorAll('.fixfirst tr').length - 1,"
    "fixText: document.querySelector('.fixfirst') ? document.querySelector('.fixfirst').innerText : '',"
    "fixLinks: Array.from(document.querySelectorAll('.fixfirst a.portal')).map(a => a.href),"
    "fixWidth: document.querySelector('.fixfirst') ? document.querySelector('.fixfirst').scrollWidth : 0"
    "}));</script>"
)


def chromium(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def pdf_pages(path: Path) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return len(re.findall(rb"/Type\s*/Page\b", path.read_bytes()))


def keep(path: Path) -> None:
    target = os.environ.get("AUDITOR_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html")
    assert main(["audit", "--demo", "--format", "html", "--out", str(out), "--quiet"]) == 1
    return out / "report.html"


def probed(page: Path, tmp: Path) -> Path:
    """A copy of the page with a measuring script (the real page's CSP would block it)."""
    html = page.read_text(encoding="utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html, count=1)
    copy = tmp / f"probe-{page.name}"
    copy.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    return copy


def probe(page: Path, tmp: Path, width: int, height: int = 900) -> dict[str, Any]:
    import json

    dom = chromium(f"--window-size={width},{height}", "--dump-dom", probed(page, tmp).as_uri()).stdout
    m = re.search(r'data-probe="([^"]*)"', dom)
    assert m, "the page did not render"
    return json.loads(m.group(1).replace("&quot;", '"'))  # type: ignore[no-any-return]


def test_desktop_leads_with_the_verdict_and_fix_first(demo_report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report-desktop.png"
    chromium("--window-size=1280,1600", f"--screenshot={shot}", demo_report.as_uri())
    assert png_size(shot) == (1280, 1600)
    keep(shot)
    facts = probe(demo_report, tmp_path, 1280, 1600)
    assert facts["overflow"] <= 0
    assert 0 < facts["fixTop"] < 760  # "fix first" is on the first screen, under the verdict and the products
    assert facts["resultsTop"] > facts["fixTop"]
    assert facts["foldsOpen"] == 0  # audit details and collection status start folded
    dom = chromium("--dump-dom", demo_report.as_uri()).stdout
    assert dom.index("Gate FAILED") < dom.index("Fix first") < dom.index("Audit details")
    assert_fix_first(facts)


CA_LINK = (
    "https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess/ConditionalAccessBlade/~/Policies"
)


def assert_fix_first(facts: dict[str, Any]) -> None:
    """The demo's Fix first as rendered: ten rows (not every failure), each critical with its
    count, the uncovered users' names in full, the one-line fix and the admin portal link."""
    assert facts["fixRows"] == 10
    text = " ".join(facts["fixText"].split())
    assert "AAD.MFA.ALL-USERS" in text and "AAD.MFA.PHISHING-RESISTANT-ADMINS" in text
    assert "2 affected: svc-mailarchiver@contosopharma.com, svc-scanner@contosopharma.com" in text
    assert "11 affected: adm-fmeier@contosopharma.com" in text
    assert "Require MFA for All users and All resources in an enabled conditional access policy" in text
    assert "Microsoft Entra admin center" in text and "Exchange admin center" in text
    assert CA_LINK in facts["fixLinks"] and "https://admin.exchange.microsoft.com/" in facts["fixLinks"]
    assert "Portal:" not in text  # a fix, not a menu path


def test_phone_width_has_no_horizontal_overflow(demo_report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report-phone.png"
    chromium("--window-size=390,1600", f"--screenshot={shot}", demo_report.as_uri())
    assert png_size(shot) == (390, 1600)
    keep(shot)
    facts = probe(demo_report, tmp_path, 390, 844)
    assert facts["overflow"] <= 0, f"page is {facts['overflow']}px wider than a phone"
    assert_fix_first(facts)  # all of it there on a phone (the table scrolls inside its box)


def test_print_is_an_executive_summary_and_the_failures(demo_report: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report-print.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", demo_report.as_uri())
    assert pdf.is_file()
    keep(pdf)
    pages = pdf_pages(pdf)
    # the demo tenant covers Entra ID, Exchange, Defender, Purview, SharePoint and Teams: its
    # failures (about 65 of some 190 controls, three subjects each on paper) print on 18 pages at
    # most (docs/reports.md); the goal is 14, not met since per-user and future-user gaps landed
    assert 1 <= pages <= 18, f"the demo prints on {pages} pages"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "Gate FAILED" in text and "Fix first" in text
        assert "AAD.MFA.ALL-USERS" in text  # a failure
        flat = "".join(text.split())  # a cell wraps where it must: compare without line breaks
        # Fix first on paper: the count and names, the fix and the portal named (links are not printed)
        assert "2affected:svc-mailarchiver@contosopharma.com,svc-scanner@contosopharma.com" in flat
        assert "excludingonlybreak-glassaccounts" in flat and "MicrosoftEntraadmincenter" in flat
        assert "Collection status" not in text and "raw JSON" not in text


def test_a_huge_tenant_report_stays_small_and_opens_fast(tmp_path: Path) -> None:
    """Issue 10: 300,000 failing subjects out of 1.5 million: under 10 MB, opens in seconds."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from report_builders import results_doc

    from auditor.report import FORMATS

    doc = results_doc(sealed=False)
    big = doc["results"][0]
    big["findings"] = [
        {
            "subject": f"user{i:07d}@contoso.com",
            "status": "fail",
            "message": "not MFA capable",
            "evidence": {"methodsRegistered": []},
        }
        for i in range(300_000)
    ]
    big["subjectCounts"] = {"pass": 1_200_000, "fail": 300_000}
    page = tmp_path / "report.html"
    page.write_bytes(FORMATS["html"].render(doc))
    assert page.stat().st_size < 10_000_000
    started = time.monotonic()
    dom = chromium("--dump-dom", page.as_uri(), timeout=60).stdout
    assert time.monotonic() - started < 20
    assert "299950 more not listed here" in dom and "1200000 subjects pass." in dom


def test_printed_first_page_carries_the_proof(demo_report: Path, tmp_path: Path) -> None:
    """Issue 25: the first printed page names the hashes, tenant, collection time and tool;
    the evidence is not cut by the page's styles; the controls not met are named with titles."""
    import json

    from auditor.report import extract_results
    from auditor.results.attest import document_policy_set

    pdf = tmp_path / "report-proof.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", demo_report.as_uri())
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed to read the PDF"
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = re.sub(r"\s+", "", first)  # long hashes may wrap inside their cell
    doc = extract_results(demo_report.read_text(encoding="utf-8"))
    policy_set, count = document_policy_set(doc)
    assert doc["snapshot"]["sha256"] in flat
    assert doc["integrity"]["value"] in flat
    assert policy_set in flat and f"({count} policies)" in first
    assert doc["snapshot"]["tenant"]["id"] in flat and "Contoso Pharma" in first
    assert doc["snapshot"]["collectedAt"] in flat
    assert f"auditor {doc['tool']['version']}" in first
    everything = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # control titles in the printed framework coverage (the catalogue's own wording)
    assert "Not met in cis-m365-v6" in everything
    assert "Administrative accounts are cloud-only" in everything
    # evidence: no value in an evidence table is cut by a box height on paper (the print styles
    # applied on screen, every fold open as before printing; the old styles cut 62 values)
    probe = probed(demo_report, tmp_path)
    html = probe.read_text(encoding="utf-8").replace("@media print{", "@media all{")
    html = html.replace(
        PROBE,
        "<script>document.querySelectorAll('details').forEach(function(d){d.open=true;});"
        "document.body.setAttribute('data-probe', JSON.stringify(Array.from("
        "document.querySelectorAll('table.evidence div.v')).filter(function(d){"
        "return d.scrollHeight > d.clientHeight + 1;}).length));</script>",
    )
    assert html.count("table.evidence") and "@media all{" in html
    probe.write_text(html, encoding="utf-8")
    dom = chromium("--dump-dom", probe.as_uri()).stdout
    m = re.search(r'data-probe="([^"]*)"', dom)
    assert m and json.loads(m.group(1).replace("&quot;", '"')) == 0
