"""Framework coverage in the HTML and Markdown reports: the sentence of ``auditor policies list``
for frameworks with a catalogue, and an honest "no catalogue" for keys without one (a results
document written before cis-m365-v5 was retired, or a framework of the user's own)."""

from __future__ import annotations

import re

from report_builders import results_doc

from auditor.report import FORMATS
from auditor.results import seal


def _doc_with(frameworks_per_result: list[dict[str, list[str]]]) -> dict:
    doc = results_doc(sealed=False)
    for i, result in enumerate(doc["results"]):
        result["frameworks"] = frameworks_per_result[i] if i < len(frameworks_per_result) else {}
    return seal(doc)


def test_a_retired_or_own_framework_key_shows_its_mapped_count_without_a_total() -> None:
    doc = _doc_with([{"cis-m365-v5": ["5.2.2.3", "3.1.1"], "org-controls": ["ORG-1"]}])
    page = FORMATS["html"].render(doc).decode()
    row = re.search(r'<tr><td><b>cis-m365-v5</b><div class="small">(.*?)</div>', page)
    assert row is not None and row.group(1) == "2 controls mapped (no catalogue)"
    assert re.search(
        r'<tr><td><b>org-controls</b><div class="small">1 control mapped \(no catalogue\)</div>', page
    )
    summary = FORMATS["markdown"].render(doc).decode()
    assert "cis-m365-v5" not in summary.split("**Framework coverage:**")[-1].split("\n\n")[1]


def test_a_manual_policy_counts_as_manual_not_automated() -> None:
    doc = _doc_with([{"cis-m365-v7": ["5.1.6.1"]}, {"cis-m365-v7": ["5.2.2.3"]}])
    doc = dict(doc)
    first = dict(doc["results"][0])
    first["status"], first["manual"] = "manual", "Check the B2B allow list in the portal."
    doc["results"] = [first, *doc["results"][1:]]
    summary = FORMATS["markdown"].render(seal(doc)).decode()
    line = next(ln for ln in summary.splitlines() if ln.startswith("- `cis-m365-v7`"))
    assert line == "- `cis-m365-v7`: 1/160 controls automated, 1 manual (manual: 5.1.6.1)"
    page = FORMATS["html"].render(seal(doc)).decode()
    assert (
        '<div class="small">1/160 controls automated, 1 manual</div><div class="small">manual: 5.1.6.1</div>'
        in page
    )
